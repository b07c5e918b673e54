import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStorage } from '../../../storage/object-storage.ts';
import { ffmpeg } from './ffmpeg.ts';
import { BYTES_PER_MS, SAMPLE_RATE } from './speech.ts';
import type { SpeechClip } from './speech.ts';

// Real recording files, as Daily writes them: WebM/Opus per participant session (with the stream's start
// time = the track's offset from the recording start, as in Daily's raw tracks), a tiny VP8 WebM per
// session for the camera, and an H.264/AAC MP4 for a cloud recording. Audio is rendered as a stream of
// one-second PCM chunks piped into ffmpeg, and ffmpeg writes to a temporary file before upload, so
// memory stays flat however long the meeting.

/** Speech placed on the meeting timeline. */
export interface PlacedClip extends SpeechClip {
  atMs: number;
}

export interface TimeSpan {
  fromMs: number;
  toMs: number;
}

const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
const CHUNK_SAMPLES = SAMPLE_RATE;

/** Silence with every clip mixed in at its place, clipped to the span; overlapping clips add up. */
export async function* renderPcm(clips: readonly PlacedClip[], span: TimeSpan): AsyncGenerator<Buffer> {
  const totalSamples = Math.round((span.toMs - span.fromMs) * SAMPLES_PER_MS);
  const placed = clips
    .map((clip) => {
      const start = Math.round((clip.atMs - span.fromMs) * SAMPLES_PER_MS);
      return { path: clip.pcmPath, start, end: start + Math.floor((clip.durationMs * BYTES_PER_MS) / 2) };
    })
    .filter((clip) => clip.end > 0 && clip.start < totalSamples)
    .sort((a, b) => a.start - b.start);
  for (let chunkStart = 0; chunkStart < totalSamples; chunkStart += CHUNK_SAMPLES) {
    const chunkEnd = Math.min(totalSamples, chunkStart + CHUNK_SAMPLES);
    const chunk = Buffer.alloc((chunkEnd - chunkStart) * 2);
    let written = false;
    for (const clip of placed) {
      if (clip.start >= chunkEnd) break;
      if (clip.end <= chunkStart) continue;
      const from = Math.max(chunkStart, clip.start);
      const to = Math.min(chunkEnd, clip.end);
      const samples = await readSamples(clip.path, from - clip.start, to - from);
      if (!written) samples.copy(chunk, (from - chunkStart) * 2);
      else mixInto(chunk, (from - chunkStart) * 2, samples);
      written = true;
    }
    yield chunk;
  }
}

async function readSamples(path: string, firstSample: number, count: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(count * 2);
    await file.read(buffer, 0, buffer.length, firstSample * 2);
    return buffer;
  } finally {
    await file.close();
  }
}

function mixInto(target: Buffer, byteOffset: number, source: Buffer): void {
  for (let i = 0; i < source.length; i += 2) {
    const sum = target.readInt16LE(byteOffset + i) + source.readInt16LE(i);
    target.writeInt16LE(Math.max(-32768, Math.min(32767, sum)), byteOffset + i);
  }
}

export const PCM_INPUT = ['-f', 's16le', '-ar', String(SAMPLE_RATE), '-ac', '1', '-i', 'pipe:0'];

export interface TrackFile {
  key: string;
  span: TimeSpan;
  /** The stream's first timestamp: the track's offset from the recording's start. */
  streamOffsetMs: number;
}

/**
 * A participant's microphone: WebM/Opus, silence where they were quiet. Low-delay mode at complexity 0
 * encodes speech about 400× real time (the defaults, ten times slower) and still sounds clear.
 */
export async function writeAudioTrack(
  storage: ObjectStorage,
  workDir: string,
  track: TrackFile & { clips: readonly PlacedClip[] },
): Promise<number> {
  return encodeAndStore(storage, workDir, track.key, 'audio/webm', (out) =>
    ffmpeg(
      [...PCM_INPUT, '-c:a', 'libopus', '-b:a', '32k', '-application', 'lowdelay', '-compression_level', '0', ...offsetArgs(track), '-f', 'webm', out],
      renderPcm(track.clips, track.span),
    ),
  );
}

/** A participant's camera: a few kilobytes of VP8, present only so consumers learn to skip it. */
export async function writeVideoTrack(storage: ObjectStorage, workDir: string, track: TrackFile): Promise<number> {
  const seconds = (track.span.toMs - track.span.fromMs) / 1000;
  return encodeAndStore(storage, workDir, track.key, 'video/webm', (out) =>
    ffmpeg([
      '-f', 'lavfi', '-i', 'color=c=0x334155:s=96x64:r=1',
      '-t', seconds.toFixed(3), '-c:v', 'libvpx', '-b:v', '16k', '-deadline', 'realtime', '-cpu-used', '8',
      ...offsetArgs(track), '-f', 'webm', out,
    ]),
  );
}

/**
 * A cloud recording: one small H.264/AAC file with everyone's voices mixed; the fast AAC coder at 24 kHz keeps long
 * meetings quick. MP4 (Daily, LiveKit) unless `container` asks for Matroska (Whereby's default `.mkv`).
 */
export async function writeCloudRecording(
  storage: ObjectStorage,
  workDir: string,
  recording: { key: string; span: TimeSpan; clips: readonly PlacedClip[]; container?: 'mp4' | 'matroska' },
): Promise<number> {
  const seconds = (recording.span.toMs - recording.span.fromMs) / 1000;
  const mkv = recording.container === 'matroska';
  return encodeAndStore(storage, workDir, recording.key, mkv ? 'video/x-matroska' : 'video/mp4', (out) =>
    ffmpeg(
      [
        '-f', 'lavfi', '-i', 'color=c=0x1e293b:s=320x180:r=2', ...PCM_INPUT,
        '-map', '0:v', '-map', '1:a', '-t', seconds.toFixed(3),
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'stillimage', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-aac_coder', 'fast', '-ar', '24000', '-b:a', '48k',
        ...(mkv ? ['-f', 'matroska'] : ['-movflags', '+faststart', '-f', 'mp4']), out,
      ],
      renderPcm(recording.clips, recording.span),
    ),
  );
}

function offsetArgs(track: TrackFile): string[] {
  return ['-output_ts_offset', (track.streamOffsetMs / 1000).toFixed(3)];
}

export async function encodeAndStore(
  storage: ObjectStorage,
  workDir: string,
  key: string,
  contentType: string,
  encode: (outPath: string) => Promise<void>,
): Promise<number> {
  const outPath = join(workDir, `${randomUUID()}.media`);
  try {
    await encode(outPath);
    const { size } = await stat(outPath);
    await storage.put(key, createReadStream(outPath), { contentType, size });
    return size;
  } finally {
    await rm(outPath, { force: true });
  }
}
