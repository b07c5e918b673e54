import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from './ffmpeg.ts';
import { parseWav, pcm16WavHeader } from './wav.ts';

// A decoded track is cut into the pieces a recognizer is given: only where someone speaks (a participant
// who listens for an hour costs nothing), cut inside silences so no word is split, and never longer than
// the recognizer's window. One silencedetect pass finds the silences; the pieces are then copied out of
// the WAV by a few ffmpeg runs. Memory holds the list of silences and one chunk, never the track.
//
// Pieces are then packed: consecutive pieces go into one chunk, a short silence between them, up to the
// window's length. Whisper reads 30 s windows whatever the audio's length (a 3 s chunk costs about half of a
// full one), and a speaker's turns in a meeting are seconds long with others' turns between them, so packing
// turns dozens of short requests into a few full ones. Each chunk lists its pieces (where each sits in the
// chunk's file and in the track), and toTrackSeconds maps a recognized time back to the track.

export interface ChunkPiece {
  /** Seconds into the chunk's file. */
  at: number;
  /** Seconds from the start of the source WAV. */
  start: number;
  end: number;
}

export interface AudioChunk {
  index: number;
  /** Seconds from the start of the source WAV (the track's first sample): the first piece's start, the last piece's end. */
  start: number;
  end: number;
  /** The chunk file's length: its pieces and the silences between them. */
  durationSeconds: number;
  pieces: ChunkPiece[];
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
  /** Silence put between two pieces packed into one chunk; null: one piece per chunk. Default 0.5 s. */
  packGapSeconds?: number | null;
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
const SAMPLE_RATE = 16_000;

/** Cuts `wavPath` (16 kHz mono 16-bit) into chunks of speech written to `outDir`; a silent track gives []. */
export async function splitAtSilences(wavPath: string, options: SplitOptions): Promise<AudioChunk[]> {
  const maxChunkSeconds = options.maxChunkSeconds ?? 30;
  const minSilenceSeconds = options.minSilenceSeconds ?? 1;
  const noiseDb = options.noiseDb ?? -35;
  const gap = options.packGapSeconds === undefined ? 0.5 : options.packGapSeconds;
  if (!(maxChunkSeconds > 0) || !(minSilenceSeconds > 0)) throw new RangeError('maxChunkSeconds and minSilenceSeconds must be positive');
  if (gap !== null && !(gap >= 0)) throw new RangeError('packGapSeconds must be 0 or more, or null');

  const { silences, durationSeconds } = await detectSilences(wavPath, {
    noiseDb,
    minSeconds: Math.min(PAUSE_SECONDS, minSilenceSeconds),
    signal: options.signal,
  });
  const spans = planChunks(silences, durationSeconds, { maxChunkSeconds, minSilenceSeconds });
  if (spans.length === 0) return [];

  await mkdir(options.outDir, { recursive: true });
  const groups = gap === null ? spans.map((span) => [span]) : packPieces(spans, { maxChunkSeconds, gapSeconds: gap });
  const chunks: AudioChunk[] = [];
  const piecesDir = join(options.outDir, 'pieces');
  if (groups.some((group) => group.length > 1)) await mkdir(piecesDir, { recursive: true });
  // In batches: one ffmpeg writes many pieces, then they are joined (a chunk of one piece is written as is).
  for (let first = 0; first < groups.length; first += CHUNKS_PER_PROCESS) {
    const batch = groups.slice(first, first + CHUNKS_PER_PROCESS).map((group, i) => {
      const index = first + i;
      const wavPath = join(options.outDir, `chunk-${String(index).padStart(4, '0')}.wav`);
      const files = group.length === 1 ? [wavPath] : group.map((_, n) => join(piecesDir, `chunk-${index}-piece-${n}.wav`));
      return { index, group, wavPath, files };
    });
    await writePieces(wavPath, batch.flatMap((c) => c.group.map((span, n) => ({ ...span, wavPath: c.files[n]! }))), options.signal);
    for (const c of batch) {
      if (c.group.length === 1) {
        const span = c.group[0]!;
        chunks.push({ index: c.index, start: span.start, end: span.end, durationSeconds: round3(span.end - span.start), pieces: [{ at: 0, start: span.start, end: span.end }], wavPath: c.wavPath });
        continue;
      }
      chunks.push({ index: c.index, start: c.group[0]!.start, end: c.group.at(-1)!.end, ...(await joinPieces(c.files, c.group, gap ?? 0, c.wavPath)), wavPath: c.wavPath });
    }
  }
  await rm(piecesDir, { recursive: true, force: true });
  return chunks;
}

/**
 * Pure planning, exported for tests: consecutive pieces grouped so that each group, with `gapSeconds` of
 * silence between its pieces, lasts at most `maxChunkSeconds`.
 */
export function packPieces<T extends Span>(pieces: readonly T[], { maxChunkSeconds, gapSeconds }: { maxChunkSeconds: number; gapSeconds: number }): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let length = 0;
  for (const piece of pieces) {
    const own = piece.end - piece.start;
    if (current.length && length + gapSeconds + own > maxChunkSeconds + 1e-9) {
      groups.push(current);
      current = [];
      length = 0;
    }
    length += (current.length ? gapSeconds : 0) + own;
    current.push(piece);
  }
  if (current.length) groups.push(current);
  return groups;
}

