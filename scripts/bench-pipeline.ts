// `npm run bench:pipeline`: how long a recorded meeting takes to become a transcript, against the recognizer
// itself, and how much memory the worker needs for it.
//
// Every case is one meeting of N speakers × D minutes, held in the Daily simulator on a virtual clock (so
// two hours of meeting cost only the encoding of their media): the participants join, the recording is
// started through our API (POST /v1/meetings/:id/recordings/start), they take turns saying espeak-ng
// sentences of one to three sentences with short pauses inside a turn and longer ones between turns, and
// everyone leaves at D minutes. The product runs as in production on this machine: the API and the
// simulator in this process, the worker as its own process (`node worker.ts`, the product's entry point,
// as test/worker-crash.test.ts starts it) against a Temporal dev server and PostgreSQL started here, all on
// 127.0.0.1. Per case:
//   - wall time from the raw-tracks `recording.ready-to-download` webhook (its WebhookEvent row's
//     receivedAt) to `ended` (finishTranscript completed in the recording workflow's history), with the
//     phases from that history (prepare = download + decode + chunk per track, transcribe, mixdown);
//   - the recognizer alone: the same engine, same options, over the same chunk WAVs (decoded and cut here
//     with the product's own functions), chunks of a track one after another and tracks in parallel up to
//     SPEECH_CONCURRENCY, as the pipeline schedules them, with nothing else running; ratio = pipeline ÷ that;
//   - decode + chunk alone per track (× real time), and mixdown in the pipeline (× real time);
//   - the worker's peak memory: RSS of the worker process plus all its child processes (ffmpeg, ffprobe,
//     the whisper server), sampled from /proc every 200 ms, and the worker process's own VmHWM;
//   - the words: WER of each speaker's turns in the transcript against the sentences that speaker said
//     (speech/wer.ts's normaliser), summed over the speakers.
// Engines: whisper (the product's default: Whisper base on this machine, in the worker's own process) and the
// OpenAI-compatible engine against the local stand-in (speech/stand-in-server.ts, answers in milliseconds, no
// real words: it shows the pipeline's own cost). Results go to stdout and, as a dated section, to docs/benchmarks.md.
//
// On a shared machine other work slows single runs down unevenly: --repeat N runs every case N times, alternating,
// and keeps the fastest run of the pipeline and of the recognizer alone (see combine).
//
// Usage: npm run bench:pipeline [-- --quick] [-- --cases whisper:2x10,stand-in:4x30:c1 --repeat 3 --seed 7 --no-doc]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { decodeToPcm16k } from '../audio/decode.ts';
import { splitAtSilences, type AudioChunk } from '../audio/chunks.ts';
import { mixdownToMp3, waveformPeaks } from '../audio/mixdown.ts';
import { probeMedia } from '../audio/tracks.ts';
import { trackOffsetSeconds } from '../platforms/daily/recordings.ts';
import { Recording, Transcript, WebhookEvent } from '../db/entities.ts';
import { seededRandom } from '../platforms/daily/simulator/faults.ts';
import { SIMULATOR_VOICES } from '../platforms/daily/simulator/speech.ts';
import { createSpeechRecognizer, type SpeechRecognizer } from '../speech/index.ts';
import { parseConfig } from '../runtime/config.ts';
import { werCount, werOf } from '../speech/wer.ts';
import { createTranscriptionEngines } from '../runtime/engines.ts';
import { startSpeechStandIn, type SpeechStandIn } from '../speech/stand-in-server.ts';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../recordings/messages.ts';
import { appendBenchmarkSection, machineDescription } from './benchmarks-doc.ts';
import { tracingEnv } from './bench-processes.ts';
import type { RunningServer } from '../test/support/servers.ts';
import type { TestProduct } from '../test/support/product.ts';

const root = path.resolve(import.meta.dirname, '..');

// ---------------------------------------------------------------------------------------------------
// Cases and options

type Engine = 'whisper' | 'stand-in';

interface CaseSpec {
  engine: Engine;
  speakers: number;
  minutes: number;
  /** AUDIO_CONCURRENCY = SPEECH_CONCURRENCY; null: the product's default (availableParallelism). */
  concurrency: number | null;
}

const FULL_CASES = ['whisper:2x10', 'whisper:2x10:c1', 'whisper:2x120', 'stand-in:2x10', 'stand-in:4x30', 'stand-in:4x30:c1'];
const QUICK_CASES = ['whisper:2x10', 'stand-in:2x10'];

