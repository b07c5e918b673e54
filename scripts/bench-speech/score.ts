// Scoring for `npm run bench:speech`: corpus WER of a set of recognitions (edit counts summed over the set, then
// divided: speech/wer.ts werOf), and the Markdown rows the report is made of.
import { normalizeForWer, werCount, werOf, type WerCount } from '../../speech/wer.ts';
import type { PreparedUtterance } from './set.ts';

/** Languages written without spaces between words: scored by character (CER), every character a "word". */
const UNSPACED = new Set(['ja', 'zh', 'th']);
const byCharacter = (text: string) => [...text.replace(/\s+/g, '')].join(' ');

export interface Recognition {
  utterance: PreparedUtterance;
  hypothesis: string;
  count: WerCount;
  /** Wall seconds of this recognition (with others in flight). */
  seconds: number;
  error?: string;
}

export function score(utterance: PreparedUtterance, hypothesis: string, seconds: number, error?: string): Recognition {
  const unspaced = UNSPACED.has(utterance.language);
  const count = unspaced ? werCount(byCharacter(utterance.reference), byCharacter(hypothesis)) : werCount(utterance.reference, hypothesis);
  return { utterance, hypothesis, count, seconds, ...(error ? { error } : {}) };
}

export const isUnspaced = (language: string) => UNSPACED.has(language);

export interface Totals {
  utterances: number;
  audioSeconds: number;
  words: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  wer: number;
  errors: number;
}

export function totals(recognitions: Recognition[]): Totals {
  const counts = recognitions.map((r) => r.count);
  const sum = (key: keyof WerCount) => counts.reduce((n, c) => n + c[key], 0);
  return {
    utterances: recognitions.length,
    audioSeconds: recognitions.reduce((s, r) => s + r.utterance.durationSeconds, 0),
    words: sum('referenceWords'), substitutions: sum('substitutions'), deletions: sum('deletions'), insertions: sum('insertions'),
    wer: werOf(counts),
    errors: recognitions.filter((r) => r.error).length,
  };
}

/** "0.084 (S 12 / D 3 / I 4)", and the failed recognitions if any. */
export function werCell(t: Totals | null): string {
  if (!t) return '–';
  const failed = t.errors ? `, ${t.errors} failed` : '';
  return `${t.wer.toFixed(3)} (S ${t.substitutions} / D ${t.deletions} / I ${t.insertions}${failed})`;
}

/** The recognitions with the most errors (then the highest WER): what goes wrong. */
export function worst(recognitions: Recognition[], n: number): Recognition[] {
  const errors = (r: Recognition) => r.count.substitutions + r.count.deletions + r.count.insertions;
  return recognitions.filter((r) => errors(r) > 0)
    .sort((a, b) => errors(b) - errors(a) || werOf([b.count]) - werOf([a.count]) || a.utterance.id.localeCompare(b.utterance.id))
    .slice(0, n);
}

/** A table row per worst recognition: id, its breakdown labels, WER, reference and hypothesis (as normalised). */
export function worstRows(recognitions: Recognition[], n: number): string[] {
  const rows = worst(recognitions, n);
  if (!rows.length) return ['(no errors)'];
  return [
    '| Utterance | | Errors / words | Reference (normalised) | Hypothesis (normalised) |',
    '|---|---|---|---|---|',
    ...rows.map((r) => {
      const c = r.count;
      const show = (text: string) => (isUnspaced(r.utterance.language) ? text.replace(/\s+/g, '') : normalizeForWer(text).join(' ')).replaceAll('|', '\\|') || '(nothing)';
      return `| ${r.utterance.id} | ${Object.values(r.utterance.labels).join(', ')} | ${c.substitutions + c.deletions + c.insertions} / ${c.referenceWords} | ${show(r.utterance.reference)} | ${r.error ? `(failed: ${r.error.slice(0, 80)})` : show(r.hypothesis)} |`;
    }),
  ];
}

/** Recognitions split by one of their labels, in first-seen order. */
export function byLabel(recognitions: Recognition[], label: string): Array<[string, Recognition[]]> {
  const groups = new Map<string, Recognition[]>();
  for (const r of recognitions) {
    const key = label === 'language' ? r.utterance.language : (r.utterance.labels[label] ?? '?');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups];
}

export const fixed = (value: number, digits = 1) => value.toFixed(digits);
