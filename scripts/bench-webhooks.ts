// `npm run bench:webhooks`: how many Daily webhooks per second our endpoint takes, and how fast it answers.
// It starts its own real servers (a Temporal dev server and a PostgreSQL cluster, on 127.0.0.1 only), the
// product in-process with its worker (so running meeting workflows consume the signals) and N meetings,
// then sends signed `participant.joined` webhooks exactly as Daily does, from a separate thread with an
// open-loop, constant-rate generator: every request has a scheduled send time and its latency is counted
// from then, so a slow answer delays nothing and queueing shows in the figures (no coordinated omission).
//
// Phases: a warm-up; a step test (25, 50, 100 … webhooks/s, until one misses the goal: p99 ≤ 50 ms, none
// failed, the rate kept up); the goal rate (200/s for 30 s); the endpoint at saturation (closed loop); and
// the same Temporal server taking the same signal from a plain @temporalio/client, at saturation and at the
// goal rate, with the same concurrency and workflows, for the ratio; then the goal rate on PGlite. Before each
// phase the bench waits (briefly) for the workflows to apply what was accepted, so no phase pays for the last.
// The results go to stdout and, as a dated section, to docs/benchmarks.md. Speed goals live there, not in
// timed tests. Usage: npm run bench:webhooks [-- --seconds 30 --steps 100,200,400,800 --no-pglite --no-doc]
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Client, Connection } from '@temporalio/client';
import { signDailyWebhook } from '../platforms/daily/signature.ts';
import { meetingEventSignal } from '../workflows/meeting.ts';
import { meetingWorkflowId, type MeetingEvent } from '../meetings/messages.ts';
import { appendBenchmarkSection, machineDescription } from './benchmarks-doc.ts';
import { cpuSample, percentile, postgresCpuMs, startWorkerProcess, tracingEnv } from './bench-processes.ts';
import type { RunningServer } from '../test/support/servers.ts';
import type { TestProduct } from '../test/support/product.ts';

// ---------------------------------------------------------------------------------------------------
// The load generator (a worker thread, so the product's event loop does not delay the sends or the clock)

type Via = 'webhook' | 'signal';

interface LoaderSetup {
  apiUrl: string;
  webhookSecret: string;
  temporalAddress: string;
  namespace: string;
  meetings: Array<{ id: string; platformRoomName: string }>;
  /** Requests in flight at most, for every phase and both targets. */
  concurrency: number;
}

type LoadCommand =
  | { kind: 'open'; via: Via; rate: number; seconds: number }
  | { kind: 'closed'; via: Via; seconds: number }
  | { kind: 'stop' };

interface LoadResult {
  via: Via;
  mode: 'open' | 'closed';
  /** Scheduled rate (open loop); null in closed loop. */
  rate: number | null;
  seconds: number;
  requests: number;
  ok: number;
  non200: number;
  errors: number;
  firstProblem: string | null;
  /** Successful answers per second over the phase (until the last answer). */
  achieved: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late the generator itself sent (a sanity check on the generator, not the product). */
  maxSendLagMs: number;
  /** Open loop: when the backlog passed OVERLOAD_BACKLOG_S seconds of requests, sending stopped and the queued ones were dropped. */
  stoppedAfterS: number | null;
  dropped: number;
  /** CPU time of the generator thread over the phase, ms (it runs in the product's process; subtracted from the product's share). */
  generatorCpuMs: number;
  /** When each accepted request was answered (epoch ms, ascending): its arrival, for the time until it is applied. */
  acceptedAtMs: number[];
}

const REQUEST_TIMEOUT_MS = 10_000;
/** Before each phase, wait until at most this many accepted events are still to be applied by the workflows, for at most SETTLE_MAX_S. */
const SETTLED_BACKLOG = 10;
const SETTLE_MAX_S = 10;
/** An open-loop phase whose backlog exceeds this many seconds of requests has failed; it stops there (keeps the bench bounded). */
const OVERLOAD_BACKLOG_S = 2;
/** After a phase, how long its events are followed until they are applied (later ones count as not applied). */
const APPLY_WINDOW_S = 15;
/** How often the applied count is sampled for the arrival → applied times (their resolution). */
const APPLIED_SAMPLE_MS = 100;
/** Epoch ms with sub-ms precision, comparable across threads. */
const epochMs = () => performance.timeOrigin + performance.now();

class Dropped extends Error {}

