// `npm run bench:speech`: how well and how fast the speech engine recognizes speech, on the evaluation set committed
// in scripts/bench-speech/set/ (its README says what each group is, where it came from and its licence).
//
// The engine is the product's default, built as the worker builds it (parseConfig + createTranscriptionEngines):
// Whisper base in int8 through faster-whisper, in its Python server process, beam 5, the language given, no prompt
// (but in the names comparison). What is measured:
//   - WER per group, corpus-wide (edit counts summed over the group, then divided; speech/wer.ts, whose normaliser
//     is applied to reference and hypothesis alike), with substitutions / deletions / insertions, and the worst
//     utterances with reference and hypothesis:
//       synthetic: meeting sentences read by espeak-ng (made here; voices and speeds as set/synthetic.tsv lists),
//         by voice, by speed and overall; human: recorded English speech, by source and overall; phone: Asterisk's
//         8 kHz telephone prompts (the reference is the prompt script); other-languages: a few recordings measured
//         in their language (Japanese by character: CER). Goal: WER ≤ 0.10 on the synthetic and on the English
//         human set, each reported as met or missed.
//   - The same for pocketsphinx, the previous offline engine (scripts/bench-speech/pocketsphinx.ts, the adapter as it
//     was), English groups only, when `pocketsphinx_continuous` and its model are installed; otherwise skipped with
//     a note (Debian: apt-get install pocketsphinx pocketsphinx-en-us).
//   - Speed: the time of recognizer.start() (model load); during the WER pass, audio seconds ÷ wall seconds ("×
//     real time") and recognizer CPU seconds per audio second, with as many recognitions in flight as the worker
//     runs (SPEECH_CONCURRENCY); and a throughput comparison of SPEECH_CONCURRENCY=2 × SPEECH_THREADS=1 with
//     SPEECH_CONCURRENCY=1 × SPEECH_THREADS=2 on the same audio: the synthetic sentences packed per voice into
//     chunks of up to 28 s with 0.5 s between sentences, as the product's chunker packs a speaker's turns (Whisper
//     reads a full 30 s window whatever the chunk's length, so one-sentence clips would understate its throughput).
//     Each configuration is started afresh; with --repeat N they alternate N times and the fastest run counts.
//     CPU is the server process's (utime + stime from /proc); "others" is what the rest of the machine used meanwhile.
//   - Names: 18 unusual names × 2 voices in "Thanks. <name> will send the report tomorrow.", recognized (a) with no
//     prompt, (b) with participantNames [name, Alice, Bob] (the product's prompt "Participants: <name>, Alice, Bob."),
//     (c) with faster-whisper's `hotwords` "<name> Alice Bob" (the server takes no such field: a helper,
//     scripts/bench-speech/hotwords.py, loads the same model with the server's options), (d) with the bare list
//     "<name>, Alice, Bob" sent as the raw `prompt` field. Counted: names spelled right (the name's normalised word in
//     the normalised hypothesis), and the sentence's WER in each case (a prompt that loses other words shows there).
//     The helper also runs (d)'s prompt, to check it recognizes as the server does.
// Results go to stdout and, as a dated section, to docs/benchmarks.md. A full run takes 10–20 minutes on 2 cores.
//
// Usage: npm run bench:speech [-- --quick] [-- --groups synthetic,human,phone,other-languages,names,speed --repeat 2 --no-doc]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pcm16WavHeader, parseWav } from '../audio/wav.ts';
import { parseConfig } from '../runtime/config.ts';
import { createTranscriptionEngines } from '../runtime/engines.ts';
import { OpenAICompatibleRecognizer, WhisperRecognizer, speechPrompt, type SpeechRecognizer } from '../speech/index.ts';
import { normalizeForWer } from '../speech/wer.ts';
import { appendBenchmarkSection, machineDescription } from './benchmarks-doc.ts';
import { POCKETSPHINX_DEFAULTS, PocketsphinxRecognizer } from './bench-speech/pocketsphinx.ts';
import { byLabel, fixed, score, totals, werCell, worstRows, type Recognition, type Totals } from './bench-speech/score.ts';
import { humanSet, inParallel, nameCases, prepare, speak, syntheticSet, toolVersion, type PreparedUtterance, type Utterance } from './bench-speech/set.ts';

const root = path.resolve(import.meta.dirname, '..');
const GOAL = 0.1;

// ---------------------------------------------------------------------------------------------------
// Options

const GROUPS = ['synthetic', 'human', 'phone', 'other-languages', 'names', 'speed'] as const;
type Group = (typeof GROUPS)[number];
const WER_GROUPS = ['synthetic', 'human', 'phone', 'other-languages'] as const;

