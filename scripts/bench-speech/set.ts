// The committed evaluation set of `npm run bench:speech` (see set/README.md): the lists in set/*.tsv, and the
// 16 kHz mono WAVs the engines are given, made at bench time (espeak-ng reads the synthetic sentences; the human
// recordings are decoded from their FLACs) with the product's own decoder.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeToPcm16k } from '../../audio/decode.ts';

const run = promisify(execFile);

export const SET_DIR = path.join(import.meta.dirname, 'set');

/** One utterance to recognize, with what was said. */
export interface Utterance {
  id: string;
  /** 'synthetic', 'human', 'phone' or 'other-languages' (see set/README.md). */
  group: string;
  /** The row a table breaks the group down by: the voice, the speed or the source. */
  labels: Record<string, string>;
  language: string;
  reference: string;
  /** How to make its WAV: espeak-ng's voice, speed and text, or a committed audio file. */
  source: { kind: 'espeak'; voice: string; speed: number; text: string } | { kind: 'file'; path: string };
}

export interface PreparedUtterance extends Utterance {
  wavPath: string;
  durationSeconds: number;
}

/** Rows of a tab-separated file with a header line, as objects by column name (no quoting: fields hold no tabs). */
export function readTsv(file: string): Array<Record<string, string>> {
  const [header, ...rows] = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
  const columns = header!.split('\t');
  return rows.map((line, i) => {
    const fields = line.split('\t');
    if (fields.length !== columns.length) throw new Error(`${path.relative(process.cwd(), file)}: line ${i + 2} has ${fields.length} fields, the header ${columns.length}`);
    return Object.fromEntries(columns.map((name, j) => [name, fields[j]!]));
  });
}

export function writeTsvText(columns: string[], rows: Array<Record<string, string | number>>): string {
  for (const row of rows) {
    for (const name of columns) if (/[\t\n]/.test(String(row[name] ?? ''))) throw new Error(`a ${name} field holds a tab or a newline: ${row[name]}`);
  }
  return [columns.join('\t'), ...rows.map((row) => columns.map((name) => String(row[name] ?? '')).join('\t'))].join('\n') + '\n';
}

/** set/synthetic.tsv: meeting sentences, each read by espeak-ng with its voice and speed. */
export function syntheticSet(): Utterance[] {
  return readTsv(path.join(SET_DIR, 'synthetic.tsv')).map((row) => ({
    id: row.id!, group: 'synthetic', labels: { voice: row.voice!, speed: `${row.speed} wpm` }, language: 'en', reference: row.text!,
    source: { kind: 'espeak', voice: row.voice!, speed: Number(row.speed), text: row.text! },
  }));
}

/** set/human.tsv: recorded speech (English by source, the phone prompts, other languages). */
export function humanSet(): Utterance[] {
  return readTsv(path.join(SET_DIR, 'human.tsv')).map((row) => ({
    id: row.id!, group: row.group!, labels: { source: row.source! }, language: row.language!, reference: row.reference!,
    source: { kind: 'file', path: path.join(SET_DIR, row.file!) },
  }));
}

export interface NameCase {
  id: string;
  name: string;
  voice: string;
  speed: number;
  text: string;
}

/** set/names.tsv: unusual names in one sentence, read by two voices. */
export function nameCases(): NameCase[] {
  return readTsv(path.join(SET_DIR, 'names.tsv')).map((row) => ({ id: row.id!, name: row.name!, voice: row.voice!, speed: Number(row.speed), text: row.text! }));
}

/** espeak-ng's text read aloud into `wavPath` (16 kHz mono s16, through the product's decoder). */
export async function speak(text: string, voice: string, speed: number, wavPath: string): Promise<number> {
  const raw = `${wavPath}.espeak.wav`;
  // Text on stdin, so a sentence starting with "-" is not read as an option.
  await new Promise<void>((resolve, reject) => {
    const child = execFile('espeak-ng', ['-v', voice, '-s', String(speed), '-w', raw], (error) => (error ? reject(error) : resolve()));
    child.stdin!.end(text);
  });
  try {
    return (await decodeToPcm16k(raw, wavPath)).durationSeconds;
  } finally {
    await rm(raw, { force: true });
  }
}

/** Makes every utterance's WAV in `dir`, a few at a time. */
export async function prepare(utterances: Utterance[], dir: string): Promise<PreparedUtterance[]> {
  const out: PreparedUtterance[] = new Array(utterances.length);
  await inParallel(utterances.map((u, i) => async () => {
    const wavPath = path.join(dir, `${u.group}-${u.id}.wav`);
    const durationSeconds = u.source.kind === 'espeak'
      ? await speak(u.source.text, u.source.voice, u.source.speed, wavPath)
      : (await decodeToPcm16k(u.source.path, wavPath)).durationSeconds;
    out[i] = { ...u, wavPath, durationSeconds };
  }), 2);
  return out;
}

/** Runs the tasks with at most `limit` in flight; resolves once all have finished, with their results in order. */
export async function inParallel<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}

/** First line of a tool's version output, or null when it cannot run. */
export async function toolVersion(command: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await run(command, args);
    return stdout.split('\n')[0]!.trim();
  } catch {
    return null;
  }
}
