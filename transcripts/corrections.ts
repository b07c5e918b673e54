// Corrections of an ended transcript, as pure functions over its content (speaker turns and participants):
// rename a speaker, merge one speaker into another, move a turn to another speaker, edit a turn's text, and
// revert an earlier correction. Each answers the new content and the parts it changed, before and after, so
// that the change can be kept and reverted later (a revert applies `before` as a new correction).
//
// A text edit keeps the times of the words it leaves alone: the old and new words are matched by a longest
// common subsequence; a kept word keeps its start and end, and each run of new words is spread over the time
// between its kept neighbours (the turn's start and end at the edges), by length.
import { joinWords, speakerName } from './merge.ts';
import type { Segment, TimedWord } from './words.ts';
import type { TranscriptParticipant } from '../db/entities.ts';

export const CORRECTION_KINDS = ['rename-speaker', 'merge-speakers', 'move-turn', 'edit-text', 'revert'] as const;
export type CorrectionKind = (typeof CORRECTION_KINDS)[number];

export interface TranscriptContent {
  segments: Segment[];
  participants: TranscriptParticipant[];
}

/** One turn as it was or became: its index in the transcript and what it held. */
export interface TurnState {
  index: number;
  speaker: number;
  start: number;
  end: number;
  text: string;
  words: TimedWord[];
}

/** The parts of a transcript one correction changed: the participants (all of them) and/or some turns. */
export interface ContentPart {
  participants?: TranscriptParticipant[];
  turns?: TurnState[];
}

export interface Correction {
  kind: CorrectionKind;
  /** One line for the history: `Renamed "Speaker 2" to "Grace"`. */
  summary: string;
  before: ContentPart;
  after: ContentPart;
  content: TranscriptContent;
}

/** A correction that cannot be made as asked; `status` and `code` are the API's answer. */
export class CorrectionError extends Error {
  readonly status: 400 | 404 | 409;
  readonly code: string;
  constructor(status: 400 | 404 | 409, code: string, message: string) {
    super(message);
    this.name = 'CorrectionError';
    this.status = status;
    this.code = code;
  }
}

/**
 * The content as stored: turns from segments.json, and every speaker (the transcript's participants, plus any
 * speaker a turn names that the participants lack). Old segments without `words` read as having none.
 */
export function contentOf(segments: readonly Segment[], participants: readonly TranscriptParticipant[] | null | undefined): TranscriptContent {
  const people = (participants ?? []).map((p) => ({ ...p }));
  for (const segment of segments) {
    if (!people.some((p) => p.speaker === segment.speaker)) {
      people.push({ speaker: segment.speaker, name: segment.speakerName ?? '', platformParticipantId: null, userId: null });
    }
  }
  return { segments: segments.map((s) => ({ ...s, words: s.words ?? [] })), participants: people.toSorted((a, b) => a.speaker - b.speaker) };
}

export function renameSpeaker(content: TranscriptContent, speaker: number, name: string): Correction {
  const person = participantOf(content, speaker);
  const trimmed = name.replace(/\s+/g, ' ').trim();
  if (!trimmed) throw new CorrectionError(400, 'invalid_name', 'A speaker\'s name must not be empty');
  const old = speakerName(namesOf(content.participants), speaker);
  if (person.name === trimmed) throw new CorrectionError(400, 'unchanged', `Speaker ${speaker} is already called "${trimmed}"`);
  const participants = content.participants.map((p) => (p.speaker === speaker ? { ...p, name: trimmed } : p));
  return correction('rename-speaker', `Renamed "${old}" to "${trimmed}"`, content, { participants });
}

/** Every turn of `from` becomes `into`'s, and `from` leaves the participants (a revert brings it back). */
export function mergeSpeakers(content: TranscriptContent, from: number, into: number): Correction {
  participantOf(content, from);
  participantOf(content, into);
  if (from === into) throw new CorrectionError(400, 'same_speaker', 'A speaker cannot be merged into themselves');
  const names = namesOf(content.participants);
  const turns = content.segments.flatMap((segment, index) => (segment.speaker === from ? [{ ...turnState(segment, index), speaker: into }] : []));
  const participants = content.participants.filter((p) => p.speaker !== from);
  return correction('merge-speakers', `Merged "${speakerName(names, from)}" into "${speakerName(names, into)}" (${turns.length} turn(s))`, content, { participants, turns });
}

export function moveTurn(content: TranscriptContent, index: number, speaker: number): Correction {
  const segment = turnAt(content, index);
  participantOf(content, speaker);
  if (segment.speaker === speaker) throw new CorrectionError(400, 'unchanged', `Turn ${index} is already ${segment.speakerName}'s`);
  const names = namesOf(content.participants);
  return correction('move-turn', `Moved turn ${index} from "${speakerName(names, segment.speaker)}" to "${speakerName(names, speaker)}"`, content, {
    turns: [{ ...turnState(segment, index), speaker }],
  });
}

export function editText(content: TranscriptContent, index: number, text: string): Correction {
  const segment = turnAt(content, index);
  const tokens = text.split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new CorrectionError(400, 'invalid_text', 'A turn\'s text must not be empty');
  if (joinWords(tokens.map((t) => ({ text: t }))) === segment.text) throw new CorrectionError(400, 'unchanged', `Turn ${index} already says that`);
  const words = retimeWords(displayWords(segment), tokens, { start: segment.start, end: segment.end, speaker: segment.speaker });
  return correction('edit-text', `Edited the text of turn ${index}`, content, { turns: [{ ...turnState(segment, index), text: joinWords(words), words }] });
}

