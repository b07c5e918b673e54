// The offline fallback: no service, no model. An extractive summary built from the transcript's own
// sentences, ranked by TF-IDF; titles are keyword lists. Deterministic (no clock, no randomness), English
// stopwords only, and plainly weaker than a model: the product labels it as such (`offline: true`).
import {
  emptySummary,
  UNTITLED_MEETING,
  type MeetingSummary,
  type MeetingTopic,
  type SummarizeInput,
  type SummarizeOptions,
  type Summarizer,
} from './summary.ts';
import { formatTimestamp } from './transcript-text.ts';

export interface OfflineSummarizerOptions {
  /** Length of a topic window. Default 300 s. */
  topicWindowSeconds?: number;
  /** At most this many topics: long meetings get longer windows. Default 12. */
  maxTopics?: number;
}

interface Sentence {
  index: number;
  speakerName: string;
  start: number;
  end: number;
  text: string;
  /** Normalized content words, in order, repeats kept. */
  terms: string[];
  /** How each term was spelled, aligned with `terms`. */
  words: string[];
  score: number;
}

// Unpunctuated recognizer output (pocketsphinx) comes as whole turns: cut those into sentence-sized pieces.
const MAX_SENTENCE_WORDS = 40;
const PIECE_WORDS = 25;
const SHORT_SUMMARY_SENTENCES = 3;
const MAX_LONG_SUMMARY_SENTENCES = 10;
const MAX_ACTION_ITEMS = 15;

export class OfflineSummarizer implements Summarizer {
  readonly name = 'offline-extractive';
  readonly offline = true;
  readonly #windowSeconds: number;
  readonly #maxTopics: number;

  constructor(options: OfflineSummarizerOptions = {}) {
    this.#windowSeconds = Math.max(30, options.topicWindowSeconds ?? 300);
    this.#maxTopics = Math.max(1, options.maxTopics ?? 12);
  }

  async summarize(input: SummarizeInput, options: SummarizeOptions = {}): Promise<MeetingSummary> {
    options.signal?.throwIfAborted();
    const sentences = splitSentences(input);
    if (sentences.length === 0) {
      options.onProgress?.(1, 1);
      return emptySummary();
    }
    const weights = termWeights(sentences);
    for (const sentence of sentences) sentence.score = sentenceScore(sentence, weights.weight);

    const keywords = topTerms(weights.weight, weights, 3);
    const meetingEnd = Math.max(input.durationSeconds, sentences.at(-1)!.end);
    const topics = this.#topics(sentences, weights, meetingEnd);
    const short = pickSentences(sentences, SHORT_SUMMARY_SENTENCES);
    const long = pickSentences(sentences, Math.min(MAX_LONG_SUMMARY_SENTENCES, SHORT_SUMMARY_SENTENCES + 2 * topics.length));
    options.onProgress?.(1, 1);
    return {
      // Heuristic: the meeting's most salient words, not an understanding of it.
      title: keywords.length > 0 ? `Meeting about ${joinList(keywords)}` : UNTITLED_MEETING,
      shortSummary: short.map((sentence) => finish(sentence.text)).join(' '),
      longSummary: long.map((sentence) => `[${formatTimestamp(sentence.start)}] ${sentence.speakerName}: ${finish(sentence.text)}`).join('\n'),
      topics,
      actionItems: actionItems(sentences),
    };
  }

  /**
   * Contiguous time windows from 0 to the end, each titled by its own keywords. A window with nothing of
   * substance (silence, greetings) joins the one before it.
   */
  #topics(sentences: Sentence[], weights: TermWeights, meetingEnd: number): MeetingTopic[] {
    const window = Math.max(this.#windowSeconds, Math.ceil(meetingEnd / this.#maxTopics));
    const groups = new Map<number, Sentence[]>();
    for (const sentence of sentences.filter((s) => s.score > 0)) {
      const key = Math.floor(sentence.start / window);
      groups.set(key, [...(groups.get(key) ?? []), sentence]);
    }
    if (groups.size === 0) groups.set(0, sentences);
    const keys = [...groups.keys()].sort((a, b) => a - b);
    return keys.map((key, i) => {
      const members = groups.get(key)!;
      const local = new Map<string, number>();
      for (const sentence of members) for (const term of sentence.terms) local.set(term, (local.get(term) ?? 0) + 1);
      const scored = new Map([...local].map(([term, count]) => [term, count * weights.idf.get(term)!]));
      const words = topTerms(scored, weights, 3);
      const next = keys[i + 1];
      return {
        title: words.length > 0 ? capitalize(joinList(words)) : 'Discussion',
        summary: pickSentences(members, 2).map((sentence) => `${sentence.speakerName}: ${finish(sentence.text)}`).join(' '),
        start: i === 0 ? 0 : key * window,
        end: next === undefined ? meetingEnd : next * window,
      };
    });
  }
}

