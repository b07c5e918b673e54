// Recorded media as the tests look at it: fetched from storage to a file, probed with ffprobe, listened to with ffmpeg.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { ObjectStorage } from '../../storage/object-storage.ts';

const run = promisify(execFile);

/** The object at `key`, written into `dir` under a flattened name; answers the file's path. */
export async function downloadObject(storage: ObjectStorage, key: string, dir: string): Promise<string> {
  const path = join(dir, `${key.replaceAll('/', '_')}.download`);
  await pipeline((await storage.get(key)).body, createWriteStream(path));
  return path;
}

export async function probeMedia(path: string) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type,start_time:format=format_name,duration,start_time', '-of', 'json', path]);
  return JSON.parse(stdout) as {
    streams: Array<{ codec_name: string; codec_type: string; start_time: string }>;
    format: { format_name: string; duration: string; start_time: string };
  };
}

/** Start times of sound (ends of silences), in seconds from the file's first sample. */
export async function speechStarts(path: string): Promise<number[]> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', path, '-af', 'silencedetect=n=-45dB:d=0.4', '-f', 'null', '-']);
  return [...stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
}