/**
 * A time in a chunk's file → seconds in its track. A time in the silence between two pieces goes to the edge of
 * the nearer one; before the first piece, to its start; after the last, to its end.
 */
export function toTrackSeconds(pieces: readonly ChunkPiece[], seconds: number): number {
  return placeInPiece(pieces, seconds).track;
}

/** A word's times in a chunk → in its track, kept inside the piece where the word starts (never across a silence cut out). */
export function wordToTrack(pieces: readonly ChunkPiece[], start: number, end: number): { start: number; end: number } {
  const from = placeInPiece(pieces, start);
  const to = placeInPiece(pieces, end);
  const piece = pieces[from.piece]!;
  const last = to.piece === from.piece ? to.track : piece.end;
  return { start: from.track, end: Math.min(piece.end, Math.max(from.track, last)) };
}

function placeInPiece(pieces: readonly ChunkPiece[], seconds: number): { piece: number; track: number } {
  let nearest = { piece: 0, distance: Number.POSITIVE_INFINITY, track: pieces[0]?.start ?? 0 };
  for (const [i, p] of pieces.entries()) {
    const length = p.end - p.start;
    if (seconds >= p.at && seconds <= p.at + length) return { piece: i, track: round3(p.start + (seconds - p.at)) };
    const before = p.at - seconds;
    const after = seconds - (p.at + length);
    if (before > 0 && before < nearest.distance) nearest = { piece: i, distance: before, track: p.start };
    if (after > 0 && after < nearest.distance) nearest = { piece: i, distance: after, track: p.end };
  }
  return { piece: nearest.piece, track: nearest.track };
}

/** Joins piece WAVs (16 kHz mono 16-bit, as ffmpeg wrote them) into one, `gap` seconds of silence between them. */
async function joinPieces(files: string[], spans: Span[], gap: number, out: string): Promise<{ durationSeconds: number; pieces: ChunkPiece[] }> {
  const parts: Buffer[] = [];
  const pieces: ChunkPiece[] = [];
  const gapBytes = Buffer.alloc(Math.round(gap * SAMPLE_RATE) * 2);
  let bytes = 0;
  for (const [i, file] of files.entries()) {
    if (i > 0) {
      parts.push(gapBytes);
      bytes += gapBytes.length;
    }
    const wav = await readFile(file);
    const info = parseWav(wav);
    const data = wav.subarray(info.dataOffset, info.dataOffset + info.dataLength - (info.dataLength % 2));
    pieces.push({ at: round3(bytes / 2 / SAMPLE_RATE), start: spans[i]!.start, end: round3(spans[i]!.start + data.length / 2 / SAMPLE_RATE) });
    parts.push(data);
    bytes += data.length;
  }
  await writeFile(out, Buffer.concat([pcm16WavHeader(bytes, SAMPLE_RATE, 1), ...parts]));
  await Promise.all(files.map((file) => rm(file, { force: true })));
  return { durationSeconds: round3(bytes / 2 / SAMPLE_RATE), pieces };
}

/** Starting ffmpeg costs more than copying a chunk out, so one process writes many. */
const CHUNKS_PER_PROCESS = 48;

/**
 * One ffmpeg reads the stretch the chunks cover (input seeking in PCM WAV is sample-exact) and writes one
 * output per chunk, each trimmed with atrim relative to that stretch.
 */
async function writePieces(wavPath: string, chunks: ReadonlyArray<Span & { wavPath: string }>, signal: AbortSignal | undefined): Promise<void> {
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
const round3 = (seconds: number) => Math.round(seconds * 1000) / 1000;
