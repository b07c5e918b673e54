import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from './ffmpeg.ts';

// A decoded track is cut into the pieces a recognizer is given: only where someone speaks (a participant
// who listens for an hour costs nothing), cut inside silences so no word is split, and never longer than
// the recognizer's window. One silencedetect pass finds the silences; the chunks are then copied out of
// the WAV by a few ffmpeg runs. Memory holds the list of silences, never audio.

export interface AudioChunk {
  index: number;
  /** Seconds from the start of the source WAV (the track's first sample). */
  start: number;
  end: number;
  wavPath: string;
}

export interface SplitOptions {
  outDir: string;
  /** No chunk is longer; a stretch of speech without a pause is cut hard. Default 30 (Whisper's window). */
  maxChunkSeconds?: number;
  /** Silences at least this long are left out of every chunk. Default 1. */
  minSilenceSeconds?: number;
  /** Samples quieter than this count as silence. Default -35 dB. */
  noiseDb?: number;
  signal?: AbortSignal | undefined;
}

interface Span {
  start: number;
  end: number;
}

/** Shorter pauses inside speech are where a too-long stretch is preferably cut. */
const PAUSE_SECONDS = 0.2;
/** Speech is kept this far into the silences around it: the detector misses soft onsets and trailing sounds. */
const EDGE_PADDING_SECONDS = 0.2;
/** Less sound than this between two silences is a click, not a word. */
const MIN_VOICED_SECONDS = 0.1;

/** Cuts `wavPath` into chunks of speech written to `outDir`; a silent track gives []. */
export async function splitAtSilences(wavPath: string, options: SplitOptions): Promise<AudioChunk[]> {
  const maxChunkSeconds = options.maxChunkSeconds ?? 30;
  const minSilenceSeconds = options.minSilenceSeconds ?? 1;
  const noiseDb = options.noiseDb ?? -35;
  if (!(maxChunkSeconds > 0) || !(minSilenceSeconds > 0)) throw new RangeError('maxChunkSeconds and minSilenceSeconds must be positive');

  const { silences, durationSeconds } = await detectSilences(wavPath, {
    noiseDb,
    minSeconds: Math.min(PAUSE_SECONDS, minSilenceSeconds),
    signal: options.signal,
  });
  const spans = planChunks(silences, durationSeconds, { maxChunkSeconds, minSilenceSeconds });
  if (spans.length === 0) return [];

  await mkdir(options.outDir, { recursive: true });
  const chunks = spans.map((span, index) => ({ index, ...span, wavPath: join(options.outDir, `chunk-${String(index).padStart(4, '0')}.wav`) }));
  for (let first = 0; first < chunks.length; first += CHUNKS_PER_PROCESS) {
    await writeChunks(wavPath, chunks.slice(first, first + CHUNKS_PER_PROCESS), options.signal);
  }
  return chunks;
}

/** Starting ffmpeg costs more than copying a chunk out, so one process writes many. */
const CHUNKS_PER_PROCESS = 48;

/**
 * One ffmpeg reads the stretch the chunks cover (input seeking in PCM WAV is sample-exact) and writes one
 * output per chunk, each trimmed with atrim relative to that stretch.
 */
async function writeChunks(wavPath: string, chunks: readonly AudioChunk[], signal: AbortSignal | undefined): Promise<void> {
  const from = chunks[0]!.start;
  const to = chunks.at(-1)!.end;
  const args = ['-ss', from.toFixed(3), '-t', (to - from).toFixed(3), '-i', wavPath];
  for (const chunk of chunks) {
    const trim = `atrim=start=${(chunk.start - from).toFixed(6)}:end=${(chunk.end - from).toFixed(6)},asetpts=PTS-STARTPTS`;
    args.push('-map', '0:a:0', '-af', trim, '-c:a', 'pcm_s16le', '-f', 'wav', chunk.wavPath);
  }
  await runFfmpeg(args, { signal });
}

/** Silences of at least `minSeconds` (ffmpeg silencedetect), and the audio's length, in one decoding pass. */
export async function detectSilences(
  audioPath: string,
  options: { noiseDb: number; minSeconds: number; signal?: AbortSignal | undefined },
): Promise<{ silences: Span[]; durationSeconds: number }> {
  const silences: Span[] = [];
  let openStart: number | null = null;
  let durationSeconds = 0;
  await runFfmpeg(['-i', audioPath, '-map', '0:a:0', '-af', `silencedetect=noise=${options.noiseDb}dB:duration=${options.minSeconds}`, '-f', 'null', '-'], {
    logLevel: 'info',
    signal: options.signal,
    onProgressSeconds: (seconds) => (durationSeconds = seconds),
    onStderrLine: (line) => {
      const start = /silence_start: (-?[\d.]+)/.exec(line);
      if (start) openStart = Math.max(0, Number(start[1]));
      const end = /silence_end: (-?[\d.]+)/.exec(line);
      if (end && openStart !== null) {
        silences.push({ start: openStart, end: Number(end[1]) });
        openStart = null;
      }
    },
  });
  // A file that ends in silence may report the start without an end.
  if (openStart !== null) silences.push({ start: openStart, end: durationSeconds });
  return { silences: silences.map((s) => ({ start: s.start, end: Math.min(s.end, durationSeconds) })).filter((s) => s.end > s.start), durationSeconds };
}

/**
 * Pure planning, exported for tests: the stretches between long silences, padded a little into them,
 * each cut into pieces of at most `maxChunkSeconds` at the latest short pause that fits, or evenly when
 * there is none. `silences` must be sorted and disjoint.
 */
export function planChunks(
  silences: readonly Span[],
  durationSeconds: number,
  { maxChunkSeconds, minSilenceSeconds }: { maxChunkSeconds: number; minSilenceSeconds: number },
): Span[] {
  const long = silences.filter((s) => s.end - s.start >= minSilenceSeconds);
  const pauses = silences.filter((s) => s.end - s.start < minSilenceSeconds).map((s) => floor3((s.start + s.end) / 2));

  const spans: Span[] = [];
  let cursor = 0;
  let before = 0; // length of the silence before the current stretch (0 at the start of the file)
  for (const silence of [...long, { start: durationSeconds, end: durationSeconds }]) {
    if (silence.start - cursor >= MIN_VOICED_SECONDS) {
      const after = silence.end - silence.start;
      spans.push({
        start: Math.max(0, cursor - Math.min(EDGE_PADDING_SECONDS, before / 2)),
        end: Math.min(durationSeconds, silence.start + Math.min(EDGE_PADDING_SECONDS, after / 2)),
      });
    }
    cursor = Math.max(cursor, silence.end);
    before = silence.end - silence.start;
  }

  // In whole milliseconds, rounded down at the ends, so no piece is longer than the limit.
  const pieces: Span[] = [];
  for (const span of spans) {
    let start = Math.round(span.start * 1000) / 1000;
    const end = floor3(span.end);
    while (end - start > maxChunkSeconds) {
      const latestPause = pauses.filter((p) => p > start && p <= start + maxChunkSeconds).at(-1);
      const remaining = end - start;
      const cut = latestPause ?? floor3(start + remaining / Math.ceil(remaining / maxChunkSeconds));
      if (cut <= start) break;
      pieces.push({ start, end: cut });
      start = cut;
    }
    pieces.push({ start, end });
  }
  return pieces.filter((p) => p.end > p.start);
}

const floor3 = (seconds: number) => Math.floor(seconds * 1000 + 1e-6) / 1000;