/** At most `n` at a time; the others wait in order (their wait counts in their latency). */
class Gate {
  #free: number;
  readonly #waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  constructor(n: number) {
    this.#free = n;
  }
  /** Gives up on every request still waiting for its turn. */
  drop(): void {
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new Dropped());
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next.resolve();
      else this.#free++;
    }
  }
}

async function runLoader(setup: LoaderSetup): Promise<void> {
  const port = parentPort!;
  // Keep-alive, as Daily's sender; idle sockets are let go before the server's keep-alive timeout (5 s), and each
  // phase starts with fresh ones, so no request races the server closing an idle connection.
  const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: setup.concurrency, timeout: 4000 });
  let agent = newAgent();
  const endpoint = new URL(`${setup.apiUrl}/v1/webhooks/daily`);
  const connection = await Connection.connect({ address: setup.temporalAddress });
  const client = new Client({ connection, namespace: setup.namespace });
  let sequence = 0;
  const nextMeeting = () => setup.meetings[sequence++ % setup.meetings.length]!;

  /** A `participant.joined` webhook as Daily sends it: compact JSON envelope, signed at send time. */
  function sendWebhook(): Promise<number> {
    const meeting = nextMeeting();
    const nowMs = Date.now();
    const sessionId = randomUUID();
    const body = JSON.stringify({
      version: '1.0.0',
      type: 'participant.joined',
      id: `ptcpt-join-${sessionId}-${nowMs}`,
      payload: {
        room: meeting.platformRoomName,
        user_name: `Bench ${sequence}`,
        session_id: sessionId,
        joined_at: nowMs / 1000,
        will_eject_at: null,
        owner: false,
        permissions: { hasPresence: true, canSend: true, canReceive: { base: true }, canAdmin: false },
      },
      event_ts: nowMs / 1000,
    });
    const timestamp = String(Math.floor(nowMs / 1000));
    return new Promise((resolve, reject) => {
      const request = http.request(endpoint, {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-webhook-signature': signDailyWebhook(setup.webhookSecret, timestamp, body),
          'x-webhook-timestamp': timestamp,
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }, (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      });
      request.once('error', reject);
      request.end(body);
    });
  }

  /** The same event straight to the meeting's workflow, as the endpoint signals it. */
  async function sendSignal(): Promise<number> {
    const meeting = nextMeeting();
    const sessionId = randomUUID();
    const event: MeetingEvent = {
      type: 'participant.joined', eventId: `ptcpt-join-${sessionId}-${Date.now()}`, sessionId, userId: null,
      userName: `Bench ${sequence}`, isOwner: false, at: new Date().toISOString(),
    };
    await client.workflow.getHandle(meetingWorkflowId(meeting.id)).signal(meetingEventSignal, event);
    return 200;
  }

  async function measure(via: Via, mode: 'open' | 'closed', rate: number | null, seconds: number,
    drive: (one: (scheduledAt: number) => Promise<void>, control: { gate: Gate; answered: () => number }) => Promise<{ maxSendLagMs: number; started: number; stoppedAfterS?: number }>): Promise<LoadResult> {
    const send = via === 'webhook' ? sendWebhook : sendSignal;
    agent.destroy();
    agent = newAgent();
    const latencies: number[] = [];
    let ok = 0;
    let non200 = 0;
    let errors = 0;
    let dropped = 0;
    let firstProblem: string | null = null;
    let lastDone = 0;
    const acceptedAtMs: number[] = [];
    const gate = new Gate(setup.concurrency);
    const one = async (scheduledAt: number) => {
      try {
        const status = await gate.run(send);
        if (status === 200) {
          ok++;
          acceptedAtMs.push(epochMs());
        } else {
          non200++;
          firstProblem ??= `HTTP ${status}`;
        }
      } catch (error) {
        if (error instanceof Dropped) {
          dropped++;
          return;
        }
        errors++;
        firstProblem ??= (error as Error).message;
      }
      lastDone = performance.now();
      latencies.push(lastDone - scheduledAt);
    };
    const cpuBefore = process.threadCpuUsage();
    const { maxSendLagMs, started, stoppedAfterS } = await drive(one, { gate, answered: () => latencies.length });
    const cpu = process.threadCpuUsage(cpuBefore);
    const sorted = Float64Array.from(latencies).sort();
    const elapsed = (stoppedAfterS === undefined ? Math.max(lastDone - started, seconds * 1000) : lastDone - started) / 1000;
    return {
      via, mode, rate, seconds, requests: latencies.length, ok, non200, errors, firstProblem, achieved: ok / elapsed,
      p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, maxSendLagMs,
      stoppedAfterS: stoppedAfterS ?? null, dropped, generatorCpuMs: (cpu.user + cpu.system) / 1000, acceptedAtMs: acceptedAtMs.sort((a, b) => a - b),
    };
  }

  /** Open loop: request i is due at start + i/rate, whatever happened to the ones before it. */
  const openLoop = (via: Via, rate: number, seconds: number) => measure(via, 'open', rate, seconds, async (one, { gate, answered }) => {
    const total = Math.max(1, Math.round(rate * seconds));
    const interval = 1000 / rate;
    const started = performance.now() + 5;
    const inFlight: Array<Promise<void>> = [];
    let maxSendLagMs = 0;
    let stoppedAfterS: number | undefined;
    for (let i = 0; i < total; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait >= 1) await sleep(Math.floor(wait));
      if (i - answered() > setup.concurrency + rate * OVERLOAD_BACKLOG_S) {
        stoppedAfterS = (performance.now() - started) / 1000;
        gate.drop();
        break;
      }
      maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
      inFlight.push(one(due));
    }
    await Promise.all(inFlight);
    return { maxSendLagMs, started, ...(stoppedAfterS !== undefined && { stoppedAfterS }) };
  });

  /** Closed loop: `concurrency` senders, each sending again as soon as it has its answer. */
  const closedLoop = (via: Via, seconds: number) => measure(via, 'closed', null, seconds, async (one) => {
    const started = performance.now();
    const end = started + seconds * 1000;
    await Promise.all(Array.from({ length: setup.concurrency }, async () => {
      while (performance.now() < end) await one(performance.now());
    }));
    return { maxSendLagMs: 0, started };
  });

  port.on('message', async (command: LoadCommand) => {
    if (command.kind === 'stop') {
      agent.destroy();
      await connection.close();
      port.close();
      return;
    }
    const result = command.kind === 'open' ? await openLoop(command.via, command.rate, command.seconds) : await closedLoop(command.via, command.seconds);
    port.postMessage(result);
  });
  port.postMessage('ready');
}

