// A transcript as prompt text: "Name [mm:ss]: text" lines, token estimates and budget-sized chunks.
import type { Segment } from '../transcripts/words.ts';

/** The usual rule of thumb for English text with GPT-style tokenizers; a model's tokenizer may differ. */
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** `mm:ss`, or `h:mm:ss` from one hour on. */
export function formatTimestamp(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Seconds from `mm:ss` or `h:mm:ss` (brackets tolerated); null when it is neither. */
export function parseTimestamp(text: string): number | null {
  const match = /^\[?\s*(?:(\d+):)?(\d{1,3}):(\d{2})\s*\]?$/.exec(text.trim());
  if (!match) return null;
  const [, h, m, s] = match;
  if (Number(s) >= 60 || (h !== undefined && Number(m) >= 60)) return null;
  return Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s);
}

/** One prompt line: a speaker turn, or a piece of one too long for a chunk. */
export interface TranscriptLine {
  speakerName: string;
  start: number;
  end: number;
  text: string;
}

export function renderLine(line: TranscriptLine): string {
  return `${line.speakerName} [${formatTimestamp(line.start)}]: ${line.text}`;
}

/**
 * Speaker turns as lines, each at most `maxLineChars` long when rendered: a longer turn is cut between words,
 * each piece timed by its share of the turn's text.
 */
export function transcriptLines(segments: readonly Segment[], maxLineChars: number): TranscriptLine[] {
  const lines: TranscriptLine[] = [];
  for (const segment of segments) {
    const text = segment.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const speakerName = segment.speakerName.replace(/\s+/g, ' ').trim() || `Speaker ${segment.speaker}`;
    const prefix = `${speakerName} [${formatTimestamp(segment.end)}]: `.length;
    const room = Math.max(16, maxLineChars - prefix);
    const duration = Math.max(0, segment.end - segment.start);
    for (const piece of splitText(text, room)) {
      lines.push({
        speakerName,
        start: segment.start + (duration * piece.offset) / text.length,
        end: segment.start + (duration * (piece.offset + piece.text.length)) / text.length,
        text: piece.text,
      });
    }
  }
  return lines;
}

/** Pieces of at most `room` characters, cut at spaces when there is one (a very long "word" is cut anyway). */
function splitText(text: string, room: number): Array<{ text: string; offset: number }> {
  const pieces: Array<{ text: string; offset: number }> = [];
  let offset = 0;
  while (offset < text.length) {
    if (text.length - offset <= room) {
      pieces.push({ text: text.slice(offset), offset });
      break;
    }
    const window = text.slice(offset, offset + room + 1);
    const cut = window.lastIndexOf(' ');
    const length = cut > 0 ? cut : room;
    pieces.push({ text: text.slice(offset, offset + length).trim(), offset });
    offset += length;
    while (text[offset] === ' ') offset++;
  }
  return pieces;
}

/**
 * Consecutive groups whose rendered size (plus a newline each) stays within `budgetChars`. Every item must
 * fit on its own; the caller sizes lines so that it does.
 */
export function chunkBySize<T>(items: readonly T[], size: (item: T) => number, budgetChars: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const cost = size(item) + 1;
    if (current.length > 0 && used + cost > budgetChars) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