/** Puts back what an earlier correction changed (`before`), as a correction of its own. */
export function revertCorrection(content: TranscriptContent, earlier: { before: ContentPart; summary: string }): Correction {
  for (const turn of earlier.before.turns ?? []) {
    if (!content.segments[turn.index]) throw new CorrectionError(409, 'not_revertible', `Turn ${turn.index} no longer exists (the transcript was made again since)`);
  }
  return correction('revert', `Reverted: ${earlier.summary}`.slice(0, 512), content, earlier.before);
}

/** Applies a part to the content: participants replaced, turns replaced, every turn's speaker name from the participants. */
export function applyPart(content: TranscriptContent, part: ContentPart): TranscriptContent {
  const participants = (part.participants ?? content.participants).map((p) => ({ ...p }));
  const segments = content.segments.map((s) => ({ ...s }));
  for (const turn of part.turns ?? []) {
    segments[turn.index] = { ...segments[turn.index]!, speaker: turn.speaker, start: turn.start, end: turn.end, text: turn.text, words: turn.words };
  }
  const names = namesOf(participants);
  for (const segment of segments) {
    segment.speakerName = speakerName(names, segment.speaker);
    segment.words = segment.words.map((w) => (w.speaker === segment.speaker ? w : { ...w, speaker: segment.speaker }));
  }
  return { segments, participants };
}

function correction(kind: CorrectionKind, summary: string, content: TranscriptContent, after: ContentPart): Correction {
  const before: ContentPart = {};
  if (after.participants) before.participants = content.participants.map((p) => ({ ...p }));
  if (after.turns) before.turns = after.turns.map((t) => turnState(content.segments[t.index]!, t.index));
  return { kind, summary, before, after, content: applyPart(content, after) };
}

function turnState(segment: Segment, index: number): TurnState {
  return { index, speaker: segment.speaker, start: segment.start, end: segment.end, text: segment.text, words: segment.words };
}

function participantOf(content: TranscriptContent, speaker: number): TranscriptParticipant {
  const person = content.participants.find((p) => p.speaker === speaker);
  if (!person) throw new CorrectionError(404, 'speaker_not_found', `This transcript has no speaker ${speaker}`);
  return person;
}

function turnAt(content: TranscriptContent, index: number): Segment {
  const segment = content.segments[index];
  if (!segment) throw new CorrectionError(404, 'turn_not_found', `This transcript has no turn ${index} (it has ${content.segments.length})`);
  return segment;
}

const namesOf = (participants: readonly TranscriptParticipant[]) => new Map(participants.map((p) => [p.speaker, p.name]));

type Placed = Pick<TimedWord, 'text' | 'start' | 'end' | 'confidence'>;

/** The turn's words as they read: punctuation the recognizer gave as a token of its own joins the word before it. */
export function displayWords(segment: Pick<Segment, 'words' | 'text' | 'start' | 'end'>): Placed[] {
  const words = segment.words.filter((w) => w.text.trim() !== '');
  if (words.length === 0) return spreadOver(segment.text.split(/\s+/).filter(Boolean), segment.start, segment.end);
  const shown: Placed[] = [];
  for (const word of words) {
    const text = word.text.replace(/\s+/g, ' ').trim();
    const last = shown.at(-1);
    if (last && joinWords([{ text: 'x' }, { text }]) === `x${text}`) {
      last.text += text;
      last.end = Math.max(last.end, word.end);
    } else {
      shown.push({ text, start: word.start, end: word.end, confidence: word.confidence });
    }
  }
  return shown;
}

/** New tokens placed on the timeline: those the old words share (LCS) keep their times, the others fill the gaps. */
export function retimeWords(old: readonly Placed[], tokens: readonly string[], turn: { start: number; end: number; speaker: number }): TimedWord[] {
  const n = old.length;
  const m = tokens.length;
  // lengths[i][j]: the LCS of old[i..] and tokens[j..].
  const lengths = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[at(i, j)] = old[i]!.text === tokens[j] ? lengths[at(i + 1, j + 1)]! + 1 : Math.max(lengths[at(i + 1, j)]!, lengths[at(i, j + 1)]!);
    }
  }
  const kept = new Map<number, Placed>();
  for (let i = 0, j = 0; i < n && j < m;) {
    if (old[i]!.text === tokens[j]) kept.set(j++, old[i++]!);
    else if (lengths[at(i + 1, j)]! >= lengths[at(i, j + 1)]!) i++;
    else j++;
  }
  const placed: TimedWord[] = [];
  for (let j = 0; j < m;) {
    const keep = kept.get(j);
    if (keep) {
      placed.push({ text: keep.text, start: keep.start, end: keep.end, confidence: keep.confidence, speaker: turn.speaker });
      j++;
      continue;
    }
    let next = j;
    while (next < m && !kept.has(next)) next++;
    const from = placed.at(-1)?.end ?? turn.start;
    const to = kept.get(next)?.start ?? turn.end;
    for (const word of spreadOver(tokens.slice(j, next), from, Math.max(from, to))) placed.push({ ...word, speaker: turn.speaker });
    j = next;
  }
  return placed;
}

/** Tokens spread over [from, to] by their length, in milliseconds. */
function spreadOver(tokens: readonly string[], from: number, to: number): Placed[] {
  const total = tokens.reduce((sum, t) => sum + t.length, 0) || 1;
  let cursor = from;
  return tokens.map((text) => {
    const start = cursor;
    cursor += ((to - from) * text.length) / total;
    return { text, start: roundMs(start), end: roundMs(cursor), confidence: null };
  });
}

const roundMs = (seconds: number) => Math.round(seconds * 1000) / 1000;
