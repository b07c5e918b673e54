import { joinWords } from './merge.ts';
import type { Segment, Speaker, TimedWord } from './words.ts';

// A transcript's downloadable forms: WebVTT (captions with speaker voices), SRT, plain text with or without
// times, and JSON. Caption formats share one cue layout: a speaker turn is cut at word boundaries into cues
// short enough to read (at most ~7 s, two lines). parseWebVTT reads WebVTT back and rejects malformed files.

export interface CueLayout {
  /** Default 7. */
  maxCueSeconds?: number;
  /** Default 42, the common broadcast line length. */
  maxLineChars?: number;
  /** Default 2. */
  maxLines?: number;
}

/** One caption: a piece of a speaker turn. */
export interface Cue {
  start: number;
  end: number;
  speaker: number;
  speakerName: string;
  /** The cue's text, already wrapped (at most `maxLines` lines unless a single word is longer). */
  lines: string[];
}

/** Cues for all segments, sorted by start (stable), each ending after it starts. */
export function segmentsToCues(segments: readonly Segment[], layout: CueLayout = {}): Cue[] {
  const maxSeconds = layout.maxCueSeconds ?? 7;
  const lineChars = layout.maxLineChars ?? 42;
  const maxChars = lineChars * (layout.maxLines ?? 2);
  const cues: Cue[] = [];
  for (const segment of segments) {
    let group: Array<Pick<TimedWord, 'text' | 'start' | 'end'>> = [];
    const flush = () => {
      if (group.length === 0) return;
      const start = toMs(group[0]!.start);
      const end = Math.max(toMs(Math.max(...group.map((w) => w.end))), start + 1);
      cues.push({ start: start / 1000, end: end / 1000, speaker: segment.speaker, speakerName: segment.speakerName, lines: wrap(joinWords(group), lineChars) });
      group = [];
    };
    for (const word of wordsOf(segment)) {
      const tooLong = group.length > 0 && (word.end - group[0]!.start > maxSeconds || joinWords([...group, word]).length > maxChars);
      if (tooLong) flush();
      group.push(word);
    }
    flush();
  }
  return cues.toSorted((a, b) => a.start - b.start);
}

/** A segment's words, or, for a segment without them (edited text), its text spread evenly over its time. */
function wordsOf(segment: Segment): Array<Pick<TimedWord, 'text' | 'start' | 'end'>> {
  const words = segment.words.filter((w) => w.text.trim() !== '');
  if (words.length > 0) return words;
  const tokens = segment.text.split(/\s+/).filter(Boolean);
  const totalChars = tokens.reduce((sum, t) => sum + t.length, 0) || 1;
  const span = Math.max(0, segment.end - segment.start);
  let at = segment.start;
  return tokens.map((text) => {
    const start = at;
    at += (span * text.length) / totalChars;
    return { text, start, end: at };
  });
}

/** Breaks text into lines of at most `width` at spaces, balancing two lines around the middle. */
function wrap(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const spaces = [...text.matchAll(/ /g)].map((m) => m.index);
  if (spaces.length === 0) return [text];
  const fitting = spaces.filter((i) => i <= width && text.length - i - 1 <= width);
  const pool = fitting.length > 0 ? fitting : spaces;
  const middle = text.length / 2;
  const at = pool.reduce((best, i) => (Math.abs(i - middle) < Math.abs(best - middle) ? i : best));
  return [text.slice(0, at), ...wrap(text.slice(at + 1), width)];
}

// ---- WebVTT ----

/** `&`, `<` and `>` as character references: WebVTT's only markup characters (and it breaks up `-->`). */
export function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function toWebVTT(segments: readonly Segment[], layout: CueLayout = {}): string {
  const blocks = segmentsToCues(segments, layout).map((cue) => {
    const name = escapeVtt(cue.speakerName.replace(/\s+/g, ' ').trim() || `Speaker ${cue.speaker + 1}`);
    const text = cue.lines.map(escapeVtt).join('\n');
    return `${vttTime(cue.start)} --> ${vttTime(cue.end)}\n<v ${name}>${text}`;
  });
  return ['WEBVTT', ...blocks].join('\n\n') + '\n';
}