function parseCase(text: string): CaseSpec {
  const match = /^(whisper|stand-in):(\d+)x(\d+)(?::c(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`a case is engine:NxM[:cK], e.g. whisper:2x10 or stand-in:4x30:c1; got "${text}"`);
  const speakers = Number(match[2]);
  if (speakers < 1 || speakers > SIMULATOR_VOICES.length) throw new Error(`1 to ${SIMULATOR_VOICES.length} speakers, got ${speakers}`);
  return { engine: match[1] as Engine, speakers, minutes: Number(match[3]), concurrency: match[4] ? Number(match[4]) : null };
}

const caseLabel = (c: CaseSpec) => `${c.speakers}×${c.minutes} min`;
const defaultConcurrency = () => Math.max(1, os.availableParallelism());
const concurrencyOf = (c: CaseSpec) => c.concurrency ?? defaultConcurrency();
const concurrencyLabel = (c: CaseSpec) => (c.concurrency === null ? `${defaultConcurrency()} (default)` : String(c.concurrency));
const engineLabel = (e: Engine) => (e === 'whisper' ? 'whisper (base, this machine)' : 'openai-compatible → stand-in');

interface Options {
  cases: CaseSpec[];
  quick: boolean;
  seed: number;
  /** Each case this many times; the least-disturbed run counts (see combine). */
  repeat: number;
  doc: boolean;
  /** Where to write each case's pipeline seconds as JSON (for bench:observability). */
  json: string | undefined;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      cases: { type: 'string' },
      seed: { type: 'string', default: '7' },
      repeat: { type: 'string', default: '1' },
      'no-doc': { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const list = values.cases ? values.cases.split(',') : values.quick ? QUICK_CASES : FULL_CASES;
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got "${values.repeat}"`);
  return { cases: list.map(parseCase), quick: values.quick, seed, repeat, doc: !values['no-doc'], json: values.json };
}

// ---------------------------------------------------------------------------------------------------
// /proc: memory of a process tree, CPU of processes and of the machine

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const PAGE_SIZE = Number(execFileSync('getconf', ['PAGESIZE']).toString().trim()) || 4096;

interface ProcInfo { pid: number; ppid: number; comm: string; cpuMs: number; childCpuMs: number }

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const f = stat.slice(close + 2).split(' ');
    return {
      pid, ppid: Number(f[1]), comm: stat.slice(stat.indexOf('(') + 1, close),
      cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK,
      childCpuMs: ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK,
    };
  } catch {
    return null; // gone meanwhile
  }
}

function allProcesses(): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(Number(entry));
    if (info) found.push(info);
  }
  return found;
}

function rssBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}

function descendants(all: ProcInfo[], rootPid: number): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const queue = [rootPid];
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

function vmHwmBytes(pid: number): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

interface MemorySample { at: number; total: number; worker: number; children: string }

/**
 * RSS of the worker and every descendant, every `intervalMs`; the samples are kept (a few thousand at most).
 * Also each descendant's CPU time when last seen, by program (short-lived processes lose at most their last interval).
 */
class MemorySampler {
  readonly samples: MemorySample[] = [];
  readonly #cpuByPid = new Map<number, { comm: string; cpuMs: number }>();
  readonly #timer: NodeJS.Timeout;
  constructor(pid: number, intervalMs = 200) {
    const sample = () => {
      const kids = descendants(allProcesses(), pid);
      for (const kid of kids) this.#cpuByPid.set(kid.pid, { comm: kid.comm, cpuMs: kid.cpuMs });
      const worker = rssBytes(pid);
      const sizes = kids.map((k) => ({ comm: k.comm, rss: rssBytes(k.pid) }));
      const total = worker + sizes.reduce((sum, k) => sum + k.rss, 0);
      this.samples.push({ at: Date.now(), total, worker, children: sizes.map((k) => `${k.comm} ${mib(k.rss)}`).join(', ') });
    };
    sample();
    this.#timer = setInterval(sample, intervalMs);
  }
  stop(): void {
    clearInterval(this.#timer);
  }
  /** CPU seconds of the descendants seen so far, by program name (ffprobe counted with ffmpeg). */
  childCpuByProgram(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { comm, cpuMs } of this.#cpuByPid.values()) {
      const name = comm.startsWith('python') ? 'whisper (python)' : comm.startsWith('ff') ? 'ffmpeg' : comm;
      out[name] = (out[name] ?? 0) + cpuMs / 1000;
    }
    return out;
  }
  peak(from: number, to: number): MemorySample | null {
    let best: MemorySample | null = null;
    for (const s of this.samples) if (s.at >= from && s.at <= to && (!best || s.total > best.total)) best = s;
    return best;
  }
  peakWorker(from: number, to: number): number {
    return Math.max(0, ...this.samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.worker));
  }
}

interface CpuSnapshot { at: number; workerNode: number; workerChildren: number; bench: number; temporal: number; postgres: number; machineBusy: number; machineTotal: number }

function cpuSnapshot(workerPid: number, postgresPort: string): CpuSnapshot {
  const all = allProcesses();
  const worker = all.find((p) => p.pid === workerPid);
  const temporal = all.filter((p) => p.ppid === process.pid && p.comm.startsWith('temporal')).reduce((sum, p) => sum + p.cpuMs + p.childCpuMs, 0);
  const postmaster = all.find((p) => p.comm === 'postgres' && safeCmdline(p.pid).includes(`-p ${postgresPort} `));
  const postgres = postmaster ? all.filter((p) => p.pid === postmaster.pid || p.ppid === postmaster.pid).reduce((sum, p) => sum + p.cpuMs, 0) : 0;
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = ticks[3]! + ticks[4]!;
  const self = process.cpuUsage();
  // Still-running children of the worker count too (their CPU reaches cutime only once they are reaped).
  const running = worker ? descendants(all, workerPid).reduce((sum, p) => sum + p.cpuMs, 0) : 0;
  return {
    at: Date.now(), workerNode: worker?.cpuMs ?? 0, workerChildren: (worker?.childCpuMs ?? 0) + running,
    bench: (self.user + self.system) / 1000, temporal, postgres,
    machineBusy: ((total - idle) * 1000) / CLK_TCK, machineTotal: (total * 1000) / CLK_TCK,
  };
}

function safeCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** This process and its children (the whisper server, ffmpeg), and the machine, for the alone runs. */
function selfSnapshot(): { at: number; self: number; machineBusy: number; machineTotal: number } {
  const me = readProc(process.pid)!;
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return { at: Date.now(), self: me.cpuMs + me.childCpuMs, machineBusy: ((total - ticks[3]! - ticks[4]!) * 1000) / CLK_TCK, machineTotal: (total * 1000) / CLK_TCK };
}

/** CPU seconds this process (and reaped children) used, and what the rest of the machine used, between two snapshots. */
function selfBetween(a: ReturnType<typeof selfSnapshot>, b: ReturnType<typeof selfSnapshot>): { own: number; others: number; wall: number } {
  const wall = (b.at - a.at) / 1000;
  const machine = (os.availableParallelism() * wall * (b.machineBusy - a.machineBusy)) / Math.max(1, b.machineTotal - a.machineTotal);
  const own = (b.self - a.self) / 1000;
  return { own, others: Math.max(0, machine - own), wall };
}

interface CpuUse { workerNode: number; workerChildren: number; bench: number; temporalPostgres: number; others: number; machine: number }

/** CPU seconds between two snapshots; `others` is everything else the machine ran (other work, the kernel). */
function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const cores = os.availableParallelism();
  const wall = (b.at - a.at) / 1000;
  const machine = (cores * wall * (b.machineBusy - a.machineBusy)) / Math.max(1, b.machineTotal - a.machineTotal);
  const use = {
    workerNode: (b.workerNode - a.workerNode) / 1000, workerChildren: (b.workerChildren - a.workerChildren) / 1000,
    bench: (b.bench - a.bench) / 1000, temporalPostgres: (b.temporal - a.temporal + b.postgres - a.postgres) / 1000,
  };
  return { ...use, machine, others: Math.max(0, machine - use.workerNode - use.workerChildren - use.bench - use.temporalPostgres) };
}

// ---------------------------------------------------------------------------------------------------
// The meeting

const SENTENCES = [
  'Good morning everyone, let us get started with the weekly review.',
  'The billing export shipped on Tuesday and the numbers look right.',
  'I think we should move the database migration to next week.',
  'Customers asked again for a way to download their invoices.',
  'The new login page is almost done, only the error messages are left.',
  'Can you share the dashboard link in the chat after the call?',
  'We saw a spike in latency on Thursday afternoon.',
  'It came from a slow query in the search service.',
  'Let us add an index and watch it for a few days.',
  'Who can take the support rotation next month?',
  'I can do the first two weeks, but not the third.',
  'The design review is scheduled for Friday at ten.',
  'Please read the proposal before then and leave your comments.',
  'Our budget for the quarter is mostly spent on infrastructure.',
  'We could save money by turning off the staging cluster at night.',
  'That sounds reasonable, as long as the nightly tests still run.',
  'The mobile release is blocked on the app store review.',
  'Marketing wants a short demo video for the launch.',
  'I will write the release notes this afternoon.',
  'Does anyone have concerns about the new on call schedule?',
  'Yes, the handover time is too early for the team in Asia.',
  'Let us move it two hours later and try it for a month.',
  'Thanks, that covers everything on my list.',
  'Great, I will send a summary and the action items after the meeting.',
];
const NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara'];

interface HeldMeeting { meetingId: string; speechSeconds: number[]; turns: number; says: number; simSeconds: number; /** Per speaker, what they said, in order. */ said: string[][] }

/**
 * Everyone joins at once, the recording starts through our API, then turns until D minutes: a random
 * speaker other than the last says 1–3 sentences with 0.3–0.6 s between them, then 1–3 s of silence.
 */
async function holdMeeting(product: TestProduct, spec: CaseSpec, random: () => number): Promise<HeldMeeting> {
  const sim = product.daily;
  const roomName = `bench-${spec.speakers}x${spec.minutes}-${randomBytes(3).toString('hex')}`;
  const room = await product.request('POST', '/v1/rooms', { name: roomName, recordingTrigger: 'automatic' });
  if (room.status !== 201) throw new Error(`creating room ${roomName}: HTTP ${room.status} ${JSON.stringify(room.body)}`);
  const meeting = await product.request('POST', `/v1/rooms/${roomName}/meetings`, {});
  if (meeting.status !== 201) throw new Error(`creating a meeting: HTTP ${meeting.status} ${JSON.stringify(meeting.body)}`);
  const meetingId = meeting.body.id as string;
  const platformRoomName = meeting.body.platformRoomName as string;
  const people = [];
  for (let i = 0; i < spec.speakers; i++) {
    people.push(await sim.join(platformRoomName, { userName: NAMES[i]!, userId: `user-${NAMES[i]!.toLowerCase()}`, owner: i === 0, voice: SIMULATOR_VOICES[i]! }));
  }
  for (let attempt = 0; ; attempt++) {
    const started = await product.request('POST', `/v1/meetings/${meetingId}/recordings/start`, {});
    if (started.status === 200 && started.body.status === 'recording') break;
    if (attempt >= 100) throw new Error(`recording did not start: HTTP ${started.status} ${JSON.stringify(started.body)}`);
    await sleep(200);
  }
  const startMs = (await sim.clock()).nowMs;
  const endMs = startMs + spec.minutes * 60_000;
  await sim.advance(1000);
  const speechSeconds = people.map(() => 0);
  const spoken: string[][] = people.map(() => []);
  let turns = 0;
  let says = 0;
  let last = -1;
  const roomFor = (ms: number) => endMs - (2000 + ms);
  for (;;) {
    const now = (await sim.clock()).nowMs;
    if (now > roomFor(8000)) break;
    let who = Math.floor(random() * people.length);
    if (people.length > 1 && who === last) who = (who + 1 + Math.floor(random() * (people.length - 1))) % people.length;
    last = who;
    turns++;
    const sentences = 1 + Math.floor(random() * 3);
    for (let s = 0; s < sentences; s++) {
      if ((await sim.clock()).nowMs > roomFor(8000)) break;
      const text = SENTENCES[Math.floor(random() * SENTENCES.length)]!;
      const said = await sim.say(people[who]!.sessionId, { text });
      spoken[who]!.push(text);
      says++;
      speechSeconds[who]! += said.durationMs / 1000;
      const pause = s < sentences - 1 ? 300 + random() * 300 : 1000 + random() * 2000;
      await sim.advance(Math.round(said.durationMs + pause));
    }
  }
  const now = (await sim.clock()).nowMs;
  if (endMs > now) await sim.advance(endMs - now);
  for (const person of people) await sim.leave(person.sessionId);
  // Past the simulator's grace before meeting.ended: both recordings stop and their media is written.
  await sim.advance(5000);
  return { meetingId, speechSeconds, turns, says, simSeconds: (endMs - startMs) / 1000, said: spoken };
}

// ---------------------------------------------------------------------------------------------------
// The worker process

interface WorkerProcess { child: ChildProcess; tail: string[]; exited: Promise<void> }

async function startWorker(product: TestProduct, spec: CaseSpec, standIn: SpeechStandIn): Promise<WorkerProcess> {
  const c = product.config;
  const { AUDIO_CONCURRENCY: _a, SPEECH_CONCURRENCY: _s, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    DATA_DIR: c.dataDir, APP_SECRET: c.appSecret, API_PORT: String(c.api.port), LOG_LEVEL: process.env.BENCH_WORKER_LOG ? 'debug' : 'info',
    DATABASE_URL: c.database.kind === 'postgresql' ? c.database.url : '',
    TEMPORAL_ADDRESS: c.temporal.address, TEMPORAL_NAMESPACE: c.temporal.namespace, TEMPORAL_TASK_QUEUE: c.temporal.taskQueue,
    DAILY_API_KEY: c.daily.apiKey, DAILY_API_URL: c.daily.apiUrl, DAILY_WEBHOOK_SECRET: c.daily.webhookSecret,
    RECORDING_READY_TIMEOUT_SECONDS: '1800',
    ...engineEnv(spec.engine, standIn),
    ...(spec.concurrency !== null ? { AUDIO_CONCURRENCY: String(spec.concurrency), SPEECH_CONCURRENCY: String(spec.concurrency) } : {}),
  };
  const child = spawn(process.execPath, [path.join(root, 'worker.ts')], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const tail: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    let pending = '';
    child.stderr!.setEncoding('utf8').on('data', (data: string) => {
      const lines = (pending + data).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (process.env.BENCH_WORKER_LOG) appendFileSync(process.env.BENCH_WORKER_LOG, `${line}\n`);
        tail.push(line);
        if (tail.length > 30) tail.shift();
        if (line.includes('"worker polling"')) resolve();
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`the worker exited with ${code ?? signal} before polling:\n${tail.join('\n')}`)));
  });
  await Promise.race([ready, sleep(120_000).then(() => Promise.reject(new Error(`the worker did not start polling within 2 minutes:\n${tail.join('\n')}`)))]);
  return { child, tail, exited };
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  await Promise.race([worker.exited, sleep(15_000).then(() => worker.child.kill('SIGKILL'))]);
  await worker.exited;
}

function engineEnv(engine: Engine, standIn: SpeechStandIn): Record<string, string> {
  return engine === 'whisper' ? { SPEECH_ENGINE: 'whisper' } : { SPEECH_ENGINE: 'openai-compatible', SPEECH_API_URL: standIn.baseUrl };
}

/** As runtime/engines.ts builds it from the same configuration. */
function recognizerFor(engine: Engine, standIn: SpeechStandIn, concurrency: number): SpeechRecognizer {
  if (engine === 'whisper') {
    const config = parseConfig({ APP_SECRET: 'x'.repeat(32), SPEECH_CONCURRENCY: String(concurrency) });
    return createTranscriptionEngines(config.transcription, { speechConcurrency: concurrency }).recognizer;
  }
  return createSpeechRecognizer({ engine: 'openai-compatible', baseUrl: standIn.baseUrl, model: 'whisper-1', requestTimeoutMs: 300_000 });
}

// ---------------------------------------------------------------------------------------------------
// The recording workflow's history: when each activity ran

interface ActivitySpan { type: string; scheduled: number; started: number; completed: number; input: unknown; result: unknown }

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;
const tsMs = (ts: Timestamp) => (ts ? Number(String(ts.seconds ?? 0)) * 1000 + (ts.nanos ?? 0) / 1e6 : NaN);
type Payloads = { payloads?: Array<{ data?: Uint8Array | null }> | null } | null | undefined;
const firstPayload = (p: Payloads): unknown => {
  const data = p?.payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
};

async function activitySpans(handle: WorkflowHandle): Promise<{ started: number; closed: number; spans: ActivitySpan[] }> {
  const history = await handle.fetchHistory();
  const byId = new Map<string, ActivitySpan>();
  let started = NaN;
  let closed = NaN;
  for (const event of history.events ?? []) {
    const at = tsMs(event.eventTime);
    if (event.workflowExecutionStartedEventAttributes) started = at;
    if (event.workflowExecutionCompletedEventAttributes) closed = at;
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      byId.set(String(event.eventId), { type: scheduled.activityType?.name ?? '?', scheduled: at, started: NaN, completed: NaN, input: firstPayload(scheduled.input), result: undefined });
    }
    const start = event.activityTaskStartedEventAttributes;
    if (start) byId.get(String(start.scheduledEventId))!.started = at;
    const done = event.activityTaskCompletedEventAttributes;
    if (done) {
      const span = byId.get(String(done.scheduledEventId))!;
      span.completed = at;
      span.result = firstPayload(done.result);
    }
  }
  return { started, closed, spans: [...byId.values()] };
}

// ---------------------------------------------------------------------------------------------------
// One case

interface TrackAlone { key: string; durationSeconds: number; decodeSeconds: number; chunks: AudioChunk[]; recognizeSeconds: number }

interface CaseResult {
  spec: CaseSpec;
  meeting: HeldMeeting;
  generateSeconds: number;
  recordingSeconds: number;
  tracks: number;
  chunks: number;
  words: number;
  /** The transcript's words against what was said, summed over the speakers (null with the stand-in: its words are placeholders). */
  wer: { total: number; perSpeaker: number[] } | null;
  /** Seconds from the raw-tracks webhook's arrival. */
  toWorkflowStart: number;
  pipeline: number;
  workflowToEnded: number;
  phases: { plan: number; prepare: [number, number]; transcribe: [number, number]; mixdown: [number, number]; tail: number };
  prepareSpeeds: number[];
  mixdownSpeed: number;
  recognizerAlone: number;
  /** CPU seconds of the recognizer alone (client, stand-in or whisper processes), and of other work meanwhile. */
  recognizerAloneCpu: { own: number; others: number; wall: number };
  /** Seconds of audio in the chunks (what the recognizer hears). */
  chunkSeconds: number;
  decodeAloneSpeeds: number[];
  mixdownAloneSpeed: number;
  waveformAloneSpeed: number;
  chunksMatch: boolean;
  /** CPU seconds of the worker's child processes during the pipeline, by program (sampled). */
  childCpu: Record<string, number>;
  memory: { peakTotal: number; peakWorker: number; hwm: number | null; idle: number; atPeak: string };
  cpu: CpuUse;
  warnings: string[];
  /** With --repeat: every run's pipeline and recognizer-alone seconds. */
  runs?: { pipeline: number[]; alone: number[] };
}

/**
 * Several runs of one case as one row. On a shared machine other work only ever slows a run down, so the
 * fastest run is the least disturbed: the pipeline figures come from the run with the shortest pipeline, the
 * recognizer alone (and decode, mixdown, waveform alone) from the fastest of its own runs; memory from the
 * highest peak. Every run's times are listed.
 */
function combine(runs: CaseResult[]): CaseResult {
  if (runs.length === 1) return runs[0]!;
  const best = runs.reduce((a, b) => (b.pipeline < a.pipeline ? b : a));
  const alone = runs.reduce((a, b) => (b.recognizerAlone < a.recognizerAlone ? b : a));
  const maxAll = (pick: (r: CaseResult) => number[]) => pick(runs[0]!).map((_, i) => Math.max(...runs.map((r) => pick(r)[i] ?? 0)));
  const highest = runs.reduce((a, b) => (b.memory.peakTotal > a.memory.peakTotal ? b : a));
  return {
    ...best,
    recognizerAlone: alone.recognizerAlone, recognizerAloneCpu: alone.recognizerAloneCpu,
    decodeAloneSpeeds: maxAll((r) => r.decodeAloneSpeeds),
    mixdownAloneSpeed: Math.max(...runs.map((r) => r.mixdownAloneSpeed)), waveformAloneSpeed: Math.max(...runs.map((r) => r.waveformAloneSpeed)),
    memory: { ...highest.memory, peakWorker: Math.max(...runs.map((r) => r.memory.peakWorker)), hwm: Math.max(...runs.map((r) => r.memory.hwm ?? 0)) },
    runs: { pipeline: runs.map((r) => r.pipeline), alone: runs.map((r) => r.recognizerAlone) },
  };
}

async function runCase(spec: CaseSpec, seed: number, standIn: SpeechStandIn, postgresPort: string): Promise<CaseResult> {
  const { startTestProduct } = await import('../test/support/product.ts');
  console.log(`\n${caseLabel(spec)}, ${engineLabel(spec.engine)}, concurrency ${concurrencyLabel(spec)}`);
  const product = await startTestProduct({
    name: `benchpipe-${spec.speakers}x${spec.minutes}`, database: 'postgresql', worker: false,
    // One recording's media at a time: the cloud MP4 is written (and its webhook sent) before the raw
    // tracks, so nothing of the simulator's runs while the pipeline is measured.
    daily: { clock: { mode: 'virtual' }, mediaConcurrency: 1 },
    env: { RECORDING_READY_TIMEOUT_SECONDS: '1800', ...engineEnv(spec.engine, standIn), ...tracingEnv() },
  });
  let worker: WorkerProcess | undefined;
  let sampler: MemorySampler | undefined;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'bench-pipeline-'));
  try {
    worker = await startWorker(product, spec, standIn);
    const workerPid = worker.child.pid!;
    sampler = new MemorySampler(workerPid);
    const idle = rssBytes(workerPid);

    // 1. The meeting, in virtual time.
    const generating = performance.now();
    const meeting = await holdMeeting(product, spec, seededRandom(seed));
    console.log(`  meeting held: ${meeting.turns} turns, ${meeting.says} sentences, speech per speaker ${meeting.speechSeconds.map((s) => `${(s / 60).toFixed(1)} min`).join(', ')}; waiting for the raw tracks …`);

    // 2. The raw-tracks webhook arrives once the simulator has written the media.
    const em = product.services.db.em;
    const deadline = Date.now() + (300 + spec.minutes * spec.speakers * 10) * 1000;
    let webhook: WebhookEvent | undefined;
    while (!webhook) {
      // Stored under the parsed event's type, with Daily's whole envelope as the payload.
      const rows = await em.fork().find(WebhookEvent, { type: 'recording.ready', meetingId: meeting.meetingId });
      webhook = rows.find((row) => envelope(row).type === 'recording.ready-to-download' && envelope(row).payload?.type === 'raw-tracks');
      if (!webhook) {
        if (Date.now() > deadline) throw new Error('no raw-tracks recording.ready-to-download webhook arrived');
        await sleep(100);
      }
    }
    const cpuStart = cpuSnapshot(workerPid, postgresPort);
    const generateSeconds = (performance.now() - generating) / 1000;
    const receivedAt = webhook.receivedAt.getTime();
    const recordingId = envelope(webhook).payload!.recording_id!;
    console.log(`  raw tracks ready after ${generateSeconds.toFixed(0)} s of generation; pipeline running …`);

    // 3. The recording workflow, to its end.
    const handle = product.services.temporal.workflow.getHandle(recordingWorkflowId(recordingId));
    for (;;) {
      try {
        await handle.describe();
        break;
      } catch (error) {
        if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
        if (Date.now() > deadline) throw new Error(`recording workflow ${recordingWorkflowId(recordingId)} never started`);
        await sleep(100);
      }
    }
    const result: RecordingWorkflowResult = await handle.result();
    const cpuEnd = cpuSnapshot(workerPid, postgresPort);
    if (result.transcriptStatus !== 'ended') throw new Error(`the transcript did not end: ${JSON.stringify(result)}`);
    const transcript = await em.fork().findOneOrFail(Transcript, result.transcriptId!);
    const wer = spec.engine === 'whisper' ? await transcriptWer(product, transcript.id, meeting) : null;
    if (wer) console.log(`  WER ${wer.total.toFixed(3)} (per speaker: ${wer.perSpeaker.map((w) => w.toFixed(3)).join(', ')})`);
    if (transcript.status !== 'ended') throw new Error(`transcript ${transcript.id} is ${transcript.status}`);
    const history = await activitySpans(handle);
    const of = (type: string) => history.spans.filter((s) => s.type === type);
    const finish = of('finishTranscript')[0]!;
    const endedAt = finish.completed;
    const rel = (ms: number) => (ms - receivedAt) / 1000;
    const recording = await em.fork().findOneOrFail(Recording, recordingId);
    const recordingSeconds = Number(recording.durationSeconds);
    const prepares = of('prepareTrack');
    const transcribes = of('transcribeTrack');
    const mix = of('mixdownRecording')[0]!;
    for (const a of [...prepares, ...transcribes, mix]) {
      const track = (a.input as { track?: { index: number } }).track;
      console.log(`    ${a.type}${track ? ` track ${track.index}` : ''}: scheduled ${sec(rel(a.scheduled))} s, ran ${sec(rel(a.started))}–${sec(rel(a.completed))} s`);
    }
    const span = (spans: ActivitySpan[]): [number, number] => [rel(Math.min(...spans.map((s) => s.started))), rel(Math.max(...spans.map((s) => s.completed)))];
    const memoryPeak = sampler.peak(receivedAt, endedAt);
    const memory = {
      peakTotal: memoryPeak?.total ?? 0, peakWorker: sampler.peakWorker(receivedAt, endedAt), hwm: vmHwmBytes(workerPid), idle,
      atPeak: memoryPeak ? `node ${mib(memoryPeak.worker)}${memoryPeak.children ? `, ${memoryPeak.children}` : ''}` : '',
    };
    sampler.stop();
    const childCpu = sampler.childCpuByProgram();
    const pipelineSeconds = rel(endedAt);
    console.log(`  ended ${pipelineSeconds.toFixed(1)} s after the webhook; worker peak ${mib(memory.peakTotal)} (${memory.atPeak})`);

    // 4. Copy the raw tracks out, then stop everything of the product: the alone runs have the machine.
    const trackKeys = recording.trackKeys ?? [];
    const files: Array<{ key: string; path: string }> = [];
    for (const [i, key] of trackKeys.entries()) {
      const file = path.join(scratch, `track-${i}.webm`);
      await pipeline((await product.services.storage.get(key)).body, createWriteStream(file));
      files.push({ key, path: file });
    }
    await stopWorker(worker);
    worker = undefined;

    // 5. Decode and cut each track as prepareTrack does, one at a time, timed.
    const alone: TrackAlone[] = [];
    for (const [i, file] of files.entries()) {
      const t0 = performance.now();
      const probe = await probeMedia(file.path);
      const wav = path.join(scratch, `track-${i}.wav`);
      await decodeToPcm16k(file.path, wav, {});
      const chunks = await splitAtSilences(wav, { outDir: path.join(scratch, `chunks-${i}`) });
      alone.push({ key: file.key, durationSeconds: probe.durationSeconds, decodeSeconds: (performance.now() - t0) / 1000, chunks, recognizeSeconds: 0 });
      await rm(wav, { force: true });
    }
    // 6. The recognizer alone over those chunks: per track in order, tracks in parallel as the speech queue allows.
    console.log(`  recognizer alone over ${alone.reduce((n, t) => n + t.chunks.length, 0)} chunk(s) …`);
    const recognizer = recognizerFor(spec.engine, standIn, concurrencyOf(spec));
    await recognizer.start?.();
    const cpuAloneStart = selfSnapshot();
    const recognizing = performance.now();
    await parallel(alone, concurrencyOf(spec), async (track) => {
      const t0 = performance.now();
      for (const chunk of track.chunks) await recognizer.transcribe({ wavPath: chunk.wavPath, durationSeconds: chunk.durationSeconds }, { language: 'en', participantNames: NAMES.slice(0, spec.speakers) });
      track.recognizeSeconds = (performance.now() - t0) / 1000;
    });
    const recognizerAlone = (performance.now() - recognizing) / 1000;
    await recognizer.close?.();
    const recognizerAloneCpu = selfBetween(cpuAloneStart, selfSnapshot());

    // 7. Mixdown and waveform alone, as mixdownRecording calls them (offsets from the keys, as prepareTrack places them).
    const inputs = [];
    for (const file of files) inputs.push({ path: file.path, offsetSeconds: trackOffsetSeconds(file.key, await probeMedia(file.path)).offsetSeconds });
    const mp3 = path.join(scratch, 'audio.mp3');
    let t0 = performance.now();
    await mixdownToMp3(inputs, mp3, { durationSeconds: recordingSeconds });
    const mixdownAloneSpeed = recordingSeconds / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    await waveformPeaks(mp3, { peaks: 1000 });
    const waveformAloneSpeed = recordingSeconds / ((performance.now() - t0) / 1000);

    const durationOf = (key: string) => alone.find((t) => t.key === key)?.durationSeconds ?? recordingSeconds;
    const pipelineChunks = prepares.map((p) => (p.result as { chunks: number }).chunks);
    const chunksMatch = prepares.every((p) => {
      const key = (p.input as { track: { key: string } }).track.key;
      return alone.find((t) => t.key === key)?.chunks.length === (p.result as { chunks: number }).chunks;
    });
    const res: CaseResult = {
      spec, meeting, generateSeconds, recordingSeconds, tracks: trackKeys.length,
      chunks: pipelineChunks.reduce((a, b) => a + b, 0),
      words: transcribes.reduce((n, t) => n + (t.result as { wordCount: number }).wordCount, 0), wer,
      toWorkflowStart: rel(history.started), pipeline: pipelineSeconds, workflowToEnded: (endedAt - history.started) / 1000,
      phases: {
        plan: rel(Math.min(...prepares.map((p) => p.started))) - rel(history.started),
        prepare: span(prepares), transcribe: span(transcribes), mixdown: [rel(mix.started), rel(mix.completed)],
        tail: rel(endedAt) - Math.max(span(transcribes)[1], rel(mix.completed)),
      },
      prepareSpeeds: prepares.map((p) => durationOf((p.input as { track: { key: string } }).track.key) / ((p.completed - p.started) / 1000)),
      mixdownSpeed: recordingSeconds / ((mix.completed - mix.started) / 1000),
      recognizerAlone, recognizerAloneCpu, chunkSeconds: alone.reduce((sum, t) => sum + t.chunks.reduce((n, c) => n + c.end - c.start, 0), 0), decodeAloneSpeeds: alone.map((t) => t.durationSeconds / t.decodeSeconds), mixdownAloneSpeed, waveformAloneSpeed, chunksMatch, memory, childCpu,
      cpu: cpuBetween(cpuStart, cpuEnd), warnings: result.warnings ?? [],
    };
    console.log(`  recognizer alone ${recognizerAlone.toFixed(1)} s → ratio ${(res.pipeline / recognizerAlone).toFixed(2)}; ${formatPhases(res)}`);
    return res;
  } catch (error) {
    if (worker) console.error(`worker's last log lines:\n${worker.tail.join('\n')}`);
    throw error;
  } finally {
    sampler?.stop();
    if (worker) await stopWorker(worker);
    await product.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Each speaker's turns (from the API, as a reader gets them) against the sentences that speaker said. */
async function transcriptWer(product: TestProduct, transcriptId: string, meeting: HeldMeeting): Promise<{ total: number; perSpeaker: number[] }> {
  const view = await product.request('GET', `/v1/transcripts/${transcriptId}`);
  const segments = view.body.segments as Array<{ speakerName: string; text: string }>;
  const counts = meeting.said.map((sentences, i) => werCount(sentences.join(' '), segments.filter((s) => s.speakerName === NAMES[i]).map((s) => s.text).join(' ')));
  return { total: werOf(counts), perSpeaker: counts.map((c) => werOf([c])) };
}

const envelope = (row: WebhookEvent) => row.payload as { type?: string; payload?: { type?: string; recording_id?: string } };

async function parallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

// ---------------------------------------------------------------------------------------------------
// Report

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const sec = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));
const times = (speeds: number[]) => (speeds.length ? `${sec(Math.min(...speeds))}–${sec(Math.max(...speeds))}×` : '–');
const range = ([a, b]: [number, number]) => `${sec(a)}–${sec(b)}`;
const pct = (fraction: number) => `${Math.round(100 * fraction)}%`;
const othersShare = (r: CaseResult) => r.cpu.others / (os.availableParallelism() * r.pipeline);

function formatPhases(r: CaseResult): string {
  return `webhook→workflow ${sec(r.toWorkflowStart)} s, plan ${sec(r.phases.plan)} s, prepare ${range(r.phases.prepare)} s, transcribe ${range(r.phases.transcribe)} s, mixdown ${range(r.phases.mixdown)} s, merge+summary+finish ${sec(r.phases.tail)} s`;
}

function tables(results: CaseResult[]): string {
  const wall = [
    '| Meeting | Speech engine | Concurrency (audio = speech) | Tracks / chunks (min of audio) / words | WER (per speaker) | Webhook → `ended` s | Recognizer alone s (× real time per CPU s) | Ratio (goal ≤ 1.15) | CPU s: pipeline (worker + children) / recognizer alone | Other work\'s share of the machine: pipeline / alone |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => {
      const ratio = r.pipeline / r.recognizerAlone;
      return `| ${caseLabel(r.spec)} | ${engineLabel(r.spec.engine)} | ${concurrencyLabel(r.spec)} | ${r.tracks} / ${r.chunks} (${(r.chunkSeconds / 60).toFixed(1)})${r.chunksMatch ? '' : ' (alone: differs!)'} / ${r.words} | ${r.wer ? `${r.wer.total.toFixed(3)} (${r.wer.perSpeaker.map((w) => w.toFixed(2)).join(', ')})` : 'n/a'} | ${sec(r.pipeline)}${r.runs ? ` (runs: ${r.runs.pipeline.map(sec).join(', ')})` : ''} | ${sec(r.recognizerAlone)} (${sec(r.chunkSeconds / r.recognizerAloneCpu.own)}×)${r.runs ? ` (runs: ${r.runs.alone.map(sec).join(', ')})` : ''} | ${ratio.toFixed(2)}${r.spec.engine === 'whisper' ? (ratio <= 1.15 ? ' met' : ' **missed**') : ' (n/a: stand-in)'} | ${sec(r.cpu.workerNode + r.cpu.workerChildren)} / ${sec(r.recognizerAloneCpu.own)} | ${pct(othersShare(r))} / ${pct(r.recognizerAloneCpu.others / (os.availableParallelism() * r.recognizerAloneCpu.wall))} |`;
    }),
  ];
  const audio = [
    '| Meeting | Engine | Concurrency | Prepare (download, probe, decode, chunk, upload) in pipeline, per track | Decode + chunk alone, per track | Mixdown + upload + waveform in pipeline | Mixdown alone | Waveform alone |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${caseLabel(r.spec)} | ${r.spec.engine} | ${concurrencyLabel(r.spec)} | ${times(r.prepareSpeeds)} | ${times(r.decodeAloneSpeeds)} | ${sec(r.mixdownSpeed)}× | ${sec(r.mixdownAloneSpeed)}× | ${sec(r.waveformAloneSpeed)}× |`),
  ];
  const phases = [
    '| Meeting | Engine | Concurrency | Webhook → workflow start | → first prepare (store, plan) | Prepare span | Transcribe span | Mixdown span | After both (merge, summary, finish) | CPU s: worker node / its children / API+sim+stand-in / Temporal+PostgreSQL / other work | Children\'s CPU s by program (sampled) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${caseLabel(r.spec)} | ${r.spec.engine} | ${concurrencyLabel(r.spec)} | ${sec(r.toWorkflowStart)} | +${sec(r.phases.plan)} | ${range(r.phases.prepare)} | ${range(r.phases.transcribe)} | ${range(r.phases.mixdown)} | ${sec(r.phases.tail)} | ${[r.cpu.workerNode, r.cpu.workerChildren, r.cpu.bench, r.cpu.temporalPostgres, r.cpu.others].map((n) => n.toFixed(0)).join(' / ')} | ${Object.entries(r.childCpu).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${sec(n)}`).join(', ')} |`),
  ];
  const memory = [
    '| Meeting | Engine | Concurrency | Worker RSS just after start | Peak RSS, worker + children | Worker process peak (sampled / VmHWM, whole life incl. start-up) | At the peak |',
    '|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${caseLabel(r.spec)} | ${r.spec.engine} | ${concurrencyLabel(r.spec)} | ${mib(r.memory.idle)} | ${mib(r.memory.peakTotal)} | ${mib(r.memory.peakWorker)} / ${r.memory.hwm === null ? '–' : mib(r.memory.hwm)} | ${r.memory.atPeak} |`),
  ];
  return [
    'Wall time (seconds from the raw-tracks webhook; phases relative to it):',
    '',
    wall.join('\n'),
    '',
    'Audio work in × real time (audio seconds per wall second; "alone": one at a time, worker stopped):',
    '',
    audio.join('\n'),
    '',
    'Where the time goes:',
    '',
    phases.join('\n'),
    '',
    'Worker memory (RSS sampled every 200 ms over the pipeline window):',
    '',
    memory.join('\n'),
  ].join('\n');
}

