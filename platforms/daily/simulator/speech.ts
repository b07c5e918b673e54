import { createHash, randomUUID } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ffmpeg, runTool } from './ffmpeg.ts';

// What a participant says becomes a mono 48 kHz s16le PCM file on disk (the rate Opus encodes at), so
// media generation can stream any stretch of a long meeting without holding it in memory.

export const SAMPLE_RATE = 48_000;
export const BYTES_PER_MS = (SAMPLE_RATE * 2) / 1000;

export interface SpeechClip {
  pcmPath: string;
  durationMs: number;
}

/** Distinct espeak-ng voices, handed out in join order so speakers are told apart by ear. */
export const SIMULATOR_VOICES = ['en-us', 'en-gb+f3', 'en-us+m3', 'en-gb-x-rp+f4', 'en+m1'] as const;

export class SpeechLibrary {
  readonly #workDir: string;
  readonly #spoken = new Map<string, Promise<SpeechClip>>();

  constructor(workDir: string) {
    this.#workDir = workDir;
  }

  /** Text spoken by espeak-ng; the same sentence in the same voice is synthesized once. */
  speak(text: string, voice: string): Promise<SpeechClip> {
    const id = createHash('sha1').update(`${voice}\n${text}`).digest('hex');
    let clip = this.#spoken.get(id);
    if (!clip) {
      clip = this.#synthesize(text, voice, id);
      this.#spoken.set(id, clip);
      clip.catch(() => this.#spoken.delete(id));
    }
    return clip;
  }

  /** Any audio ffmpeg reads (WAV, WebM, …), given as bytes. */
  async decode(audio: Buffer): Promise<SpeechClip> {
    const source = join(this.#workDir, `${randomUUID()}.upload`);
    await writeFile(source, audio);
    try {
      return await this.decodeFile(source);
    } finally {
      await rm(source, { force: true });
    }
  }

  async decodeFile(path: string): Promise<SpeechClip> {
    const pcmPath = join(this.#workDir, `${randomUUID()}.pcm`);
    await ffmpeg(['-i', path, '-vn', '-f', 's16le', '-ac', '1', '-ar', String(SAMPLE_RATE), pcmPath]);
    return clipAt(pcmPath);
  }

  async #synthesize(text: string, voice: string, id: string): Promise<SpeechClip> {
    const wavPath = join(this.#workDir, `${id}.wav`);
    // Text goes on stdin so a sentence starting with "-" is not read as an option.
    await runTool('espeak-ng', ['-v', voice, '-s', '165', '-w', wavPath], text);
    try {
      return await this.decodeFile(wavPath);
    } finally {
      await rm(wavPath, { force: true });
    }
  }
}

async function clipAt(pcmPath: string): Promise<SpeechClip> {
  const { size } = await stat(pcmPath);
  return { pcmPath, durationMs: size / BYTES_PER_MS };
}
