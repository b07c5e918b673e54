import type { RecognizedWord, Segment, Speaker, TimedWord } from './words.ts';

// Each track was transcribed alone, so each word already has its speaker; putting the meeting together
// is a sort by time and a walk that starts a new turn when the speaker changes or after a pause.

export interface MergeOptions {
  /** A pause longer than this starts a new segment even for the same speaker. Default 2 s. */
  maxGapSeconds?: number;
}

export const DEFAULT_MAX_GAP_SECONDS = 2;

/** Words recognized in a chunk, placed on the recording's timeline: offset = track offset + chunk start. */
export function placeWords(words: readonly RecognizedWord[], placement: { offsetSeconds: number; speaker: number }): TimedWord[] {
  return words.map((word) => ({
    text: word.text,
    start: roundMs(placement.offsetSeconds + word.start),
    end: roundMs(placement.offsetSeconds + word.end),
    confidence: word.confidence,
    speaker: placement.speaker,
  }));
}

/**
 * Words from all tracks, in any order, become speaker turns sorted by time. Words are ordered by start,
 * then speaker; the sort is stable, so words equal on both keep their input order (the same input
 * always gives the same transcript).
 *
 * Overlapping speech interleaves: while two people talk at once their words alternate by start time,
 * giving short alternating segments. That keeps every word at the moment it was said, which captions and
 * click-to-seek depend on; holding one speaker's turn together would move the other's words out of place.
 */
export function mergeIntoSegments(words: readonly TimedWord[], speakers: readonly Speaker[], options: MergeOptions = {}): Segment[] {
  const maxGap = options.maxGapSeconds ?? DEFAULT_MAX_GAP_SECONDS;
  const names = new Map(speakers.map((s) => [s.index, s.name]));
  const ordered = words
    .filter((word) => word.text.trim() !== '')
    .toSorted((a, b) => a.start - b.start || a.speaker - b.speaker);

  const segments: Segment[] = [];
  let current: Segment | null = null;
  for (const word of ordered) {
    if (!current || word.speaker !== current.speaker || word.start - current.end > maxGap) {
      current = { speaker: word.speaker, speakerName: speakerName(names, word.speaker), start: word.start, end: word.end, text: '', words: [] };
      segments.push(current);
    }
    current.words.push(word);
    current.end = Math.max(current.end, word.end);
  }
  for (const segment of segments) segment.text = joinWords(segment.words);
  return segments;
}

export function speakerName(names: ReadonlyMap<number, string>, speaker: number): string {
  const name = names.get(speaker)?.trim();
  return name ? name : `Speaker ${speaker + 1}`;
}

/** Punctuation a recognizer returns as its own token sticks to the word before it. */
const ATTACHES_LEFT = /^[.,!?;:%)\]}…]/;

export function joinWords(words: ReadonlyArray<Pick<RecognizedWord, 'text'>>): string {
  let text = '';
  for (const word of words) {
    const token = word.text.replace(/\s+/g, ' ').trim();
    if (!token) continue;
    text += text && !ATTACHES_LEFT.test(token) ? ` ${token}` : token;
  }
  return text;
}

const roundMs = (seconds: number) => Math.round(seconds * 1000) / 1000;