function summary(results: CaseResult[]): string[] {
  const lines: string[] = [];
  const find = (engine: Engine, speakers: number, minutes: number, concurrency: number | null) =>
    results.find((r) => r.spec.engine === engine && r.spec.speakers === speakers && r.spec.minutes === minutes && r.spec.concurrency === concurrency);
  for (const r of results.filter((x) => x.spec.engine === 'whisper')) {
    const ratio = r.pipeline / r.recognizerAlone;
    lines.push(`- **Ratio pipeline ÷ recognizer alone, ${caseLabel(r.spec)}, whisper, concurrency ${concurrencyLabel(r.spec)}: ${ratio.toFixed(2)} (goal ≤ 1.15: ${ratio <= 1.15 ? 'met' : 'missed'})**: ${sec(r.pipeline)} s from the webhook to \`ended\` against ${sec(r.recognizerAlone)} s for whisper alone on the same ${r.chunks} chunks. `
      + `In CPU: the worker and its children used ${sec(r.cpu.workerNode + r.cpu.workerChildren)} s, whisper alone ${sec(r.recognizerAloneCpu.own)} s (${((r.cpu.workerNode + r.cpu.workerChildren) / r.recognizerAloneCpu.own).toFixed(2)}×); other work took ${pct(othersShare(r))} of the machine during the pipeline and ${pct(r.recognizerAloneCpu.others / (os.availableParallelism() * r.recognizerAloneCpu.wall))} during the alone run. `
      + `Of the pipeline's CPU, the whisper process took ≈ ${sec(r.childCpu['whisper (python)'] ?? 0)} s, ffmpeg ≈ ${sec(r.childCpu.ffmpeg ?? 0)} s, the worker's node ${sec(r.cpu.workerNode)} s. `
      + `The transcript's WER against what was said: ${r.wer ? r.wer.total.toFixed(3) : '–'}.`);
  }
  const tenMinutes = results.find((r) => r.spec.engine === 'whisper' && r.spec.speakers === 2 && r.spec.minutes === 10 && r.spec.concurrency === null);
  if (tenMinutes) {
    const half = tenMinutes.recordingSeconds / 2;
    lines.push(`- **A 2-person 10-minute meeting ends ${sec(tenMinutes.pipeline)} s after its raw tracks are ready (goal: within half its length, ${sec(half)} s: ${tenMinutes.pipeline <= half ? 'met' : 'missed'})**, with whisper at the default concurrency.`);
  }
  const standIn = results.filter((x) => x.spec.engine === 'stand-in');
  if (standIn.length) {
    lines.push(`- With the stand-in the recognizer costs next to nothing (${standIn.map((r) => `${sec(r.recognizerAlone)} s for ${caseLabel(r.spec)}`).join(', ')}), so those ratios only measure the pipeline's own cost; they have no goal.`);
  }
  for (const [speakers, minutes] of [[4, 30], [2, 10]] as const) {
    for (const engine of ['stand-in', 'whisper'] as const) {
      const serial = find(engine, speakers, minutes, 1);
      const parallelRun = find(engine, speakers, minutes, null);
      if (serial && parallelRun) {
        lines.push(`- **Per-track parallelism, ${speakers}×${minutes} min, ${engine}: ${(serial.pipeline / parallelRun.pipeline).toFixed(2)}× faster** with ${defaultConcurrency()} tracks at a time (${sec(parallelRun.pipeline)} s) than with one (${sec(serial.pipeline)} s), on ${os.availableParallelism()} cores.`);
      }
    }
  }
  for (const engine of ['whisper', 'stand-in'] as const) {
    const short = find(engine, 2, 10, null);
    const long = find(engine, 2, 120, null);
    if (short && long) {
      const ratio = long.memory.peakTotal / short.memory.peakTotal;
      lines.push(`- **Worker peak memory with ${engine === 'whisper' ? 'the whisper engine loaded' : 'the stand-in'}, 2×120 min vs 2×10 min: ${mib(long.memory.peakTotal)} vs ${mib(short.memory.peakTotal)}, ratio ${ratio.toFixed(2)} (goal ≤ 1.25: ${ratio <= 1.25 ? 'met' : 'missed'})**; the worker's node process alone peaked at ${mib(long.memory.peakWorker)} vs ${mib(short.memory.peakWorker)} (at the peak: ${long.memory.atPeak}).`);
    }
  }
  const whisperShort = find('whisper', 2, 10, null);
  const standInShort = find('stand-in', 2, 10, null);
  if (whisperShort && standInShort) lines.push(`- Same 2×10 meeting, whisper vs stand-in: peak ${mib(whisperShort.memory.peakTotal)} vs ${mib(standInShort.memory.peakTotal)} (the difference is the Whisper process with its model).`);
  return lines;
}