// ---------------------------------------------------------------------------------------------------
// The bench (main thread): servers, product, phases, report

interface Options {
  meetings: number;
  concurrency: number;
  rate: number;
  seconds: number;
  warmup: number;
  steps: number[];
  stepSeconds: number;
  closedSeconds: number;
  sloMs: number;
  pglite: boolean;
  pgliteSeconds: number;
  doc: boolean;
  /** The production shape: the API in this process, the worker (`node worker.ts`) in its own. */
  separateWorker: boolean;
  /** Only the warm-up and the endpoint at saturation (closed loop), on PostgreSQL: `npm run bench:observability` runs it on and off. */
  onlySaturation: boolean;
  /** Where to write the saturation figures as JSON (for bench:observability). */
  json: string | undefined;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      meetings: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '32' },
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '5' },
      steps: { type: 'string', default: '25,50,100,150,200,300,400,600,800' },
      'step-seconds': { type: 'string', default: '5' },
      'closed-seconds': { type: 'string', default: '8' },
      'slo-ms': { type: 'string', default: '50' },
      'no-pglite': { type: 'boolean', default: false },
      'pglite-seconds': { type: 'string', default: '15' },
      'no-doc': { type: 'boolean', default: false },
      'separate-worker': { type: 'boolean', default: false },
      'only-saturation': { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const num = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
    return n;
  };
  return {
    meetings: num('meetings', values.meetings), concurrency: num('concurrency', values.concurrency), rate: num('rate', values.rate),
    seconds: num('seconds', values.seconds), warmup: num('warmup', values.warmup),
    steps: values.steps.split(',').map((s) => num('steps', s.trim())), stepSeconds: num('step-seconds', values['step-seconds']),
    closedSeconds: num('closed-seconds', values['closed-seconds']), sloMs: num('slo-ms', values['slo-ms']),
    pglite: !values['no-pglite'], pgliteSeconds: num('pglite-seconds', values['pglite-seconds']), doc: !values['no-doc'],
    separateWorker: values['separate-worker'], onlySaturation: values['only-saturation'], json: values.json,
  };
}