/** --quick: a few of each; --groups: which to measure (default all); --repeat: runs of each speed configuration; --no-doc. */
const ARGUMENTS = {
  'quick': { type: 'boolean', default: false },
  'no-doc': { type: 'boolean', default: false },
  'groups': { type: 'string' },
  'repeat': { type: 'string' },
} as const;

function readOptions(): { groups: Set<Group>; quick: boolean; repeat: number; doc: boolean } {
  const { values } = parseArgs({ options: ARGUMENTS });
  const groups = values.groups ? values.groups.split(',').map((g) => g.trim()) : [...GROUPS];
  const unknown = groups.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length) throw new Error(`--groups takes ${GROUPS.join(', ')}; got ${unknown.join(', ')}`);
  const repeat = Number(values.repeat ?? (values.quick ? 1 : 2));
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got "${values.repeat}"`);
  return { groups: new Set(groups as Group[]), quick: values.quick, repeat, doc: !values['no-doc'] };
}

/** --quick: a few of each, spread over the voices, speeds and sources. */
function quickSubset(utterances: Utterance[], quick: boolean): Utterance[] {
  if (!quick) return utterances;
  const perKey = new Map<string, number>();
  return utterances.filter((u) => {
    const key = u.group === 'synthetic' ? u.labels.voice! : u.group === 'other-languages' ? u.language : `${u.group}/${u.labels.source}`;
    const limit = u.group === 'phone' ? 6 : u.group === 'synthetic' ? 2 : 1;
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
    return perKey.get(key)! <= limit;
  });
}

// ---------------------------------------------------------------------------------------------------
// CPU from /proc

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds of a process (utime + stime), or of its children it has waited for (cutime + cstime). */
function cpuSeconds(pid: number | 'self', whose: 'own' | 'reaped children' = 'own'): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ').map(Number);
  // After the command: state is field 0 here, utime 11, stime 12, cutime 13, cstime 14.
  return (whose === 'own' ? fields[11]! + fields[12]! : fields[13]! + fields[14]!) / CLK_TCK;
}

/** Busy and total CPU seconds of the whole machine so far (all cores). */
function machineSeconds(): { busy: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - ticks[3]! - ticks[4]!) / CLK_TCK, total: total / CLK_TCK };
}

interface Usage {
  wall: number;
  /** CPU seconds of the recognizer (the whisper server, or pocketsphinx runs). */
  cpu: number;
  /** CPU seconds the rest of the machine used meanwhile (other work, this bench's own node). */
  others: number;
}

/** Measures `work`: wall time, the recognizer's CPU (`recognizerCpu` read before and after), and the rest. */
async function measured<T>(recognizerCpu: () => number, work: () => Promise<T>): Promise<{ result: T; usage: Usage }> {
  const [t0, c0, m0] = [performance.now(), recognizerCpu(), machineSeconds()];
  const result = await work();
  const [t1, c1, m1] = [performance.now(), recognizerCpu(), machineSeconds()];
  const cpu = c1 - c0;
  return { result, usage: { wall: (t1 - t0) / 1000, cpu, others: Math.max(0, m1.busy - m0.busy - cpu) } };
}

const othersShare = (u: Usage) => u.others / (os.availableParallelism() * u.wall);
const pct = (x: number) => `${Math.round(x * 100)}%`;

// ---------------------------------------------------------------------------------------------------
// Engines

interface Whisper {
  recognizer: WhisperRecognizer;
  concurrency: number;
  threads: number;
  loadSeconds: number;
  modelDir: string;
}

async function startWhisper(overrides: Record<string, string> = {}): Promise<Whisper> {
  const config = parseConfig({ APP_SECRET: 'x'.repeat(32), ...overrides });
  const speech = config.transcription.speech;
  if (speech.engine !== 'whisper') throw new Error('the default speech engine is not whisper');
  const concurrency = config.worker.speechConcurrency;
  const { recognizer } = createTranscriptionEngines(config.transcription, { speechConcurrency: concurrency });
  if (!(recognizer instanceof WhisperRecognizer)) throw new Error('createTranscriptionEngines did not build the whisper engine');
  const started = performance.now();
  await recognizer.start();
  return { recognizer, concurrency, threads: speech.threads, loadSeconds: (performance.now() - started) / 1000, modelDir: speech.modelDir };
}

const serverCpu = (whisper: Whisper) => () => cpuSeconds(whisper.recognizer.processId!);

/** Why pocketsphinx cannot run here, or null when it can. */
function pocketsphinxMissing(): string | null {
  try {
    execFileSync('sh', ['-c', `command -v ${POCKETSPHINX_DEFAULTS.binaryPath}`], { stdio: 'ignore' });
  } catch {
    return `\`${POCKETSPHINX_DEFAULTS.binaryPath}\` is not installed (Debian: apt-get install pocketsphinx pocketsphinx-en-us)`;
  }
  const missing = [`${POCKETSPHINX_DEFAULTS.hmmPath}/mdef`, POCKETSPHINX_DEFAULTS.lmPath, POCKETSPHINX_DEFAULTS.dictPath].filter((f) => !existsSync(f));
  return missing.length ? `its US English model is missing (${missing.join(', ')}; apt-get install pocketsphinx-en-us)` : null;
}