function splitSentences(input: SummarizeInput): Sentence[] {
  const sentences: Sentence[] = [];
  for (const segment of input.segments) {
    const text = segment.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const speakerName = segment.speakerName.trim() || `Speaker ${segment.speaker}`;
    const duration = Math.max(0, segment.end - segment.start);
    const at = (offset: number) => segment.start + (duration * offset) / text.length;
    for (const match of text.matchAll(/[^.!?…]+(?:[.!?…]+|$)/g)) {
      for (const piece of cutLong(match[0], match.index)) {
        const pieceText = piece.text.trim();
        if (!/[\p{L}\p{N}]/u.test(pieceText)) continue;
        sentences.push({
          index: sentences.length,
          speakerName,
          start: at(piece.offset),
          end: at(piece.offset + piece.text.length),
          text: pieceText,
          ...contentWords(pieceText),
          score: 0,
        });
      }
    }
  }
  return sentences;
}

function cutLong(text: string, offset: number): Array<{ text: string; offset: number }> {
  const words = [...text.matchAll(/\S+/g)];
  if (words.length <= MAX_SENTENCE_WORDS) return [{ text, offset }];
  const pieces: Array<{ text: string; offset: number }> = [];
  for (let i = 0; i < words.length; i += PIECE_WORDS) {
    const first = words[i]!;
    const last = words[Math.min(words.length, i + PIECE_WORDS) - 1]!;
    pieces.push({ text: text.slice(first.index, last.index + last[0].length), offset: offset + first.index });
  }
  return pieces;
}

interface TermWeights {
  /** Salience over the whole meeting: frequency × inverse sentence frequency. */
  weight: Map<string, number>;
  idf: Map<string, number>;
  /** The spelling shown for a term: its most frequent surface form. */
  display: Map<string, string>;
}

function termWeights(sentences: Sentence[]): TermWeights {
  const count = new Map<string, number>();
  const df = new Map<string, number>();
  for (const sentence of sentences) {
    for (const term of sentence.terms) count.set(term, (count.get(term) ?? 0) + 1);
    for (const term of new Set(sentence.terms)) df.set(term, (df.get(term) ?? 0) + 1);
  }
  const idf = new Map([...df].map(([term, n]) => [term, Math.log(1 + sentences.length / n)]));
  const weight = new Map([...count].map(([term, n]) => [term, n * idf.get(term)!]));
  const forms = new Map<string, Map<string, number>>();
  for (const sentence of sentences) {
    sentence.terms.forEach((term, i) => {
      const spellings = forms.get(term) ?? new Map<string, number>();
      spellings.set(sentence.words[i]!, (spellings.get(sentence.words[i]!) ?? 0) + 1);
      forms.set(term, spellings);
    });
  }
  const display = new Map(
    [...forms].map(([term, spellings]) => [term, [...spellings].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0]]),
  );
  return { weight, idf, display };
}

/** Words that carry meaning: lower case, stopwords and fillers out, plurals folded (a crude stemmer). */
function contentWords(text: string): { terms: string[]; words: string[] } {
  const terms: string[] = [];
  const words: string[] = [];
  for (const [raw] of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu)) {
    const word = raw.replace(/['’](s|ll|re|ve|d|m|t)$/u, '');
    if (word.length < 3 || STOPWORDS.has(word) || STOPWORDS.has(raw.replace('’', "'")) || /^\d+$/.test(word)) continue;
    const term = word.length > 4 && word.endsWith('s') && !/(ss|us|is)$/.test(word) ? word.slice(0, -1) : word;
    terms.push(term);
    words.push(word);
  }
  return { terms, words };
}

/** A sentence's share of the meeting's salient words, favouring ones with some substance. */
function sentenceScore(sentence: Sentence, weight: Map<string, number>): number {
  const distinct = new Set(sentence.terms);
  if (distinct.size === 0) return 0;
  let sum = 0;
  for (const term of distinct) sum += weight.get(term) ?? 0;
  const substance = distinct.size < 3 ? 0.5 : 1;
  return (substance * sum) / Math.sqrt(Math.max(4, distinct.size));
}

/** The best `n` sentences, shown in meeting order, skipping near-repeats of ones already picked. */
function pickSentences(sentences: Sentence[], n: number): Sentence[] {
  const ranked = sentences.filter((s) => s.score > 0).sort((a, b) => b.score - a.score || a.index - b.index);
  const picked: Sentence[] = [];
  for (const candidate of ranked) {
    if (picked.length >= n) break;
    if (picked.some((other) => overlap(candidate.terms, other.terms) > 0.6)) continue;
    picked.push(candidate);
  }
  return picked.sort((a, b) => a.index - b.index);
}

function overlap(a: string[], b: string[]): number {
  const left = new Set(a);
  const right = new Set(b);
  const shared = [...left].filter((term) => right.has(term)).length;
  return shared / Math.max(1, Math.min(left.size, right.size));
}

function topTerms(scores: Map<string, number>, weights: TermWeights, n: number): string[] {
  return [...scores]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([term]) => weights.display.get(term) ?? term);
}