/** `HH:MM:SS.mmm` (hours grow past two digits when needed). */
export function vttTime(seconds: number): string {
  return clock(seconds, '.');
}

export interface ParsedCue {
  identifier: string | null;
  start: number;
  end: number;
  /** Cue settings after the timings, verbatim ('' when none). */
  settings: string;
  /** The first voice span's annotation, with character references decoded; null when the cue has none. */
  voice: string | null;
  /** The payload without tags and with character references decoded; lines joined by '\n'. */
  text: string;
}

export class WebVTTParseError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(`WebVTT line ${line}: ${message}`);
    this.name = 'WebVTTParseError';
    this.line = line;
  }
}

const TIMESTAMP = String.raw`(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})`;
const TIMING_LINE = new RegExp(String.raw`^${TIMESTAMP}[ \t]+-->[ \t]+${TIMESTAMP}(?:[ \t]+(.*))?$`);

/**
 * A strict reader for the WebVTT this module writes and for ordinary WebVTT: the signature line, blocks
 * separated by blank lines, NOTE/STYLE/REGION blocks skipped, valid timings with start < end and starts
 * never decreasing, and cue text whose tags and character references are well formed.
 */
export function parseWebVTT(input: string): ParsedCue[] {
  const lines = input.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  if (!/^WEBVTT(?:[ \t].*)?$/.test(lines[0] ?? '')) throw new WebVTTParseError('the file must start with "WEBVTT"', 1);
  let i = 1;
  while (i < lines.length && lines[i] !== '') {
    if (lines[i]!.includes('-->')) throw new WebVTTParseError('a blank line must follow the header', i + 1);
    i++;
  }
  const cues: ParsedCue[] = [];
  while (i < lines.length) {
    if (lines[i] === '') {
      i++;
      continue;
    }
    const blockStart = i;
    const block: string[] = [];
    while (i < lines.length && lines[i] !== '') block.push(lines[i++]!);
    if (/^(NOTE|STYLE|REGION)(?:[ \t]|$)/.test(block[0]!)) {
      if (block[0]!.startsWith('NOTE') || cues.length === 0) continue;
      throw new WebVTTParseError(`${block[0]!.split(/[ \t]/)[0]} blocks must come before the first cue`, blockStart + 1);
    }
    const hasIdentifier = !block[0]!.includes('-->');
    const timingIndex = hasIdentifier ? 1 : 0;
    const timingLine = block[timingIndex];
    const lineNumber = blockStart + Math.min(timingIndex, block.length - 1) + 1;
    const timing = timingLine === undefined ? null : TIMING_LINE.exec(timingLine);
    if (!timing) throw new WebVTTParseError(`expected cue timings "HH:MM:SS.mmm --> HH:MM:SS.mmm", got ${JSON.stringify(timingLine ?? '')}`, lineNumber);
    const start = seconds(timing, 1);
    const end = seconds(timing, 5);
    if (!(end > start)) throw new WebVTTParseError('a cue must end after it starts', lineNumber);
    const previous = cues.at(-1);
    if (previous && start < previous.start) throw new WebVTTParseError('cue start times must not decrease', lineNumber);
    const payload = block.slice(timingIndex + 1);
    const badLine = payload.findIndex((line) => line.includes('-->'));
    if (badLine >= 0) throw new WebVTTParseError('cue text must not contain "-->"', lineNumber + 1 + badLine);
    const { voice, text } = parseCueText(payload.join('\n'), lineNumber + 1);
    cues.push({ identifier: hasIdentifier ? block[0]! : null, start, end, settings: timing[9] ?? '', voice, text });
  }
  return cues;
}

function seconds(match: RegExpExecArray, from: number): number {
  const [h, m, s, ms] = [match[from], match[from + 1], match[from + 2], match[from + 3]].map((v) => Number(v ?? 0));
  return h! * 3600 + m! * 60 + s! + ms! / 1000;
}

const SPAN_TAGS = new Set(['c', 'i', 'b', 'u', 'ruby', 'rt', 'v', 'lang']);
const NAMED_REFERENCES: Record<string, string> = { amp: '&', lt: '<', gt: '>', lrm: '\u200e', rlm: '\u200f', nbsp: '\u00a0' };

