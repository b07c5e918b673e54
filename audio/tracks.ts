import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { runFfmpeg } from './ffmpeg.ts';

// A track as the platform wrote it: where it sits on the recording's timeline (from what the platform says of
// it, platforms/*: Platform.describeTrack) and what the file holds (from ffprobe). Media that cannot be read is a MediaError, which no retry can fix.

const execFileAsync = promisify(execFile);

/** A track's place on the platform's recording clock (both in ms), as its platform states it. */
export interface TrackTimeline {
  recordingStartMs: number;
  trackStartMs: number;
}

export type MediaErrorKind = 'corrupt' | 'empty' | 'no-audio';

/** The file is not usable audio. Final: retrying reads the same bytes again. */
export class MediaError extends Error {
  readonly kind: MediaErrorKind;
  readonly path: string;
  readonly retryable = false;
  constructor(kind: MediaErrorKind, path: string, detail: string) {
    super(`${kind} media (${path}): ${detail}`);
    this.name = 'MediaError';
    this.kind = kind;
    this.path = path;
  }
}

export interface MediaProbe {
  /** Length of the first audio stream, from its first packet to the end of its last. */
  durationSeconds: number;
  /** The stream's first timestamp (for a platform's per-speaker tracks, about the track's offset in the recording). */
  startTimeSeconds: number;
  codec: string;
  sampleRate: number;
  channels: number;
}

interface FfprobeOutput {
  streams?: Array<{ index: number; codec_type?: string; codec_name?: string; sample_rate?: string; channels?: number; start_time?: string }>;
  format?: { format_name?: string; start_time?: string };
}

/** What ffprobe says about the first audio stream, with its true length; MediaError when there is none. */
export async function probeMedia(path: string): Promise<MediaProbe> {
  const { size } = await stat(path);
  if (size === 0) throw new MediaError('empty', path, 'the file has no bytes');
  let output: FfprobeOutput;
  try {
    const { stdout } = await execFileAsync('ffprobe', [
      '-v', 'error', '-of', 'json',
      '-show_entries', 'stream=index,codec_type,codec_name,sample_rate,channels,start_time:format=format_name,start_time',
      path,
    ], { maxBuffer: 1024 * 1024 });
    output = JSON.parse(stdout) as FfprobeOutput;
  } catch (error) {
    if (isExitError(error)) throw new MediaError('corrupt', path, error.stderr.trim() || `ffprobe exited with ${error.code}`);
    throw error;
  }
  const audio = output.streams?.find((s) => s.codec_type === 'audio');
  if (!audio) {
    const kinds = (output.streams ?? []).map((s) => s.codec_type ?? '?').join(', ') || 'none';
    throw new MediaError('no-audio', path, `no audio stream (streams: ${kinds})`);
  }
  if (!audio.codec_name) throw new MediaError('corrupt', path, 'audio stream of unknown codec');
  const durationSeconds = await measureDuration(path, audio.index);
  if (durationSeconds <= 0) throw new MediaError('empty', path, 'the audio stream has no samples');
  return {
    durationSeconds,
    startTimeSeconds: finiteOr(audio.start_time, finiteOr(output.format?.start_time, 0)),
    codec: audio.codec_name,
    sampleRate: finiteOr(audio.sample_rate, 0),
    channels: audio.channels ?? 0,
  };
}

/**
 * The container's duration is no help here: a WebM written live has none, and one muxed with a start
 * offset reports its end time (offset included). Demuxing the stream without decoding is exact and fast
 * (thousands of times real time) and holds one packet at a time.
 */
async function measureDuration(path: string, streamIndex: number): Promise<number> {
  let seconds = 0;
  try {
    await runFfmpeg(['-i', path, '-map', `0:${streamIndex}`, '-c', 'copy', '-f', 'null', '-'], {
      onProgressSeconds: (s) => (seconds = s),
    });
  } catch (error) {
    throw new MediaError('corrupt', path, `cannot demux the audio stream: ${(error as Error).message}`);
  }
  return seconds;
}

export interface TrackPlacement {
  /** Where the track's first sample sits on the recording's timeline, in seconds. */
  offsetSeconds: number;
  source: 'key' | 'container';
  /** Present when the key and the container disagree, or when the key could not be read. */
  warning?: string;
}

/** Past this, the key and the container describe different timelines rather than jitter (~0.2 s is normal). */
export const OFFSET_TOLERANCE_SECONDS = 1;

/**
 * The track's offset from the recording's start: (trackStartMs − recordingStartMs) / 1000 from the platform's
 * timeline of it (read from its key, `label`), checked against the container's start time.
 *
 * The key wins a disagreement. Both of its timestamps come from the platform's recording clock and exist
 * precisely to place tracks on one timeline; the container's start time is the first packet's timestamp,
 * which a remux or transcode resets to zero and which RTP-derived timestamps can shift, and nothing
 * relates it to the other tracks. Decode and mixdown both restart each file's timestamps at zero, so
 * exactly one offset is applied per track, and it is this one.
 */
export function placeTrack(key: string, parsed: TrackTimeline | null, probe: Pick<MediaProbe, 'startTimeSeconds'>): TrackPlacement {
  const container = probe.startTimeSeconds;
  if (!parsed) {
    return { offsetSeconds: Math.max(0, container), source: 'container', warning: `track key ${key} has no timestamps; using the container start time ${container.toFixed(3)} s` };
  }
  const offsetSeconds = (parsed.trackStartMs - parsed.recordingStartMs) / 1000;
  const gap = Math.abs(offsetSeconds - container);
  if (gap > OFFSET_TOLERANCE_SECONDS) {
    return {
      offsetSeconds,
      source: 'key',
      warning: `track ${key}: key offset ${offsetSeconds.toFixed(3)} s and container start ${container.toFixed(3)} s differ by ${gap.toFixed(3)} s; using the key`,
    };
  }
  return { offsetSeconds, source: 'key' };
}

function finiteOr(value: string | number | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) ? n : fallback;
}

function isExitError(error: unknown): error is { code: number; stderr: string } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    && typeof (error as { stderr?: unknown }).stderr === 'string';
}

/**
 * A media file's length by its container, read by ffprobe from a path or a URL (an HTTP source is read by ranges,
 * not downloaded whole); null when the container does not say.
 */
export async function probeContainerDuration(source: string): Promise<number | null> {
  try {
    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-of', 'json', '-show_entries', 'format=duration', source], { maxBuffer: 1024 * 1024, timeout: 60_000 });
    const seconds = Number((JSON.parse(stdout) as { format?: { duration?: string } }).format?.duration);
    return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
  } catch (error) {
    if (isExitError(error)) throw new MediaError('corrupt', source.replace(/\?.*$/, ''), error.stderr.trim() || `ffprobe exited with ${error.code}`);
    throw error;
  }
}