const wordsText = (words: Array<{ text: string }>) => words.map((w) => w.text).join(' ');

/** Recognizes the utterances with `inFlight` at a time; a failed recognition counts as an empty hypothesis. */
async function recognizeAll(recognizer: SpeechRecognizer, utterances: PreparedUtterance[], inFlight: number, names?: (u: PreparedUtterance) => string[]): Promise<Recognition[]> {
  return inParallel(utterances.map((u) => async () => {
    const started = performance.now();
    try {
      const words = await recognizer.transcribe({ wavPath: u.wavPath, durationSeconds: u.durationSeconds }, { language: u.language, ...(names ? { participantNames: names(u) } : {}) });
      return score(u, wordsText(words), (performance.now() - started) / 1000);
    } catch (error) {
      return score(u, '', (performance.now() - started) / 1000, (error as Error).message);
    }
  }), inFlight);
}

interface GroupRun {
  group: string;
  recognitions: Recognition[];
  usage: Usage;
}

// ---------------------------------------------------------------------------------------------------
// The packed chunks of the speed comparison

const PACK_SECONDS = 28;
const PACK_GAP_SECONDS = 0.5;

/** The synthetic sentences of each voice joined into chunks of up to PACK_SECONDS, PACK_GAP_SECONDS of silence apart. */
async function packChunks(sentences: PreparedUtterance[], dir: string): Promise<PreparedUtterance[]> {
  const chunks: PreparedUtterance[] = [];
  for (const [voice, ofVoice] of byLabel(sentences.map((u) => score(u, '', 0)), 'voice')) {
    let pending: PreparedUtterance[] = [];
    const flush = async () => {
      if (!pending.length) return;
      const gap = Buffer.alloc(Math.round(PACK_GAP_SECONDS * 16_000) * 2);
      const parts: Buffer[] = [];
      for (const [i, u] of pending.entries()) {
        const bytes = await readFile(u.wavPath);
        const info = parseWav(bytes);
        if (i > 0) parts.push(gap);
        parts.push(bytes.subarray(info.dataOffset, info.dataOffset + info.dataLength));
      }
      const data = Buffer.concat(parts);
      const id = `${voice}-${chunks.filter((c) => c.labels.voice === voice).length + 1}`;
      const wavPath = path.join(dir, `packed-${id}.wav`);
      await writeFile(wavPath, Buffer.concat([pcm16WavHeader(data.length, 16_000, 1), data]));
      chunks.push({
        id, group: 'speed', labels: { voice }, language: 'en', reference: pending.map((u) => u.reference).join(' '),
        source: { kind: 'file', path: wavPath }, wavPath, durationSeconds: data.length / 32_000,
      });
      pending = [];
    };
    for (const { utterance } of ofVoice) {
      const length = pending.reduce((s, u) => s + u.durationSeconds + PACK_GAP_SECONDS, 0) + utterance.durationSeconds;
      if (pending.length && length > PACK_SECONDS) await flush();
      pending.push(utterance);
    }
    await flush();
  }
  return chunks;
}

interface SpeedRun {
  label: string;
  concurrency: number;
  threads: number;
  loadSeconds: number;
  usage: Usage;
  totals: Totals;
}

// ---------------------------------------------------------------------------------------------------
// Names

interface NameClip extends PreparedUtterance {
  name: string;
}

interface NameCaseResult {
  key: string;
  how: string;
  recognitions: Recognition[];
}

const nameRight = (r: Recognition) => normalizeForWer(r.hypothesis).includes(normalizeForWer((r.utterance as NameClip).name)[0]!);