function parseCueText(payload: string, line: number): { voice: string | null; text: string } {
  let voice: string | null = null;
  let text = '';
  let at = 0;
  while (at < payload.length) {
    const char = payload[at]!;
    if (char === '&') {
      const { value, length } = characterReference(payload, at, line);
      text += value;
      at += length;
    } else if (char === '<') {
      const close = payload.indexOf('>', at);
      if (close < 0) throw new WebVTTParseError(`unterminated tag in ${JSON.stringify(payload)}`, line);
      const tag = payload.slice(at + 1, close);
      at = close + 1;
      if (new RegExp(`^${TIMESTAMP}$`).test(tag)) continue;
      const closing = /^\/([a-z]+)$/.exec(tag);
      if (closing) {
        if (!SPAN_TAGS.has(closing[1]!)) throw new WebVTTParseError(`unknown end tag </${closing[1]}>`, line);
        continue;
      }
      const opening = /^([a-z]+)((?:\.[^\s.>]+)*)(?:[ \t]+(.*))?$/.exec(tag);
      if (!opening || !SPAN_TAGS.has(opening[1]!)) throw new WebVTTParseError(`unknown tag <${tag}>`, line);
      const annotation = opening[3]?.trim() ?? '';
      if (opening[1] === 'v' || opening[1] === 'lang') {
        if (!annotation) throw new WebVTTParseError(`<${opening[1]}> needs an annotation`, line);
      } else if (annotation) {
        throw new WebVTTParseError(`<${opening[1]}> takes no annotation`, line);
      }
      if (opening[1] === 'v' && voice === null) voice = decodeReferences(annotation, line);
    } else {
      text += char;
      at++;
    }
  }
  return { voice, text };
}

function characterReference(text: string, at: number, line: number): { value: string; length: number } {
  const match = /^&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));/.exec(text.slice(at, at + 12));
  const named = match?.[3] === undefined ? undefined : NAMED_REFERENCES[match[3]];
  const code = match?.[1] !== undefined ? Number(match[1]) : match?.[2] !== undefined ? Number.parseInt(match[2], 16) : undefined;
  if (named !== undefined) return { value: named, length: match![0].length };
  if (code !== undefined && code <= 0x10ffff) return { value: String.fromCodePoint(code), length: match![0].length };
  throw new WebVTTParseError(`"&" must start a character reference such as &amp; (at ${JSON.stringify(text.slice(at, at + 12))})`, line);
}

function decodeReferences(text: string, line: number): string {
  let out = '';
  for (let at = 0; at < text.length;) {
    if (text[at] === '&') {
      const { value, length } = characterReference(text, at, line);
      out += value;
      at += length;
    } else {
      out += text[at++];
    }
  }
  return out;
}

// ---- SRT ----

/** SubRip: numbered cues, `HH:MM:SS,mmm` times, the speaker's name before the text (SRT has no voices). */
export function toSRT(segments: readonly Segment[], layout: CueLayout = {}): string {
  return segmentsToCues(segments, layout)
    .map((cue, i) => {
      const [first = '', ...rest] = cue.lines;
      return `${i + 1}\n${clock(cue.start, ',')} --> ${clock(cue.end, ',')}\n${[`${cue.speakerName}: ${first}`, ...rest].join('\n')}\n`;
    })
    .join('\n');
}

// ---- Plain text ----

/** One line per segment: "Name: text", or "[HH:MM:SS] Name: text" with timestamps. */
export function toPlainText(segments: readonly Segment[], options: { timestamps: boolean }): string {
  return segments
    .map((s) => `${options.timestamps ? `[${clock(s.start, null)}] ` : ''}${s.speakerName}: ${s.text}\n`)
    .join('');
}

// ---- JSON ----

export interface TranscriptMeta {
  id: string;
  recordingId?: string | null;
  title?: string | null;
  language?: string | null;
  /** When the recording started (Date or ISO 8601). */
  recordedAt?: Date | string | null;
  durationSeconds: number;
  /** Everyone who took part, including those who never spoke; derived from the segments when absent. */
  speakers?: readonly Speaker[];
}