interface PhaseRow {
  database: 'PostgreSQL' | 'PGlite';
  label: string;
  result: LoadResult;
  /** 99th percentile event-loop delay of the product's main thread (API and activities), ms. */
  loopP99: number;
  /** CPU over the phase, in % of one core; `others` is everything else on the machine (other work, the kernel). */
  cpu: { product: number; temporal: number; postgres: number; generator: number; others: number };
  /** Events the meeting workflows applied (participant sessions recorded by their activity) per second during the phase. */
  applied: number;
  /** Accepted but not yet applied when the phase ended, and how long the pause before the next phase waited for them. */
  backlog: number;
  settledS: number;
  /** Arrival (the endpoint's answer) → applied by the meeting's workflow (its row written), ms; NaN where none was applied. */
  appliedP50: number;
  appliedP99: number;
  /** Accepted in the phase but not applied within APPLY_WINDOW_S after it. */
  unapplied: number;
  passed: boolean | null;
}

/**
 * Arrival → applied, per event, from the applied count sampled over time: events are applied about in the order
 * they arrive (each meeting's in order, the meetings interleaved), so the k-th accepted is taken as applied when
 * the count first reached k. Its resolution is the sampling interval.
 */
function applyLatencies(acceptedAtMs: number[], samples: Array<{ at: number; applied: number }>): { p50: number; p99: number; unapplied: number } {
  const latencies: number[] = [];
  let sample = 0;
  for (let k = 0; k < acceptedAtMs.length; k++) {
    while (sample < samples.length && samples[sample]!.applied < k + 1) sample++;
    if (sample === samples.length) break;
    latencies.push(Math.max(0, samples[sample]!.at - acceptedAtMs[k]!));
  }
  const sorted = Float64Array.from(latencies).sort();
  return { p50: percentile(sorted, 50), p99: latencies.length === acceptedAtMs.length ? percentile(sorted, 99) : Infinity, unapplied: acceptedAtMs.length - latencies.length };
}