/** faster-whisper with the server's options, in scripts/bench-speech/hotwords.py; one job per clip. */
async function helperRun(clips: NameClip[], whisper: Whisper, job: (clip: NameClip) => { hotwords?: string; prompt?: string }): Promise<Map<string, string>> {
  const python = path.join(root, '.venv', 'bin', 'python');
  // The server's threads per recognition, as the engine starts it.
  const threads = String(whisper.threads);
  const child = spawn(python, [path.join(import.meta.dirname, 'bench-speech', 'hotwords.py'), '--model-dir', whisper.modelDir, '--threads', threads], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: threads },
  });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (data: string) => stderr.push(data));
  const found = new Map<string, string>();
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`hotwords.py exited with ${code}: ${stderr.join('').trim().split('\n').slice(-3).join(' | ')}`))));
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const event = JSON.parse(line) as { id?: string; words?: string[] };
    if (event.id) found.set(event.id, (event.words ?? []).join(' '));
  });
  child.stdin.end(clips.map((clip) => JSON.stringify({ id: clip.id, wav: clip.wavPath, language: 'en', ...job(clip) })).join('\n') + '\n');
  await exited;
  return found;
}

async function namesComparison(whisper: Whisper, clips: NameClip[]): Promise<NameCaseResult[]> {
  const inFlight = whisper.concurrency;
  const others = (clip: PreparedUtterance) => [(clip as NameClip).name, 'Alice', 'Bob'];
  const none = await recognizeAll(whisper.recognizer, clips, inFlight);
  const participants = await recognizeAll(whisper.recognizer, clips, inFlight, others);
  const endpoint = whisper.recognizer.endpoint!;
  const bare = await inParallel(clips.map((clip) => async () => {
    // The openai-compatible client with a configured prompt and no names sends exactly that prompt.
    const client = new OpenAICompatibleRecognizer({ baseUrl: endpoint.url, apiKey: endpoint.apiKey, model: whisper.recognizer.model, prompt: `${clip.name}, Alice, Bob`, requestTimeoutMs: 300_000, engineName: 'whisper' });
    const started = performance.now();
    return score(clip, wordsText(await client.transcribe(clip, { language: 'en' })), (performance.now() - started) / 1000);
  }), inFlight);
  const hotwords = await helperRun(clips, whisper, (clip) => ({ hotwords: `${clip.name} Alice Bob` }));
  const helperBare = await helperRun(clips, whisper, (clip) => ({ prompt: `${clip.name}, Alice, Bob` }));
  const fromHelper = (found: Map<string, string>) => clips.map((clip) => score(clip, found.get(clip.id) ?? '', 0, found.has(clip.id) ? undefined : 'no answer from the helper'));
  const example = clips[0]?.name ?? 'Ngozi';
  return [
    { key: '(a)', how: 'no prompt', recognitions: none },
    { key: '(b)', how: `participantNames [name, Alice, Bob]: the product's prompt "${speechPrompt(undefined, [example, 'Alice', 'Bob'])}"`, recognitions: participants },
    { key: '(c)', how: `faster-whisper \`hotwords\` "${example} Alice Bob" (scripts/bench-speech/hotwords.py)`, recognitions: fromHelper(hotwords) },
    { key: '(d)', how: `bare list as the raw prompt field: "${example}, Alice, Bob"`, recognitions: bare },
    { key: '(d′)', how: '(d)\'s prompt through the helper (a check that the helper recognizes as the server does)', recognitions: fromHelper(helperBare) },
  ];
}

// ---------------------------------------------------------------------------------------------------
// Report

const GROUP_TITLES: Record<string, string> = {
  'synthetic': 'Synthetic meeting sentences (espeak-ng)',
  'human': 'Human speech, English',
  'phone': 'Phone prompts, 8 kHz, reference = prompt script (Asterisk, English)',
  'other-languages': 'Other languages (recognized with their language)',
};
const BREAKDOWNS: Record<string, string[]> = { 'synthetic': ['voice', 'speed'], 'human': ['source'], 'phone': [], 'other-languages': ['language'] };

interface Results {
  whisper: GroupRun[];
  whisperLoad: number;
  whisperConfig: string;
  pocketsphinx: GroupRun[] | null;
  pocketsphinxNote: string | null;
  names: NameCaseResult[] | null;
  speed: SpeedRun[][] | null;
  packedChunks: number;
}