/**
 * The JSON export, version 1. Times are seconds from the recording's start, rounded to milliseconds.
 * {
 *   "format": "meeting-transcript", "version": 1,
 *   "id": "…", "recordingId": "…" | null, "title": "…" | null, "language": "en" | null,
 *   "recordedAt": "2026-03-02T10:00:00.000Z" | null, "durationSeconds": 1234.5,
 *   "speakers": [{ "index": 0, "name": "Alice" }],
 *   "segments": [{ "speaker": 0, "speakerName": "Alice", "start": 1.2, "end": 4.5, "text": "Hello all.",
 *                  "words": [{ "text": "Hello", "start": 1.2, "end": 1.5, "confidence": 0.98 | null }] }]
 * }
 */
export interface TranscriptJSON {
  format: 'meeting-transcript';
  version: 1;
  id: string;
  recordingId: string | null;
  title: string | null;
  language: string | null;
  recordedAt: string | null;
  durationSeconds: number;
  speakers: Speaker[];
  segments: Array<{
    speaker: number;
    speakerName: string;
    start: number;
    end: number;
    text: string;
    words: Array<{ text: string; start: number; end: number; confidence: number | null }>;
  }>;
}

/** The JSON export as an object; `JSON.stringify` it to write the file. */
export function toJSON(meta: TranscriptMeta, segments: readonly Segment[]): TranscriptJSON {
  const speakers = meta.speakers
    ? meta.speakers.map((s) => ({ index: s.index, name: s.name }))
    : [...new Map(segments.map((s) => [s.speaker, s.speakerName])).entries()].map(([index, name]) => ({ index, name }));
  return {
    format: 'meeting-transcript',
    version: 1,
    id: meta.id,
    recordingId: meta.recordingId ?? null,
    title: meta.title ?? null,
    language: meta.language ?? null,
    recordedAt: meta.recordedAt == null ? null : new Date(meta.recordedAt).toISOString(),
    durationSeconds: round(meta.durationSeconds),
    speakers: speakers.toSorted((a, b) => a.index - b.index),
    segments: segments.map((s) => ({
      speaker: s.speaker,
      speakerName: s.speakerName,
      start: round(s.start),
      end: round(s.end),
      text: s.text,
      words: s.words.map((w) => ({ text: w.text, start: round(w.start), end: round(w.end), confidence: w.confidence })),
    })),
  };
}

// ---- The stored files ----

/** The names of the files a transcript's content is kept as (transcriptFiles). */
export const TRANSCRIPT_CONTENT_FILES = ['segments.json', 'transcript.vtt', 'transcript.srt', 'transcript.txt', 'transcript-timestamps.txt', 'transcript.json'] as const;

/** The files a transcript's content is kept as (segments.json and every export), with their content types. */
export function transcriptFiles(meta: TranscriptMeta, segments: readonly Segment[]): Array<{ file: string; body: string; contentType: string }> {
  return [
    { file: 'segments.json', body: JSON.stringify(segments), contentType: 'application/json' },
    { file: 'transcript.vtt', body: toWebVTT(segments), contentType: 'text/vtt' },
    { file: 'transcript.srt', body: toSRT(segments), contentType: 'application/x-subrip' },
    { file: 'transcript.txt', body: toPlainText(segments, { timestamps: false }), contentType: 'text/plain; charset=utf-8' },
    { file: 'transcript-timestamps.txt', body: toPlainText(segments, { timestamps: true }), contentType: 'text/plain; charset=utf-8' },
    { file: 'transcript.json', body: JSON.stringify(toJSON(meta, segments)), contentType: 'application/json' },
  ];
}

// ---- Times ----

const toMs = (seconds: number) => Math.max(0, Math.round(seconds * 1000));
const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** HH:MM:SS plus `.mmm` or `,mmm` (no fraction when `separator` is null). */
function clock(seconds: number, separator: '.' | ',' | null): string {
  const totalMs = toMs(seconds);
  const ms = separator === null ? 0 : totalMs % 1000;
  const totalSeconds = separator === null ? Math.floor(totalMs / 1000) : (totalMs - ms) / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const base = `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
  return separator === null ? base : `${base}${separator}${pad(ms, 3)}`;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