class Loader {
  readonly #worker: Worker;
  #pending: ((result: LoadResult) => void) | null = null;
  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: LoadResult) => this.#pending?.(message));
  }
  static async start(setup: LoaderSetup): Promise<Loader> {
    const worker = new Worker(new URL(import.meta.url), { workerData: setup });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new Loader(worker);
  }
  run(command: Exclude<LoadCommand, { kind: 'stop' }>): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      this.#worker.once('error', failed);
      this.#pending = (result) => {
        this.#worker.off('error', failed);
        resolve(result);
      };
      this.#worker.postMessage(command);
    });
  }
  async stop(): Promise<void> {
    this.#worker.postMessage({ kind: 'stop' } satisfies LoadCommand);
    await Promise.race([new Promise((resolve) => this.#worker.once('exit', resolve)), sleep(3000).then(() => this.#worker.terminate())]);
  }
}

async function createMeetings(product: TestProduct, count: number): Promise<LoaderSetup['meetings']> {
  return Promise.all(Array.from({ length: count }, async (_, i) => {
    const room = await product.request('POST', '/v1/rooms', { name: `bench-${i}` });
    if (room.status !== 201) throw new Error(`creating room bench-${i}: HTTP ${room.status} ${JSON.stringify(room.body)}`);
    const meeting = await product.request('POST', `/v1/rooms/bench-${i}/meetings`, {});
    if (meeting.status !== 201) throw new Error(`creating a meeting in bench-${i}: HTTP ${meeting.status} ${JSON.stringify(meeting.body)}`);
    return { id: meeting.body.id as string, platformRoomName: meeting.body.platformRoomName as string };
  }));
}

async function benchProduct(database: 'postgresql' | 'pglite', options: Options, postgresPort: string, full: boolean): Promise<{ rows: PhaseRow[]; outcomes: Record<string, number>; poolMax: number | null }> {
  const { startTestProduct } = await import('../test/support/product.ts');
  const label = database === 'postgresql' ? 'PostgreSQL' : 'PGlite';
  const separate = options.separateWorker && database === 'postgresql';
  console.log(`\n${label}: starting the product (${separate ? 'API here, worker in its own process' : 'API + worker'}) …`);
  // Its participants exist only in the webhooks sent: the presence sweep, which asks the simulator, must not end their meetings.
  const product = await startTestProduct({ name: `bench-${database}`, database, worker: !separate, env: { MEETING_PRESENCE_SWEEP_SECONDS: '3600', ...tracingEnv() } });
  const worker = separate ? startWorkerProcess(product) : undefined;
  let loader: Loader | undefined;
  const rows: PhaseRow[] = [];
  try {
    const meetings = await createMeetings(product, options.meetings);
    loader = await Loader.start({
      apiUrl: product.url, webhookSecret: product.config.daily.webhookSecret, temporalAddress: product.config.temporal.address,
      namespace: product.config.temporal.namespace, meetings, concurrency: options.concurrency,
    });
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const connection = product.services.db.em.getConnection();
    const appliedSoFar = async () => Number((await connection.execute<Array<{ n: number }>>('select count(*)::int as n from participant_session'))[0]!.n);
    let accepted = 0;
    /** Waits (up to SETTLE_MAX_S) until the workflows have applied what was accepted, so a phase does not pay for the one before. */
    const settle = async () => {
      const started = performance.now();
      while (accepted - (await appliedSoFar()) > SETTLED_BACKLOG && performance.now() - started < SETTLE_MAX_S * 1000) await sleep(250);
      return (performance.now() - started) / 1000;
    };
    const phase = async (name: string, command: Exclude<LoadCommand, { kind: 'stop' }>, record = true) => {
      const settledS = await settle();
      const appliedBefore = await appliedSoFar();
      const before = cpuSample(postgresPort);
      loop.reset();
      // The applied count over time, from the phase's start until its events are applied (or the window closes).
      const samples: Array<{ at: number; applied: number }> = [];
      let sampling = true;
      let phaseApplied = 0;
      const sampler = (async () => {
        while (sampling) {
          const at = epochMs();
          phaseApplied = (await appliedSoFar()) - appliedBefore;
          samples.push({ at, applied: phaseApplied });
          await sleep(APPLIED_SAMPLE_MS);
        }
      })();
      const result = await loader!.run(command);
      const after = cpuSample(postgresPort);
      const appliedAfter = await appliedSoFar();
      accepted += result.ok;
      const windowEnd = performance.now() + APPLY_WINDOW_S * 1000;
      while (phaseApplied < result.ok && performance.now() < windowEnd) await sleep(APPLIED_SAMPLE_MS);
      sampling = false;
      await sampler;
      const applyTimes = applyLatencies(result.acceptedAtMs, samples);
      const wallMs = after.at - before.at;
      const pct = (cpuMs: number) => (100 * cpuMs) / wallMs;
      const postgresMs = postgresCpuMs(before, after);
      const machine = (100 * os.availableParallelism() * (after.machineBusy - before.machineBusy)) / Math.max(1, after.machineTotal - before.machineTotal);
      const generator = pct(result.generatorCpuMs);
      const cpu = { product: pct(after.self - before.self) - generator, temporal: pct(after.temporal - before.temporal), postgres: pct(postgresMs), generator };
      const row: PhaseRow = {
        database: label, label: name, result, loopP99: loop.percentile(99) / 1e6,
        cpu: { ...cpu, others: Math.max(0, machine - cpu.product - cpu.temporal - cpu.postgres - cpu.generator) },
        applied: (appliedAfter - appliedBefore) / (wallMs / 1000), backlog: accepted - appliedAfter, settledS,
        appliedP50: applyTimes.p50, appliedP99: applyTimes.p99, unapplied: applyTimes.unapplied,
        passed: result.mode === 'open' && result.via === 'webhook'
          ? result.stoppedAfterS === null && result.errors + result.non200 === 0 && result.p99 <= options.sloMs && result.achieved >= 0.95 * result.rate!
          : null,
      };
      console.log(formatRowText(row));
      if (record) rows.push(row);
      return row;
    };

    const warmup = Math.max(1, Math.round(options.rate / 8));
    await phase(`warm-up ${warmup}/s`, { kind: 'open', via: 'webhook', rate: warmup, seconds: options.warmup }, false);
    if (options.onlySaturation) {
      await phase('endpoint, closed loop', { kind: 'closed', via: 'webhook', seconds: options.closedSeconds });
      return { rows, outcomes: {}, poolMax: null };
    }
    if (full) {
      // Up the steps until the rate is no longer kept up (overloaded, failures, or fewer answers than sent),
      // or the goal is missed twice in a row (one miss can be a hiccup of a shared machine).
      let misses = 0;
      for (const rate of options.steps) {
        const { passed, result } = await phase(`step ${rate}/s`, { kind: 'open', via: 'webhook', rate, seconds: options.stepSeconds });
        misses = passed ? 0 : misses + 1;
        const keptUp = result.stoppedAfterS === null && result.errors + result.non200 === 0 && result.achieved >= 0.95 * rate;
        if (!keptUp || misses === 2) break;
      }
    }
    await phase(`goal ${options.rate}/s for ${(full ? options.seconds : options.pgliteSeconds)} s`, { kind: 'open', via: 'webhook', rate: options.rate, seconds: full ? options.seconds : options.pgliteSeconds });
    if (full) {
      await phase('endpoint, closed loop', { kind: 'closed', via: 'webhook', seconds: options.closedSeconds });
      await phase('plain client signals, closed loop', { kind: 'closed', via: 'signal', seconds: options.closedSeconds });
      await phase(`plain client signals ${options.rate}/s`, { kind: 'open', via: 'signal', rate: options.rate, seconds: options.stepSeconds });
    }
    loop.disable();
    // Every stored webhook should have been signalled to its meeting's workflow.
    const counts: Array<{ outcome: string; n: number }> = await connection.execute('select outcome, count(*)::int as n from webhook_event group by outcome');
    const poolMax = product.config.database.kind === 'postgresql' ? product.config.database.poolMax : null;
    return { rows, outcomes: Object.fromEntries(counts.map((c) => [c.outcome, Number(c.n)])), poolMax };
  } finally {
    await loader?.stop();
    worker?.kill('SIGTERM');
    await product.stop();
  }
}

const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : n.toFixed(0)) : '–');