function werTable(results: Results): string[] {
  const lines = [
    `| Group | Breakdown | Utterances | Audio s | Reference words | Whisper base WER (S / D / I) | pocketsphinx WER (S / D / I) |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const run of results.whisper) {
    const other = results.pocketsphinx?.find((p) => p.group === run.group);
    const row = (what: string, mine: Recognition[], theirs: Recognition[] | undefined, bold = false) => {
      const t = totals(mine);
      const b = (s: string) => (bold ? `**${s}**` : s);
      const unit = run.group === 'other-languages' && what === 'ja' ? ' (CER, characters)' : '';
      lines.push(`| ${b(run.group)} | ${b(what)}${unit} | ${t.utterances} | ${fixed(t.audioSeconds)} | ${t.words} | ${b(werCell(t))} | ${theirs ? b(werCell(totals(theirs))) : '–'} |`);
    };
    for (const label of BREAKDOWNS[run.group] ?? []) {
      const theirs = other ? new Map(byLabel(other.recognitions, label)) : undefined;
      for (const [key, mine] of byLabel(run.recognitions, label)) row(key, mine, theirs?.get(key));
    }
    if (run.group !== 'other-languages') row('all', run.recognitions, other?.recognitions, true);
  }
  return lines;
}

function goalLines(results: Results): string[] {
  const lines: string[] = [];
  for (const group of ['synthetic', 'human'] as const) {
    const run = results.whisper.find((r) => r.group === group);
    if (!run) continue;
    const t = totals(run.recognitions);
    const other = results.pocketsphinx?.find((p) => p.group === group);
    lines.push(`- **${GROUP_TITLES[group]}: Whisper base WER ${t.wer.toFixed(3)} on ${t.utterances} utterances, one per request (goal ≤ ${GOAL.toFixed(2)}: ${t.wer <= GOAL ? 'met' : 'missed'})**${other ? `; pocketsphinx ${totals(other.recognitions).wer.toFixed(3)}` : ''}.`);
    if (group === 'human') {
      // Not a different goal: the same set, read by source (the table above), because one source's references count
      // what Whisper never writes (fillers, spelled-out letters).
      const rest = totals(run.recognitions.filter((r) => r.utterance.labels.source !== 'mfa'));
      lines.push(`  Of that, the Montreal Forced Aligner's test recordings (references with "uh", "um" and letters such as "m f a", which Whisper does not write; one where it looped on "uh") are ${fixed(totals(run.recognitions.filter((r) => r.utterance.labels.source === 'mfa')).wer, 3)}; the other sources together ${rest.wer.toFixed(3)} on ${rest.utterances} utterances.`);
    }
  }
  const packed = results.speed?.[0] ? fastest(results.speed[0]) : undefined;
  if (packed) {
    lines.push(`- **Synthetic meeting sentences as the pipeline gives them (a speaker's sentences packed into chunks of up to 28 s, audio/chunks.ts): Whisper base WER ${packed.totals.wer.toFixed(3)} (goal ≤ ${GOAL.toFixed(2)}: ${packed.totals.wer <= GOAL ? 'met' : 'missed'})**, ${packed.label}.`);
  }
  return lines;
}

function speedTable(results: Results): string[] {
  const lines = [
    '| Engine | Group | In flight × threads | Audio s | Wall s | × real time | CPU s per audio s | Others on the machine |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const add = (engine: string, config: string, run: GroupRun) => {
    const t = totals(run.recognitions);
    lines.push(`| ${engine} | ${run.group} | ${config} | ${fixed(t.audioSeconds)} | ${fixed(run.usage.wall)} | ${fixed(t.audioSeconds / run.usage.wall, 2)}× | ${fixed(run.usage.cpu / t.audioSeconds, 3)} | ${pct(othersShare(run.usage))} |`);
  };
  for (const run of results.whisper) add('Whisper base', results.whisperConfig, run);
  for (const run of results.pocketsphinx ?? []) add('pocketsphinx', `${os.availableParallelism()} × 1`, run);
  return lines;
}

/** The fastest run of each configuration (other work only ever slows a run down). */
const fastest = (runs: SpeedRun[]) => runs.reduce((best, r) => (r.usage.wall < best.usage.wall ? r : best));