const uptime = () => execFileSync('uptime').toString().trim();


async function main(): Promise<void> {
  const options = readOptions();
  const command = `npm run bench:pipeline${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = performance.now();
  const uptimeBefore = uptime();
  console.log(`uptime before: ${uptimeBefore}`);
  const { startTemporalDevServer, startPostgres } = await import('../test/support/servers.ts');
  const servers: RunningServer[] = [];
  process.once('exit', () => servers.forEach((server) => server.stopNow?.()));
  process.once('SIGINT', () => process.exit(130));
  // Bounded in time whatever happens.
  const limitMinutes = options.repeat * options.cases.reduce((sum, c) => sum + 6 + (c.speakers * c.minutes) / (c.engine === 'whisper' ? 4 : 10), 5);
  setTimeout(() => {
    console.error(`bench-pipeline: still running after ${limitMinutes.toFixed(0)} minutes; stopping`);
    process.exit(1);
  }, limitMinutes * 60_000).unref();

  let standIn: SpeechStandIn | undefined;
  try {
    const [temporal, postgres] = await Promise.all([startTemporalDevServer(), startPostgres()]);
    servers.push(temporal, postgres);
    process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
    process.env.TEST_DATABASE_URL = postgres.url;
    const postgresPort = new URL(postgres.url).port;
    standIn = await startSpeechStandIn();
    console.log(`servers up in ${((performance.now() - started) / 1000).toFixed(1)} s: Temporal ${temporal.address}, PostgreSQL ${postgres.url}, speech stand-in ${standIn.baseUrl}`);

    // Runs alternate between the cases, so a burst of other work lands on one run, not on every run of one case.
    const runs: CaseResult[][] = options.cases.map(() => []);
    for (let round = 0; round < options.repeat; round++) {
      for (const [i, spec] of options.cases.entries()) runs[i]!.push(await runCase(spec, options.seed, standIn, postgresPort));
    }
    const results = runs.map(combine);

    const total = (performance.now() - started) / 1000;
    const uptimeAfter = uptime();
    const table = tables(results);
    const bullets = summary(results).join('\n');
    console.log(`\n${table}\n\n${bullets}\n\nuptime after: ${uptimeAfter}\nbench took ${total.toFixed(0)} s`);
    if (options.json) await writeFile(options.json, JSON.stringify(results.map((r) => ({ spec: r.spec, pipelineSeconds: r.pipeline, workerNodeCpuSeconds: r.cpu.workerNode, productCpuSeconds: r.cpu.workerNode + r.cpu.workerChildren + r.cpu.bench, othersCpuSeconds: r.cpu.others }))));

    if (options.doc) {
      const load = Number(/load average: ([\d.]+)/.exec(uptimeBefore)?.[1] ?? 0);
      await appendBenchmarkSection('Transcription pipeline', [
        `- Command: \`${command}\` (${total.toFixed(0)} s)`,
        `- Machine: ${machineDescription([['ffmpeg', ['-version']]])}.`,
        `- \`uptime\` before: \`${uptimeBefore}\`; after: \`${uptimeAfter}\`.${load > os.availableParallelism() / 2 ? ' The machine was shared with other work (load average above half the cores): figures are slower and noisier than on an idle machine; the CPU column shows how much went elsewhere.' : ''}`,
        '- Setup: everything on this machine and on 127.0.0.1: a Temporal dev server, a PostgreSQL cluster (fsync off), the API and the Daily simulator in',
        '  the bench process, the worker as its own process (`node worker.ts`, all three task queues), local storage. Each meeting is held in the simulator on a',
        '  virtual clock: N participants join, recording starts through `POST /v1/meetings/:id/recordings/start`, random speakers take turns of 1–3 espeak-ng',
        '  sentences (0.3–0.6 s pauses inside a turn, 1–3 s of silence between turns) until D minutes, everyone leaves. The simulator writes the cloud MP4',
        '  first and the raw tracks after it, so it is idle while the pipeline runs.',
        '- Pipeline time: from the raw-tracks `recording.ready-to-download` webhook (its `WebhookEvent.receivedAt`) to `ended` (`finishTranscript` completed',
        '  in the recording workflow\'s history). Phases are from the same history.',
        `- Recognizer alone: the same engine and options over the same chunk WAVs (the raw tracks decoded and cut here with \`decodeToPcm16k\` and`,
        '  `splitAtSilences`, as `prepareTrack` does; chunk counts checked equal), each track\'s chunks one after another, tracks in parallel up to',
        '  SPEECH_CONCURRENCY, as the pipeline schedules them, with the worker stopped. Ratio = pipeline time ÷ that wall time.',
        '- Engines: **whisper**, the default (faster-whisper with Whisper base, int8, in the worker\'s own Python process; SPEECH_CONCURRENCY recognitions',
        '  at once × cores ÷ SPEECH_CONCURRENCY threads); the recognizer-alone run starts its own whisper process with the same configuration and passes',
        '  the participants\' names as the pipeline does. WER: each speaker\'s turns (GET /v1/transcripts/:id) against the sentences that speaker said, with',
        '  speech/wer.ts\'s normaliser, errors summed over the speakers. And the **openai-compatible** engine against the local stand-in (`speech/stand-in-server.ts`: one placeholder word per voiced region, answers in',
        '  milliseconds) for every size: it exercises the whole pipeline (HTTP upload of every chunk included) without a recognizer\'s cost, so its rows show',
        '  the pipeline\'s own overhead and memory, and its ratio has no goal (with a real remote Whisper the recognizer\'s time would dominate).',
        '- "× real time": audio seconds per wall second of the activity (prepare: per track; mixdown: the recording\'s length, MP3 and waveform).',
        '  Concurrency is AUDIO_CONCURRENCY = SPEECH_CONCURRENCY of the worker; the default is the number of CPUs.',
        '- Memory: RSS of the worker process plus all its descendants (ffmpeg, ffprobe, the whisper process), from /proc every 200 ms during the pipeline.',
        ...(options.repeat > 1 ? [`- Every case ran ${options.repeat} times, the cases alternating. Other work only ever slows a run down, so each row shows the fastest pipeline run (its phases and CPU too) and the fastest recognizer-alone run, every run's time in brackets; memory is the highest peak of the runs.`] : []),
        '',
        table,
        '',
        bullets,
        '',
      ]);
    }
  } finally {
    await standIn?.close();
    await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
  }
}

await main();
process.exit(0);