function notes(row: PhaseRow): string[] {
  const r = row.result;
  return [
    ...(row.settledS >= 1 ? [`began after waiting ${row.settledS.toFixed(0)} s for the workflows' backlog`] : []),
    ...(r.stoppedAfterS !== null ? [`overloaded: stopped after ${r.stoppedAfterS.toFixed(1)} s, ${r.dropped} queued requests dropped`] : []),
    ...(r.maxSendLagMs > 20 ? [`generator ran up to ${ms(r.maxSendLagMs)} ms late`] : []),
    ...(r.firstProblem ? [`first failure: ${r.firstProblem}`] : []),
  ];
}

function formatRowText(row: PhaseRow): string {
  const r = row.result;
  const verdict = row.passed === null ? '' : row.passed ? '  goal met' : '  GOAL MISSED';
  return `  ${row.label.padEnd(34)} ${r.achieved.toFixed(0).padStart(4)}/s  p50 ${ms(r.p50).padStart(5)}  p99 ${ms(r.p99).padStart(5)}  max ${ms(r.max).padStart(5)} ms  `
    + `failed ${r.non200 + r.errors}  applied ${row.applied.toFixed(0)}/s backlog ${row.backlog}  arrival→applied p50 ${ms(row.appliedP50)} p99 ${ms(row.appliedP99)} ms${row.unapplied ? ` (${row.unapplied} not within ${APPLY_WINDOW_S} s)` : ''}  loop p99 ${ms(row.loopP99)} ms  `
    + `cpu% product ${row.cpu.product.toFixed(0)} temporal ${row.cpu.temporal.toFixed(0)} pg ${row.cpu.postgres.toFixed(0)} generator ${row.cpu.generator.toFixed(0)} others ${row.cpu.others.toFixed(0)}`
    + `${verdict}${notes(row).map((n) => `  (${n})`).join('')}`;
}

function markdownTable(rows: PhaseRow[]): string {
  const lines = [
    '| Database | Phase | Target | Sent | Answered/s | p50 ms | p90 ms | p99 ms | max ms | Failed | Applied by workflows/s (backlog after) | Arrival → applied p50 / p99 ms | Product loop p99 ms | CPU % of a core: product / Temporal / PostgreSQL / generator / other work | Goal | Notes |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const r = row.result;
    const target = r.via === 'webhook' ? 'endpoint' : 'plain signal';
    const c = row.cpu;
    const cpu = `${c.product.toFixed(0)} / ${c.temporal.toFixed(0)} / ${row.database === 'PostgreSQL' ? c.postgres.toFixed(0) : 'in product'} / ${c.generator.toFixed(0)} / ${c.others.toFixed(0)}`;
    lines.push(`| ${row.database} | ${row.label} | ${target} | ${r.requests} | ${r.achieved.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.non200 + r.errors} | ${row.applied.toFixed(0)} (${row.backlog}) | ${ms(row.appliedP50)} / ${row.unapplied ? `> ${APPLY_WINDOW_S} s for ${row.unapplied}` : ms(row.appliedP99)} | ${ms(row.loopP99)} | ${cpu} | ${row.passed === null ? '' : row.passed ? 'met' : '**missed**'} | ${notes(row).join('; ')} |`);
  }
  return lines.join('\n');
}