// Commitments and requests: "I will", "we should", "let's", "need to", "todo", "action item", …
const ACTION_PATTERNS = [
  /\b(?:i|we|you|they)\s*(?:'ll|’ll|will|shall)\b/i,
  /\b(?:i'm|i’m|i am|we're|we’re|we are)\s+going\s+to\b/i,
  /\b(?:i|we|you)\s+(?:should|must|have\s+to|need\s+to)\b/i,
  /\bneeds?\s+to\b/i,
  /\blet['’]s\b|\blet\s+us\b/i,
  /\bto-?do\b/i,
  /\baction\s+items?\b/i,
  /\bfollow[-\s]?up\b/i,
  /\bdeadline\b/i,
  /\bplease\b/i,
];

function actionItems(sentences: Sentence[]): string[] {
  const items: string[] = [];
  const seen = new Set<string>();
  for (const sentence of sentences) {
    if (items.length >= MAX_ACTION_ITEMS) break;
    if (sentence.text.endsWith('?') || !ACTION_PATTERNS.some((pattern) => pattern.test(sentence.text))) continue;
    const key = sentence.text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(`${sentence.speakerName}: ${finish(sentence.text)}`);
  }
  return items;
}

function finish(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function joinList(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

// English stopwords, plus the fillers and verbs of speech that say little about a meeting's subject.
const STOPWORDS = new Set(
  (
    'a about above after again against all also although am an and any are aren\'t around as at be because been before being ' +
    'below between both but by can can\'t cannot could couldn\'t did didn\'t do does doesn\'t doing don\'t down during each ' +
    'either else enough even ever every few for from further had hadn\'t has hasn\'t have haven\'t having he he\'d he\'ll ' +
    'he\'s her here here\'s hers herself him himself his how how\'s however i i\'d i\'ll i\'m i\'ve if in into is isn\'t it ' +
    'it\'s its itself just let let\'s many may me might more most much must mustn\'t my myself neither no nor not now of off ' +
    'often on once one only or other ought our ours ourselves out over own per quite rather same shall shan\'t she she\'d ' +
    'she\'ll she\'s should shouldn\'t since so some still such than that that\'s the their theirs them themselves then there ' +
    'there\'s these they they\'d they\'ll they\'re they\'ve this those though through thus to too under until up upon us ' +
    'very via was wasn\'t we we\'d we\'ll we\'re we\'ve were weren\'t what what\'s whatever when when\'s where where\'s ' +
    'whether which while who who\'s whom whose why why\'s will with within without won\'t would wouldn\'t yet you you\'d ' +
    'you\'ll you\'re you\'ve your yours yourself yourselves ' +
    // speech
    'actually alright anyway anything basically bit come comes coming did done doing everyone everybody everything go goes ' +
    'going gone gonna good got great guess guys hello hey hmm hi kind know like likely little lot lots maybe mean mhm mm ' +
    'need needs okay ok oh pretty probably put really right said say saying says see seems something sort sorry stuff sure ' +
    'take talk talking tell thank thanks thing things think thought today two want wanna way well yeah yep yes yup uh um ' +
    'umm also back call get getting give make makes making next new look looks looking start try trying work working ' +
    'first last time times week day able already always another bunch different fine hear heard keep kinda mostly nice ' +
    'part point question stuff sounds sound use used using whole'
  ).split(/\s+/),
);
