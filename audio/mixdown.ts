import { rename, rm } from 'node:fs/promises';
import { QUANTIZE, runFfmpeg } from './ffmpeg.ts';
import { probeMedia } from './tracks.ts';

// The meeting as one listenable file: every track placed at its offset and summed, by a single ffmpeg
// process streaming from the track files to the MP3. Reflector's in-process mixdown ran out of memory on
// long meetings (#758); here nothing is held but ffmpeg's frame-sized buffers, whatever the length.

export interface MixInput {
  path: string;
  /** Where the track's first sample goes on the recording's timeline (trackOffsetSeconds). */
  offsetSeconds: number;
}

export interface MixdownOptions {
  /** The recording's length; the MP3 is exactly this long (padded with silence or cut). */
  durationSeconds: number;
  signal?: AbortSignal | undefined;
  /** 0..1 of the recording written so far. */
  onProgress?: ((fraction: number) => void) | undefined;
  /** CBR bitrate; default 64 kbps, plenty for mono speech. */
  bitrateKbps?: number;
  /** Output channels; default 1 (the mix is mono either way, stereo just duplicates it). */
  channels?: 1 | 2;
}

const MIX_RATE = 48_000;

/** Mixes `inputs` to a CBR MP3 at `outPath` (written aside and renamed, so a partial file never appears there). */
export async function mixdownToMp3(inputs: readonly MixInput[], outPath: string, options: MixdownOptions): Promise<void> {
  const { durationSeconds, onProgress } = options;
  if (!(durationSeconds > 0)) throw new RangeError(`durationSeconds must be positive, got ${durationSeconds}`);
  const bitrate = options.bitrateKbps ?? 64;
  const partial = `${outPath}.partial`;
  const args: string[] = [];
  if (inputs.length === 0) {
    args.push('-f', 'lavfi', '-i', `anullsrc=r=${MIX_RATE}:cl=mono`, '-map', '0:a');
  } else {
    for (const input of inputs) args.push('-i', input.path);
    args.push('-filter_complex', mixGraph(inputs, durationSeconds), '-map', '[mix]');
  }
  args.push(
    '-t', durationSeconds.toFixed(3),
    // Constant bitrate: byte offset ∝ time, so players seek accurately with plain range requests.
    '-c:a', 'libmp3lame', '-b:a', `${bitrate}k`, '-ar', String(MIX_RATE), '-ac', String(options.channels ?? 1),
    '-f', 'mp3', partial,
  );
  try {
    await runFfmpeg(args, {
      signal: options.signal,
      priority: 'background',
      onProgressSeconds: onProgress && ((seconds) => onProgress(Math.min(1, seconds / durationSeconds))),
    });
    await rename(partial, outPath);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  onProgress?.(1);
}

/**
 * Per input: fill timestamp gaps with silence (aresample async, so a muted stretch keeps later audio in
 * place), quantize to mono 16-bit (QUANTIZE), make it float at one rate, then shift it by its offset
 * (a negative offset trims the start). ffmpeg starts every input's timestamps at zero, so the offset is
 * applied once. adelay emits a delay shared by all channels as
 * generated silence rather than buffering it (ffmpeg's peak RSS stayed at 58 MiB with an 18-minute
 * offset). amix with normalize=0 sums as is: normalizing would divide every voice by the number of
 * inputs, and renormalize whenever an input ends.
 */
export function mixGraph(inputs: readonly MixInput[], durationSeconds: number): string {
  const branches = inputs.map((input, i) => {
    const shift = input.offsetSeconds > 0
      ? `adelay=delays=${Math.round(input.offsetSeconds * MIX_RATE)}S:all=1`
      : input.offsetSeconds < 0
        ? `atrim=start=${(-input.offsetSeconds).toFixed(6)},asetpts=PTS-STARTPTS`
        : 'anull';
    return `[${i}:a:0]aresample=async=1:first_pts=0,${QUANTIZE},aformat=sample_fmts=fltp:sample_rates=${MIX_RATE},${shift}[in${i}]`;
  });
  const labels = inputs.map((_, i) => `[in${i}]`).join('');
  const sum = inputs.length === 1 ? 'anull' : `amix=inputs=${inputs.length}:duration=longest:dropout_transition=0:normalize=0`;
  return `${branches.join(';')};${labels}${sum},apad=whole_dur=${durationSeconds.toFixed(3)}[mix]`;
}

export interface WaveformOptions {
  /** Number of buckets; default 1000. */
  peaks?: number;
  /** The audio's length if known (saves a probe); buckets are laid out over it. */
  durationSeconds?: number;
  signal?: AbortSignal | undefined;
}

/** Low-rate analysis is enough for a drawing and keeps the pass fast. */
const WAVEFORM_RATE = 8000;

/**
 * The loudest sample of each of `peaks` equal stretches of the audio, 0..1 of full scale. ffmpeg streams
 * raw s16 samples into a reducer that keeps one number per bucket.
 */
export async function waveformPeaks(audioPath: string, options: WaveformOptions = {}): Promise<number[]> {
  const count = options.peaks ?? 1000;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`peaks must be a positive integer, got ${count}`);
  const durationSeconds = options.durationSeconds ?? (await probeMedia(audioPath)).durationSeconds;
  const totalSamples = Math.max(1, Math.round(durationSeconds * WAVEFORM_RATE));
  const peaks = new Float64Array(count);
  let sampleIndex = 0;
  let carry: Buffer | null = null; // an odd byte split across chunks
  await runFfmpeg(['-i', audioPath, '-map', '0:a:0', '-af', `${QUANTIZE},aresample=${WAVEFORM_RATE}`, '-f', 's16le', '-c:a', 'pcm_s16le', 'pipe:1'], {
    signal: options.signal,
    priority: 'background',
    onStdout: (chunk) => {
      const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      const usable = data.length - (data.length % 2);
      carry = usable < data.length ? data.subarray(usable) : null;
      for (let offset = 0; offset < usable; offset += 2) {
        const bucket = Math.min(count - 1, Math.floor((sampleIndex * count) / totalSamples));
        const level = Math.abs(data.readInt16LE(offset)) / 32768;
        if (level > peaks[bucket]!) peaks[bucket] = level;
        sampleIndex++;
      }
    },
  });
  return Array.from(peaks, (peak) => Math.round(peak * 1000) / 1000);
}