async function main(): Promise<void> {
  const options = readOptions();
  const command = `npm run bench:webhooks${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = performance.now();
  const loadAtStart = os.loadavg();
  const { startTemporalDevServer, startPostgres } = await import('../test/support/servers.ts');
  const servers: RunningServer[] = [];
  const stopNow = () => servers.forEach((server) => server.stopNow?.());
  process.once('exit', stopNow);
  process.once('SIGINT', () => process.exit(130));
  // Bounded in time whatever happens.
  setTimeout(() => {
    console.error('bench-webhooks: still running after 8 minutes; stopping');
    process.exit(1);
  }, 480_000).unref();

  try {
    const [temporal, postgres] = await Promise.all([startTemporalDevServer(), startPostgres()]);
    servers.push(temporal, postgres);
    process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
    process.env.TEST_DATABASE_URL = postgres.url;
    const postgresPort = new URL(postgres.url).port;
    console.log(`servers up in ${((performance.now() - started) / 1000).toFixed(1)} s: Temporal ${temporal.address}, PostgreSQL ${postgres.url}`);
    console.log(`${options.meetings} meetings, at most ${options.concurrency} requests in flight, goal p99 ≤ ${options.sloMs} ms at ${options.rate}/s`);

    const pg = await benchProduct('postgresql', options, postgresPort, true);
    if (options.onlySaturation) {
      const { result, cpu } = pg.rows[0]!;
      const figures = { answeredPerSecond: result.achieved, p50Ms: result.p50, p99Ms: result.p99, failed: result.errors + result.non200, productCpuPercent: cpu.product, otherCpuPercent: cpu.others };
      console.log(JSON.stringify(figures));
      if (options.json) await writeFile(options.json, JSON.stringify(figures));
      return;
    }
    const lite = options.pglite ? await benchProduct('pglite', options, postgresPort, false) : null;
    const rows = [...pg.rows, ...(lite?.rows ?? [])];

    const goal = pg.rows.find((r) => r.label.startsWith('goal'))!;
    const liteGoal = lite?.rows.find((r) => r.label.startsWith('goal'));
    const sustained = Math.max(0, ...pg.rows.filter((r) => r.label.startsWith('step') && r.passed).map((r) => r.result.rate!));
    const closedEndpoint = pg.rows.find((r) => r.result.via === 'webhook' && r.result.mode === 'closed')!;
    const closedSignals = pg.rows.find((r) => r.result.via === 'signal' && r.result.mode === 'closed')!;
    const signalAtGoal = pg.rows.find((r) => r.result.via === 'signal' && r.result.mode === 'open')!.result;
    const rawSignals = closedSignals.result.achieved;
    /** The product process's CPU per answered request, ms (API and worker, for the endpoint; worker only, for plain signals). */
    const cpuPerRequest = (row: PhaseRow) => (10 * row.cpu.product) / Math.max(1, row.result.achieved);
    const total = (performance.now() - started) / 1000;
    const others = rows.reduce((sum, r) => sum + r.cpu.others, 0) / rows.length;
    const step100 = pg.rows.find((r) => r.label === 'step 100/s');
    /** Applied ÷ accepted over the phase (the workflows keeping up), with the arrival → applied times. */
    const keptUp = (row: PhaseRow) => `applied ${(row.applied / Math.max(1, row.result.achieved)).toFixed(2)}× the accepted rate (${row.applied.toFixed(0)}/s of ${row.result.achieved.toFixed(0)}/s), arrival → applied p50 ${ms(row.appliedP50)} ms, p99 ${row.unapplied ? `> ${APPLY_WINDOW_S} s (${row.unapplied} not applied within it)` : `${ms(row.appliedP99)} ms`}`;
    const summary = [
      `- **Workflows keeping up**: at ${options.rate}/s ${keptUp(goal)}${step100 ? `; at 100/s ${keptUp(step100)}` : ''}.`,
      `- **Goal, p99 ≤ ${options.sloMs} ms at ${options.rate} webhooks/s (PostgreSQL): ${goal.passed ? 'met' : 'missed'}**: p50 ${ms(goal.result.p50)} ms, p99 ${ms(goal.result.p99)} ms, ${goal.result.achieved.toFixed(0)}/s answered, ${goal.result.non200 + goal.result.errors} failed of ${goal.result.requests}${goal.result.stoppedAfterS !== null ? `; overloaded, stopped after ${goal.result.stoppedAfterS.toFixed(1)} s` : ''}.`,
      `- **Sustained: ${sustained ? `${sustained} webhooks/s` : `none (no step from ${options.steps[0]}/s met the goal)`}** (highest step of the step test, ${options.stepSeconds} s each, meeting the goal). Saturation, closed loop with ${options.concurrency} in flight: ${closedEndpoint.result.achieved.toFixed(0)} webhooks/s, p50 ${ms(closedEndpoint.result.p50)} ms.`,
      `- **Plain client: ${rawSignals.toFixed(0)} signals/s** accepted by the same Temporal server (closed loop, ${options.concurrency} in flight, the same workflows and signal), p50 ${ms(closedSignals.result.p50)} ms; at ${options.rate}/s open loop the signal RPC alone has p50 ${ms(signalAtGoal.p50)} ms, p99 ${ms(signalAtGoal.p99)} ms.`,
      `- **Ratio endpoint / plain signals: ${(sustained / rawSignals).toFixed(2)}** sustained (${sustained}/s ÷ ${rawSignals.toFixed(0)}/s); ${(closedEndpoint.result.achieved / rawSignals).toFixed(2)} at saturation (${closedEndpoint.result.achieved.toFixed(0)}/s ÷ ${rawSignals.toFixed(0)}/s).`,
      `- CPU of the product's process per answered request at saturation: ${cpuPerRequest(closedEndpoint).toFixed(1)} ms per webhook (the API, plus the worker applying events meanwhile) against ${cpuPerRequest(closedSignals).toFixed(1)} ms per plain signal (the worker only).`,
      ...(liteGoal ? [`- PGlite (the embedded default), ${options.rate}/s for ${options.pgliteSeconds} s: p50 ${ms(liteGoal.result.p50)} ms, p99 ${ms(liteGoal.result.p99)} ms, ${liteGoal.result.achieved.toFixed(0)}/s answered, goal ${liteGoal.passed ? 'met' : 'missed'}${liteGoal.result.stoppedAfterS !== null ? ` (overloaded, stopped after ${liteGoal.result.stoppedAfterS.toFixed(1)} s)` : ''}.`] : []),
      `- Webhook outcomes stored: PostgreSQL ${JSON.stringify(pg.outcomes)}${lite ? `, PGlite ${JSON.stringify(lite.outcomes)}` : ''}.`,
      `- Other work on the machine used ${others.toFixed(0)}% of a core on average during the phases (of ${os.availableParallelism() * 100}%); load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end.`,
    ].join('\n');
    const table = markdownTable(rows);
    console.log(`\n${table}\n\n${summary}\n\nbench took ${total.toFixed(0)} s`);

    if (options.doc) {
      await appendBenchmarkSection('Webhooks', [
        `- Command: \`${command}\` (${total.toFixed(0)} s)`,
        `- Machine: ${machineDescription()}.`,
        '- Setup: everything on this machine and on 127.0.0.1: a Temporal dev server (`temporal server start-dev`), a PostgreSQL cluster (fsync off),',
        options.separateWorker
          ? `  the API in one process and the worker in its own (\`node worker.ts\`, the production shape; the worker's CPU counts as other work), ${options.meetings} running meeting workflows;`
          : `  the product in one process (API + worker sharing a pool of ${pg.poolMax} database connections, as in the tests), ${options.meetings} running meeting workflows;`,
        '  the load generator in a worker thread of the same process. Signed `participant.joined` webhooks as Daily sends them, round-robin over the meetings;',
        `  open loop at a constant rate (latency counted from each request's scheduled time), at most ${options.concurrency} in flight. CPU is in % of one core.`,
        `  Before each phase the bench waits up to ${SETTLE_MAX_S} s for the workflows to apply what was accepted ("backlog after" is what was left when the phase ended).`,
        `  Arrival → applied: from the endpoint's answer to the participant's row written by the meeting workflow's activity, the k-th accepted taken as applied when the applied count reached k (sampled every ${APPLIED_SAMPLE_MS} ms, followed ${APPLY_WINDOW_S} s after the phase).`,
        '',
        table,
        '',
        summary,
        '',
      ]);
    }
  } finally {
    await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
  }
}

if (isMainThread) {
  await main();
  process.exit(0);
} else {
  await runLoader(workerData as LoaderSetup);
}