function comparisonTable(results: Results): string[] {
  if (!results.speed?.length) return [];
  const lines = [
    `| Configuration | Model load s (each start) | Audio s | Wall s (each run) | × real time | CPU s per audio s | Others on the machine | WER of the packed chunks |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const runs of results.speed) {
    const best = fastest(runs);
    const many = (values: number[]) => (values.length > 1 ? ` (${values.map((v) => fixed(v)).join(', ')})` : '');
    lines.push(`| ${best.label} | ${fixed(Math.min(...runs.map((r) => r.loadSeconds)), 2)}${many(runs.map((r) => r.loadSeconds))} | ${fixed(best.totals.audioSeconds)} | ${fixed(best.usage.wall)}${many(runs.map((r) => r.usage.wall))} | ${fixed(best.totals.audioSeconds / best.usage.wall, 2)}× | ${fixed(best.usage.cpu / best.totals.audioSeconds, 3)} | ${pct(othersShare(best.usage))} | ${werCell(best.totals)} |`);
  }
  const [a, b] = results.speed.map(fastest);
  if (a && b) lines.push('', `- **Throughput, ${a.label} vs ${b.label}: ${fixed(b.usage.wall / a.usage.wall, 2)}×** (${fixed(a.usage.wall)} s vs ${fixed(b.usage.wall)} s for the same ${results.packedChunks} chunks).`);
  return lines;
}

function namesTable(results: Results): string[] {
  if (!results.names) return [];
  const total = results.names[0]?.recognitions.length ?? 0;
  const lines = [
    `| Case | How | Names right (of ${total}) | Sentence WER (S / D / I) | Names wrong | Other words wrong (name right) |`,
    '|---|---|---|---|---|---|',
  ];
  const heard = (r: Recognition) => `${(r.utterance as NameClip).name}/${r.utterance.labels.voice} → "${r.hypothesis}"`;
  const some = (list: string[]) => (list.length > 6 ? `${list.length}, e.g. ${list.slice(0, 4).join('; ')}` : list.join('; ') || '–');
  for (const c of results.names) {
    const wrong = c.recognitions.filter((r) => !nameRight(r)).map(heard);
    const otherWords = c.recognitions.filter((r) => nameRight(r) && r.count.substitutions + r.count.deletions + r.count.insertions > 0).map(heard);
    lines.push(`| ${c.key} | ${c.how} | ${c.recognitions.filter(nameRight).length} | ${werCell(totals(c.recognitions))} | ${some(wrong)} | ${some(otherWords)} |`);
  }
  const bare = results.names.find((c) => c.key === '(d)');
  const check = results.names.find((c) => c.key === '(d′)');
  if (bare && check) {
    const differ = bare.recognitions.flatMap((r, i) => {
      const helper = check.recognitions[i]!.hypothesis;
      return normalizeForWer(r.hypothesis).join(' ') === normalizeForWer(helper).join(' ') ? [] : [`${r.utterance.id}: server "${r.hypothesis}", helper "${helper}"`];
    });
    lines.push('', `- The helper and the server gave the same words (normalised) for (d)'s prompt on ${bare.recognitions.length - differ.length} of ${bare.recognitions.length} clips${differ.length ? `; not on ${differ.join('; ')}` : ''}.`);
  }
  return lines;
}

function worstSections(results: Results): string[] {
  const lines: string[] = [];
  for (const run of results.whisper) {
    lines.push('', `Worst 5, ${GROUP_TITLES[run.group]}, Whisper base:`, '', ...worstRows(run.recognitions, 5));
    const other = results.pocketsphinx?.find((p) => p.group === run.group);
    if (other) lines.push('', `Worst 5, ${GROUP_TITLES[run.group]}, pocketsphinx:`, '', ...worstRows(other.recognitions, 5));
  }
  return lines;
}

/** The normaliser's description, from speech/wer.ts's header. */
function normaliserText(): string[] {
  const header = readFileSync(path.join(root, 'speech', 'wer.ts'), 'utf8').split('\n');
  const from = header.findIndex((l) => l.startsWith('// The normaliser'));
  const to = header.findIndex((l) => l.startsWith('// WER ='));
  return header.slice(from + 1, to).map((l) => ` ${l.replace(/^\/\/ ?/, '')}`);
}

