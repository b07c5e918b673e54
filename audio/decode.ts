import { rename, rm } from 'node:fs/promises';
import { QUANTIZE, runFfmpeg } from './ffmpeg.ts';
import { probeMedia } from './tracks.ts';
import type { MediaProbe } from './tracks.ts';

// A track becomes what speech recognizers want: 16 kHz mono signed 16-bit WAV. ffmpeg streams file to
// file; this process only reads its progress.

export const ASR_SAMPLE_RATE = 16_000;

export interface DecodeOptions {
  signal?: AbortSignal | undefined;
  /** 0..1 of the track decoded so far. */
  onProgress?: ((fraction: number) => void) | undefined;
  /** When the caller has already probed the input (saves one demux pass). */
  probe?: MediaProbe | undefined;
}

export interface DecodedTrack {
  wavPath: string;
  /** The source's length: the WAV's first sample is the track's first sample. */
  durationSeconds: number;
}

/**
 * Decodes `inputPath` to `outWavPath`. Throws MediaError for corrupt, empty or audio-less input; on abort
 * ffmpeg is killed and no file is left behind. The WAV appears only once complete (written aside, renamed).
 */
export async function decodeToPcm16k(inputPath: string, outWavPath: string, options: DecodeOptions = {}): Promise<DecodedTrack> {
  const probe = options.probe ?? (await probeMedia(inputPath));
  const partial = `${outWavPath}.partial`;
  const { onProgress } = options;
  try {
    await runFfmpeg([
      '-i', inputPath, '-map', '0:a:0',
      // Platforms leave timestamp gaps where a microphone was muted; async=1 fills them with silence so
      // every later word keeps its place on the timeline (plain decoding would close the gap up). Then
      // to 16-bit before resampling (see QUANTIZE: five times faster on real tracks).
      '-af', `aresample=async=1:first_pts=0,${QUANTIZE},aresample=${ASR_SAMPLE_RATE}`,
      '-ac', '1', '-ar', String(ASR_SAMPLE_RATE), '-c:a', 'pcm_s16le', '-f', 'wav', partial,
    ], {
      signal: options.signal,
      onProgressSeconds: onProgress && ((seconds) => onProgress(Math.min(1, seconds / probe.durationSeconds))),
    });
    await rename(partial, outWavPath);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  onProgress?.(1);
  return { wavPath: outWavPath, durationSeconds: probe.durationSeconds };
}