/** `uptime`'s line: the load averages say how busy the machine was around the run. */
const uptime = () => execFileSync('uptime').toString().trim();

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = readOptions();
  const [started, uptimeBefore] = [performance.now(), uptime()];
  const args = process.argv.slice(2);
  const command = ['npm run bench:speech', ...(args.length ? ['--', ...args] : [])].join(' ');
  console.log(`uptime before: ${uptimeBefore}`);
  setTimeout(() => {
    console.error('bench-speech: still running after 60 minutes; stopping');
    process.exit(1);
  }, 60 * 60_000).unref();

  const espeak = await toolVersion('espeak-ng', ['--version']);
  if (!espeak) throw new Error('espeak-ng is needed for the synthetic set and the names (Debian: apt-get install espeak-ng)');
  const fasterWhisper = (await toolVersion(path.join(root, '.venv', 'bin', 'python'), ['-c', 'import faster_whisper; print(faster_whisper.__version__)'])) ?? 'unknown';
  const pocketsphinxNote = pocketsphinxMissing();
  const pocketsphinxVersion = pocketsphinxNote ? null : await toolVersion('dpkg-query', ['-W', '-f', '${Version}', 'pocketsphinx']);
  if (pocketsphinxNote) console.log(`pocketsphinx skipped: ${pocketsphinxNote}`);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-speech-'));
  process.once('SIGINT', () => process.exit(130));
  let whisper: Whisper | undefined;
  try {
    // The audio: every WAV made before any recognition, so synthesis never competes with it.
    const wanted = WER_GROUPS.filter((g) => options.groups.has(g));
    const all = quickSubset([...syntheticSet(), ...humanSet()], options.quick);
    const needed = all.filter((u) => (wanted as readonly string[]).includes(u.group) || (options.groups.has('speed') && u.group === 'synthetic'));
    const prepared = await prepare(needed, dir);
    const names = options.groups.has('names') ? nameCases().filter((_, i, list) => !options.quick || i % (list.length / 2) < 3) : [];
    const clips: NameClip[] = await inParallel(names.map((n) => async () => {
      const wavPath = path.join(dir, `name-${n.id}.wav`);
      const durationSeconds = await speak(n.text, n.voice, n.speed, wavPath);
      return { id: n.id, group: 'names', labels: { voice: n.voice }, language: 'en', reference: n.text, source: { kind: 'espeak' as const, voice: n.voice, speed: n.speed, text: n.text }, wavPath, durationSeconds, name: n.name };
    }), 2);
    const packed = options.groups.has('speed') ? await packChunks(prepared.filter((u) => u.group === 'synthetic'), dir) : [];
    console.log(`audio ready in ${fixed((performance.now() - started) / 1000)} s: ${prepared.length} utterances, ${clips.length} name clips, ${packed.length} packed chunks (${fixed(packed.reduce((s, c) => s + c.durationSeconds, 0))} s)`);

    // Whisper at the default configuration: WER groups one after another, then the names.
    whisper = await startWhisper();
    const whisperConfig = `${whisper.concurrency} × ${whisper.threads}`;
    console.log(`whisper (${whisper.recognizer.model}, ${whisperConfig} threads) loaded in ${fixed(whisper.loadSeconds, 2)} s`);
    const whisperRuns: GroupRun[] = [];
    for (const group of wanted) {
      const utterances = prepared.filter((u) => u.group === group);
      const { result, usage } = await measured(serverCpu(whisper), () => recognizeAll(whisper!.recognizer, utterances, whisper!.concurrency));
      whisperRuns.push({ group, recognitions: result, usage });
      console.log(`whisper ${group}: WER ${werCell(totals(result))} in ${fixed(usage.wall)} s`);
    }
    const namesResults = clips.length ? await namesComparison(whisper, clips) : null;
    for (const c of namesResults ?? []) console.log(`names ${c.key}: ${c.recognitions.filter(nameRight).length} of ${c.recognitions.length} right, WER ${werCell(totals(c.recognitions))}`);
    const whisperLoad = whisper.loadSeconds;
    await whisper.recognizer.close();
    whisper = undefined;

    // pocketsphinx, English only, as many runs at once as the worker ran.
    let pocketsphinxRuns: GroupRun[] | null = null;
    if (!pocketsphinxNote) {
      pocketsphinxRuns = [];
      const recognizer = new PocketsphinxRecognizer();
      for (const group of wanted.filter((g) => g !== 'other-languages')) {
        const utterances = prepared.filter((u) => u.group === group);
        const { result, usage } = await measured(() => cpuSeconds('self', 'reaped children'), () => recognizeAll(recognizer, utterances, os.availableParallelism()));
        pocketsphinxRuns.push({ group, recognitions: result, usage });
        console.log(`pocketsphinx ${group}: WER ${werCell(totals(result))} in ${fixed(usage.wall)} s`);
      }
    }

    // The throughput comparison: each configuration started afresh, alternating.
    let speed: SpeedRun[][] | null = null;
    const speedNote = packed.length && os.availableParallelism() < 2 ? `the comparison needs 2 cores, this machine has ${os.availableParallelism()}` : null;
    if (packed.length && !speedNote) {
      const isDefault = (concurrency: number, threads: number) => (`${concurrency} × ${threads}` === whisperConfig ? ' (the default here)' : '');
      const configs = [
        { label: `2 recognitions × 1 thread${isDefault(2, 1)}`, env: { SPEECH_CONCURRENCY: '2', SPEECH_THREADS: '1' } },
        { label: `1 recognition × 2 threads${isDefault(1, 2)}`, env: { SPEECH_CONCURRENCY: '1', SPEECH_THREADS: '2' } },
      ];
      speed = configs.map(() => []);
      for (let round = 0; round < options.repeat; round++) {
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          const config = configs[i]!;
          whisper = await startWhisper(config.env);
          const { result, usage } = await measured(serverCpu(whisper), () => recognizeAll(whisper!.recognizer, packed, whisper!.concurrency));
          speed[i]!.push({ label: config.label, concurrency: whisper.concurrency, threads: whisper.threads, loadSeconds: whisper.loadSeconds, usage, totals: totals(result) });
          console.log(`speed ${config.label}: ${fixed(usage.wall)} s for ${fixed(totals(result).audioSeconds)} s of audio (load ${fixed(whisper.loadSeconds, 2)} s)`);
          await whisper.recognizer.close();
          whisper = undefined;
        }
      }
    }

    const results: Results = {
      whisper: whisperRuns, whisperLoad, whisperConfig, pocketsphinx: pocketsphinxRuns, pocketsphinxNote, names: namesResults, speed, packedChunks: packed.length,
    };
    const total = (performance.now() - started) / 1000;
    const uptimeAfter = uptime();
    const sections = [
      ...(whisperRuns.length ? ['WER per group (corpus: edits summed over the group ÷ its reference words):', '', ...werTable(results), '', ...goalLines(results)] : []),
      ...(pocketsphinxNote ? ['', `- pocketsphinx not measured: ${pocketsphinxNote}.`] : []),
      ...(whisperRuns.length ? ['', `Speed during the WER pass (one utterance per request; Whisper model load ${fixed(whisperLoad, 2)} s):`, '', ...speedTable(results)] : []),
      ...(speedNote ? ['', `- Throughput comparison not measured: ${speedNote}.`] : []),
      ...(speed ? ['', `Throughput, SPEECH_CONCURRENCY × SPEECH_THREADS, on the synthetic sentences packed into ${packed.length} chunks of up to ${PACK_SECONDS} s (${options.repeat > 1 ? `${options.repeat} runs each, alternating; the fastest counts` : 'one run each'}):`, '', ...comparisonTable(results)] : []),
      ...(namesResults ? ['', `Names: 18 unusual names × 2 voices (en-us, en-gb) in "Thanks. <name> will send the report tomorrow."${options.quick ? ' (--quick: 3 names × 2 voices)' : ''}:`, '', ...namesTable(results)] : []),
      ...worstSections(results),
    ].join('\n');
    console.log(`\n${sections}\n\nuptime after: ${uptimeAfter}\nbench took ${total.toFixed(0)} s`);

    if (options.doc) {
      const load = Number(/load average: ([\d.]+)/.exec(uptimeBefore)?.[1] ?? 0);
      const counts = (group: string) => prepared.filter((u) => u.group === group).length;
      await appendBenchmarkSection('Speech recognition quality and speed', [
        `- Command: \`${command}\` (${total.toFixed(0)} s)`,
        `- Machine: ${machineDescription([['ffmpeg', ['-version']], ['espeak-ng', ['--version']]])}; faster-whisper ${fasterWhisper}; pocketsphinx ${pocketsphinxNote ? 'not installed' : `${pocketsphinxVersion ?? '?'} (Debian)`}.`,
        `- \`uptime\` before: \`${uptimeBefore}\`; after: \`${uptimeAfter}\`.${load > os.availableParallelism() / 2 ? ' The machine was shared with other work (load average above half the cores): timings are slower and noisier than on an idle machine; the "others" columns show how much CPU went elsewhere.' : ''}`,
        `- Set (scripts/bench-speech/set/, see its README): ${[...wanted.map((g) => `${counts(g)} ${GROUP_TITLES[g]}`), ...(clips.length ? [`${clips.length} name clips`] : [])].join('; ')}${options.quick ? ' (--quick subset)' : ''}.`,
        `- Whisper: the product's default engine as the worker builds it (parseConfig + createTranscriptionEngines): Whisper base, int8, beam 5, ${whisperConfig} (recognitions at once × threads each), the language given, no prompt except in the names comparison. pocketsphinx: the previous adapter (scripts/bench-speech/pocketsphinx.ts) with Debian's US English model, ${os.availableParallelism()} runs at once; it has only an English model, so not the other languages.`,
        '- × real time = audio seconds ÷ wall seconds; CPU = the recognizer\'s (the whisper server process, or the pocketsphinx runs) from /proc; "others" = CPU the rest of the machine used meanwhile (other work, this bench\'s node), as a share of all cores.',
        '- Normaliser (speech/wer.ts), applied to reference and hypothesis alike:',
        ...normaliserText(),
        '',
        sections,
        '',
      ]);
    }
  } finally {
    await whisper?.recognizer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
