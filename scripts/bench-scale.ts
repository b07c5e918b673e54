// `npm run bench:scale`: how many open meetings one worker process holds. It starts its own real servers (a
// Temporal dev server and a PostgreSQL cluster, on 127.0.0.1 only), the API in this process and the worker in
// its own (worker.ts's process, via scripts/bench-scale-worker.ts, which also exports the SDK's metrics), opens
// N meetings at once through the API (each a running `meeting/<id>` workflow), then over the load period sends
// each meeting a few signed Daily participant webhooks (3 joins, 2 leaves), spread evenly.
//
// Reported: the worker's RSS (idle, with the meetings open, peak; per open meeting), workflow task latency
// (from the SDK's metrics and, exactly, from the histories of a sample of meetings), the sticky cache (its
// size, hits, misses, evictions) and replays, the CPU of the worker, the API, Temporal and PostgreSQL; then the
// worker is killed (kill -9) and a new one started, one more event goes to the meeting with the longest history
// (its whole history replays there), and that history is replayed here, timed; finally every meeting is ended
// through the API and every workflow must finish with phase 'ended' and no recordings (the rooms record
// nothing: trigger 'none'), and every join must have its participant row.
//
// --scale-out: instead, 2 API processes and 2 worker processes share the one Temporal and PostgreSQL; meetings are opened
// and webhooks sent across both APIs, and one API and one worker are killed (kill -9) under load: every acknowledged
// event must be applied exactly once (rows in PostgreSQL, counts in each workflow's result), every meeting must end.
// Usage: npm run bench:scale [-- --meetings 1000 --minutes 2 | --seconds 120 --no-doc] [-- --scale-out] (default there: 200 meetings, 60 s)
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { participantWebhookBody } from '../test/support/daily.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { appendBenchmarkSection, machineDescription } from './benchmarks-doc.ts';
import { cpuSample, percentile, postgresCpuMs, processCpu, startApiProcess, startWorkerProcess } from './bench-processes.ts';
import { freePort, type RunningServer } from '../test/support/servers.ts';
import { sendDailyWebhook, type ApiResponse, type TestProduct } from '../test/support/product.ts';

const JOINS_PER_MEETING = 3;
const LEAVES_PER_MEETING = 2;
/** Requests in flight at most (meeting creation, webhooks, ends, history fetches). */
const CONCURRENCY = 16;
/** Meetings whose histories give the exact workflow task latencies. */
const HISTORY_SAMPLE = 50;
/** After the load: how long the workflows may take to write the rows of what was accepted; after the ends, to finish. */
const APPLY_BOUND_S = 120;
const FINISH_BOUND_S = 180;
/** Before the restart: how long to wait for the histories to stop growing. */
const QUIET_BOUND_S = 90;
/** The whole bench is stopped after this long, whatever happens. */
const HARD_TIMEOUT_MS = 15 * 60_000;
const RSS_SAMPLE_MS = 500;
const GIB = 2 ** 30;
const MIB = 2 ** 20;
const EventType = { WorkflowTaskScheduled: 5, WorkflowTaskCompleted: 7 } as const;

interface Options { meetings: number; seconds: number; doc: boolean; scaleOut: boolean }

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      meetings: { type: 'string' },
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      'no-doc': { type: 'boolean', default: false },
      'scale-out': { type: 'boolean', default: false },
    },
  });
  const num = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
    return n;
  };
  const scaleOut = values['scale-out'];
  // The scale-out run proves correctness under kills, not capacity: a moderate size by default.
  const seconds = values.seconds !== undefined ? num('seconds', values.seconds) : values.minutes !== undefined ? 60 * num('minutes', values.minutes) : scaleOut ? 60 : 120;
  return { meetings: Math.round(num('meetings', values.meetings ?? (scaleOut ? '200' : '1000'))), seconds, doc: !values['no-doc'], scaleOut };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  }));
  return results;
}

/** Resident memory of a process now and at its peak (VmRSS, VmHWM), bytes; null once it is gone. */
function memoryOf(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib('VmRSS'), peak: kib('VmHWM') };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// The worker's metrics (Prometheus text from the SDK's runtime)

interface Metrics { values: Map<string, number>; buckets: Map<string, Array<{ le: number; count: number }>> }

/** Every series summed over its labels (counters and gauges by name; histograms by name and bucket). */
async function scrapeMetrics(address: string): Promise<Metrics> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  const values = new Map<string, number>();
  const byLe = new Map<string, Map<number, number>>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, name, labels = '', raw] = match;
    const value = Number(raw);
    if (name!.endsWith('_bucket')) {
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      const base = name!.slice(0, -'_bucket'.length);
      const buckets = byLe.get(base) ?? new Map<number, number>();
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + value);
      byLe.set(base, buckets);
    } else {
      values.set(name!, (values.get(name!) ?? 0) + value);
    }
  }
  const buckets = new Map([...byLe].map(([name, b]) => [name, [...b].map(([le, count]) => ({ le, count })).sort((x, y) => x.le - y.le)]));
  return { values, buckets };
}

const metric = (m: Metrics, name: string) => m.values.get(name) ?? 0;
const metricDelta = (before: Metrics, after: Metrics, name: string) => metric(after, name) - metric(before, name);

/** A histogram's count, mean and p99 bucket bound (ms) between two scrapes. */
function histogram(before: Metrics, after: Metrics, name: string): { count: number; meanMs: number; p99AtMostMs: number } {
  const count = metricDelta(before, after, `${name}_count`);
  const sum = metricDelta(before, after, `${name}_sum`);
  const earlier = new Map((before.buckets.get(name) ?? []).map((b) => [b.le, b.count]));
  const buckets = (after.buckets.get(name) ?? []).map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) }));
  // Infinity: beyond the largest bound.
  const p99 = buckets.find((b) => b.count >= 0.99 * count)?.le ?? Infinity;
  return { count, meanMs: count ? sum / count : NaN, p99AtMostMs: count ? p99 : NaN };
}

// ---------------------------------------------------------------------------------------------------
// The worker process

interface BenchWorker { child: ChildProcess; pid: number; metricsAddress: string; settings: { heapLimitMiB: number; maxCachedWorkflows: number } }

async function startBenchWorker(product: TestProduct, env: Record<string, string> = {}): Promise<BenchWorker> {
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const child = startWorkerProcess(product, {
    script: path.join(import.meta.dirname, 'bench-scale-worker.ts'), env: { ...env, BENCH_METRICS_ADDRESS: metricsAddress }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const settings = await new Promise<BenchWorker['settings']>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0];
      if (text.includes('\n')) resolve(JSON.parse(line!) as BenchWorker['settings']);
    });
    child.once('exit', (code) => reject(new Error(`the bench worker exited (${code}) before it started`)));
  });
  // Polling once its metrics show its pollers (the bundle is built first, a few seconds).
  for (const deadline = Date.now() + 60_000; ; await sleep(250)) {
    try {
      const m = await scrapeMetrics(metricsAddress);
      if (metric(m, 'temporal_num_pollers') > 0) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the bench worker did not start polling within 60 s');
    if (child.exitCode !== null) throw new Error(`the bench worker exited (${child.exitCode})`);
  }
  return { child, pid: child.pid!, metricsAddress, settings };
}

async function killWorker(worker: { child: ChildProcess }): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once('exit', resolve));
  worker.child.kill('SIGKILL');
  await exited;
}

// ---------------------------------------------------------------------------------------------------
// Meetings and webhooks

interface OpenMeeting { id: string; platformRoomName: string }

type ApiRequest = (method: string, urlPath: string, body?: unknown) => Promise<{ status: number; body: ApiResponse['body'] }>;

/** `requestFor(i)`: the API that opens meeting i (default: the product's own). */
async function openMeetings(product: TestProduct, count: number, requestFor: (i: number) => ApiRequest = () => product.request): Promise<OpenMeeting[]> {
  return eachLimited(Array.from({ length: count }, (_, i) => i), CONCURRENCY, async (i) => {
    const request = requestFor(i);
    // Trigger 'none': nothing records, so a meeting ends with no recordings (the recording pipeline is measured elsewhere).
    const room = await request('POST', '/v1/rooms', { name: `scale-${i}`, recordingTrigger: 'none' });
    if (room.status !== 201) throw new Error(`creating room scale-${i}: HTTP ${room.status} ${JSON.stringify(room.body)}`);
    let meeting = await request('POST', `/v1/rooms/scale-${i}/meetings`, {});
    // The platform's rate limit on room creation (Daily's, which the simulator keeps) answers 502 platform_unavailable: again, later.
    for (let attempt = 1; meeting.status === 502 && attempt <= 6; attempt++) {
      await sleep(500 * 2 ** attempt);
      meeting = await request('POST', `/v1/rooms/scale-${i}/meetings`, {});
    }
    if (meeting.status !== 201) throw new Error(`creating a meeting in scale-${i}: HTTP ${meeting.status} ${JSON.stringify(meeting.body)}`);
    return { id: meeting.body.id as string, platformRoomName: meeting.body.platformRoomName as string };
  });
}

interface ParticipantEvent { meeting: OpenMeeting; type: 'participant.joined' | 'participant.left'; sessionId: string; joinedAtMs: number }

/** A participant webhook as Daily sends it, signed at send time; resolves to the HTTP status. */
async function sendParticipantWebhook(product: TestProduct, event: ParticipantEvent, apiUrl = product.url): Promise<number> {
  const body = participantWebhookBody({ ...event, room: event.meeting.platformRoomName });
  const response = await sendDailyWebhook(product, body, apiUrl, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Each meeting's events, in its order: A joins, B joins, A leaves, C joins, B leaves (C stays until the end).
 * Round k of every meeting goes out before round k + 1 of any, the whole evenly over `seconds`.
 */
function plannedEvents(meetings: OpenMeeting[]): Array<Omit<ParticipantEvent, 'joinedAtMs'> & { joins: string | null }> {
  const plan = [];
  const sessions = meetings.map(() => [randomUUID(), randomUUID(), randomUUID()] as const);
  const rounds: Array<[type: ParticipantEvent['type'], session: 0 | 1 | 2]> = [['participant.joined', 0], ['participant.joined', 1], ['participant.left', 0], ['participant.joined', 2], ['participant.left', 1]];
  for (const [type, session] of rounds) {
    for (const [i, meeting] of meetings.entries()) {
      const sessionId = sessions[i]![session];
      plan.push({ meeting, type, sessionId, joins: type === 'participant.joined' ? sessionId : null });
    }
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------------
// Histories

type History = temporal.api.history.v1.IHistory;

const eventMs = (event: temporal.api.history.v1.IHistoryEvent) => Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

/** Workflow task scheduled → completed, ms, for every task of the history that completed. */
function workflowTaskLatencies(history: History): number[] {
  const scheduled = new Map<number, number>();
  const latencies: number[] = [];
  for (const event of history.events ?? []) {
    if (event.eventType === EventType.WorkflowTaskScheduled) scheduled.set(Number(event.eventId), eventMs(event));
    if (event.eventType === EventType.WorkflowTaskCompleted) {
      const at = scheduled.get(Number(event.workflowTaskCompletedEventAttributes?.scheduledEventId));
      if (at !== undefined) latencies.push(eventMs(event) - at);
    }
  }
  return latencies;
}

const workflowTasks = (history: History) => (history.events ?? []).filter((e) => e.eventType === EventType.WorkflowTaskCompleted).length;

// ---------------------------------------------------------------------------------------------------
// The bench

const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : n.toFixed(0)) : n === Infinity ? '∞' : '–');
const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;

async function bench(options: Options, postgresPort: string) {
  const { startTestProduct, workflowBundle } = await import('../test/support/product.ts');
  console.log(`starting the product (API here, worker in its own process) …`);
  // Participants exist only in the webhooks sent: the presence sweep, which asks the simulator, must not end their meetings.
  const product = await startTestProduct({ name: 'bench-scale', database: 'postgresql', worker: false, env: { MEETING_PRESENCE_SWEEP_SECONDS: '3600' } });
  let worker: BenchWorker | undefined;
  const rssSamples: Array<{ at: number; rss: number }> = [];
  let sampling = true;
  try {
    worker = await startBenchWorker(product);
    const temporalClient = product.services.temporal;
    const connection = product.services.db.em.getConnection();
    const count = async (sql: string) => Number((await connection.execute<Array<{ n: number }>>(sql))[0]!.n);
    const firstWorkerPid = worker.pid;
    const sampler = (async () => {
      while (sampling) {
        const memory = worker && memoryOf(worker.pid);
        if (memory && worker!.pid === firstWorkerPid) rssSamples.push({ at: performance.now(), rss: memory.rss });
        await sleep(RSS_SAMPLE_MS);
      }
    })();
    await sleep(2000);
    const idle = memoryOf(worker.pid)!;
    console.log(`worker up (pid ${worker.pid}): RSS ${mib(idle.rss)} idle, sticky cache ${worker.settings.maxCachedWorkflows} workflows (V8 heap limit ${worker.settings.heapLimitMiB} MiB)`);

    // Open them all at once.
    const metricsAtStart = await scrapeMetrics(worker.metricsAddress);
    const openStarted = performance.now();
    const meetings = await openMeetings(product, options.meetings);
    const openSeconds = (performance.now() - openStarted) / 1000;
    await sleep(3000);
    const opened = memoryOf(worker.pid)!;
    console.log(`${meetings.length} meetings open in ${openSeconds.toFixed(1)} s; worker RSS ${mib(opened.rss)}`);

    // The load: every meeting's participants joining and leaving, evenly over the period.
    const plan = plannedEvents(meetings);
    const joinedAt = new Map<string, number>();
    const cpuBefore = cpuSample(postgresPort);
    const workerCpuBefore = processCpu(worker.pid)!.cpuMs;
    const loadStarted = performance.now();
    const interval = (options.seconds * 1000) / plan.length;
    let failed = 0;
    let firstProblem: string | null = null;
    let maxLagMs = 0;
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < plan.length) {
        const i = next++;
        const due = loadStarted + i * interval;
        const wait = due - performance.now();
        if (wait >= 1) await sleep(wait);
        maxLagMs = Math.max(maxLagMs, performance.now() - due);
        const event = plan[i]!;
        if (event.type === 'participant.joined') joinedAt.set(event.sessionId, Date.now());
        try {
          const status = await sendParticipantWebhook(product, { ...event, joinedAtMs: joinedAt.get(event.sessionId) ?? Date.now() });
          if (status !== 200) {
            failed++;
            firstProblem ??= `HTTP ${status}`;
          }
        } catch (error) {
          failed++;
          firstProblem ??= (error as Error).message;
        }
      }
    }));
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const joinsSent = plan.filter((e) => e.joins).length;
    // Until the workflows have written every join's row (bounded).
    const applyStarted = performance.now();
    while ((await count('select count(*)::int as n from participant_session')) < joinsSent && performance.now() - applyStarted < APPLY_BOUND_S * 1000) await sleep(250);
    const appliedAfterS = (performance.now() - applyStarted) / 1000;
    const cpuAfter = cpuSample(postgresPort);
    const workerCpuMs = processCpu(worker.pid)!.cpuMs - workerCpuBefore;
    const metricsAfterLoad = await scrapeMetrics(worker.metricsAddress);
    const loaded = memoryOf(worker.pid)!;
    const rowsAfterLoad = await count('select count(*)::int as n from participant_session');
    console.log(`load: ${plan.length} webhooks over ${loadSeconds.toFixed(0)} s, ${failed} failed; ${rowsAfterLoad} of ${joinsSent} rows written ${appliedAfterS.toFixed(1)} s after; worker RSS ${mib(loaded.rss)}, peak ${mib(loaded.peak)}`);

    const wallMs = cpuAfter.at - cpuBefore.at;
    const pct = (cpuMs: number) => (100 * cpuMs) / wallMs;
    const machine = (100 * os.availableParallelism() * (cpuAfter.machineBusy - cpuBefore.machineBusy)) / Math.max(1, cpuAfter.machineTotal - cpuBefore.machineTotal);
    const cpu = { worker: pct(workerCpuMs), api: pct(cpuAfter.self - cpuBefore.self), temporal: pct(cpuAfter.temporal - cpuBefore.temporal), postgres: pct(postgresCpuMs(cpuBefore, cpuAfter)), machine };

    // Workflow task latency, exactly, from a sample of histories; and every meeting's history length.
    const sample = meetings.filter((_, i) => i % Math.max(1, Math.floor(meetings.length / HISTORY_SAMPLE)) === 0).slice(0, HISTORY_SAMPLE);
    const sampled = await eachLimited(sample, CONCURRENCY, (m) => temporalClient.workflow.getHandle(meetingWorkflowId(m.id)).fetchHistory());
    const taskLatencies = Float64Array.from(sampled.flatMap(workflowTaskLatencies)).sort();
    // Every meeting's history length, once they no longer grow (the tasks still queued after the load are done), so the restart replays quiet meetings.
    const historyLengths = () => eachLimited(meetings, CONCURRENCY, async (m) => ({ meeting: m, length: (await temporalClient.workflow.getHandle(meetingWorkflowId(m.id)).describe()).historyLength }));
    const quietStarted = performance.now();
    let lengths = await historyLengths();
    for (let previous = -1, total = lengths.reduce((sum, l) => sum + l.length, 0); total !== previous && performance.now() - quietStarted < QUIET_BOUND_S * 1000;) {
      await sleep(1000);
      lengths = await historyLengths();
      previous = total;
      total = lengths.reduce((sum, l) => sum + l.length, 0);
    }
    const quietAfterS = (performance.now() - quietStarted) / 1000;
    const longest = lengths.reduce((a, b) => (b.length > a.length ? b : a));

    // Restart: the worker killed, a new one started; one more event to the longest history's meeting, whose run the new worker replays whole.
    sampling = false;
    await sampler;
    await killWorker(worker);
    const restartStarted = performance.now();
    worker = await startBenchWorker(product);
    const restartSeconds = (performance.now() - restartStarted) / 1000;
    const metricsBeforeReplay = await scrapeMetrics(worker.metricsAddress);
    const extra: ParticipantEvent = { meeting: longest.meeting, type: 'participant.joined', sessionId: randomUUID(), joinedAtMs: Date.now() };
    const extraSent = performance.now();
    const extraStatus = await sendParticipantWebhook(product, extra);
    const joinsTotal = joinsSent + 1;
    while ((await count(`select count(*)::int as n from participant_session where session_id = '${extra.sessionId}'`)) === 0 && performance.now() - extraSent < 60_000) await sleep(50);
    const extraAppliedMs = performance.now() - extraSent;
    await sleep(1000);
    const metricsAfterReplay = await scrapeMetrics(worker.metricsAddress);
    const newWorkerTasks = histogram(metricsBeforeReplay, metricsAfterReplay, 'temporal_workflow_task_execution_latency');

    // The longest history replayed here, timed (the bundle built before the clock starts).
    const longestHistory = await temporalClient.workflow.getHandle(meetingWorkflowId(longest.meeting.id)).fetchHistory();
    const bundle = await workflowBundle();
    const replayStarted = performance.now();
    await Worker.runReplayHistory({ workflowBundle: bundle }, longestHistory, meetingWorkflowId(longest.meeting.id));
    const replayMs = performance.now() - replayStarted;
    const longestTasks = workflowTasks(longestHistory);

    // The end: every meeting ended through the API, every workflow finished with phase 'ended' (bounded).
    const endStarted = performance.now();
    const endStatuses = await eachLimited(meetings, CONCURRENCY, async (m) => (await product.request('POST', `/v1/meetings/${m.id}/end`)).status);
    const finishDeadline = Date.now() + FINISH_BOUND_S * 1000;
    const outcomes = await eachLimited(meetings, CONCURRENCY * 4, async (m) => {
      const handle = temporalClient.workflow.getHandle(meetingWorkflowId(m.id));
      const remaining = finishDeadline - Date.now();
      if (remaining <= 0) return 'stuck';
      const result = await Promise.race([handle.result() as Promise<MeetingState>, sleep(remaining).then(() => null)]);
      if (result === null) return 'stuck';
      return result.phase === 'ended' && result.recordings.length === 0 ? 'ended' : `phase ${result.phase}, ${result.recordings.length} recording(s)`;
    });
    const endSeconds = (performance.now() - endStarted) / 1000;
    const rowsAtEnd = await count('select count(*)::int as n from participant_session');
    const openRows = await count('select count(*)::int as n from participant_session where left_at is null');
    const endedRows = await count('select count(*)::int as n from meeting where ended_at is not null');

    // The samples begin once the worker polls, after its bundle is built (VmHWM includes that build).
    const peakRss = Math.max(...rssSamples.map((s) => s.rss));
    const tally = (values: string[]) => values.reduce<Record<string, number>>((all, v) => ((all[v] = (all[v] ?? 0) + 1), all), {});
    return {
      meetings: meetings.length, openSeconds, loadSeconds, webhooks: plan.length, failed, firstProblem, maxLagMs, joinsSent, rowsAfterLoad, appliedAfterS,
      rss: { idle: idle.rss, opened: opened.rss, loaded: loaded.rss, peak: peakRss, highWater: loaded.peak, perMeeting: (peakRss - idle.rss) / meetings.length },
      cpu, settings: worker.settings,
      tasks: { count: taskLatencies.length, histories: sampled.length, p50: percentile(taskLatencies, 50), p99: percentile(taskLatencies, 99), max: taskLatencies.at(-1) ?? NaN },
      metrics: {
        execution: histogram(metricsAtStart, metricsAfterLoad, 'temporal_workflow_task_execution_latency'),
        scheduleToStart: histogram(metricsAtStart, metricsAfterLoad, 'temporal_workflow_task_schedule_to_start_latency'),
        replay: histogram(metricsAtStart, metricsAfterLoad, 'temporal_workflow_task_replay_latency'),
        cacheHits: metricDelta(metricsAtStart, metricsAfterLoad, 'temporal_sticky_cache_hit'),
        cacheMisses: metricDelta(metricsAtStart, metricsAfterLoad, 'temporal_sticky_cache_miss'),
        forcedEvictions: metricDelta(metricsAtStart, metricsAfterLoad, 'temporal_sticky_cache_total_forced_eviction'),
        cacheSize: metric(metricsAfterLoad, 'temporal_sticky_cache_size'),
        names: [...metricsAfterLoad.values.keys(), ...metricsAfterLoad.buckets.keys()].filter((n) => n.startsWith('temporal_')),
      },
      restart: { quietAfterS, seconds: restartSeconds, extraStatus, extraAppliedMs, newWorkerTasks, longestLength: longest.length, longestTasks, replayMs, medianLength: lengths.map((l) => l.length).sort((a, b) => a - b)[Math.floor(lengths.length / 2)]! },
      end: { seconds: endSeconds, endFailed: endStatuses.filter((s) => s !== 202).length, outcomes: tally(outcomes), rowsAtEnd, joinsTotal, openRows, endedRows },
    };
  } finally {
    sampling = false;
    if (worker) await killWorker(worker);
    await product.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Scale-out (--scale-out): 2 API processes and 2 worker processes against the one Temporal and PostgreSQL,
// one API and one worker killed (kill -9) under load

/** After this share of the load's webhooks has gone out, one API process is killed; after this one, one worker process. */
const KILL_API_AT = 1 / 3;
const KILL_WORKER_AT = 1 / 2;
/** A webhook not acknowledged (no answer, or not 200) is sent again, to the other API, as the platform retries it; at most this often. */
const SEND_ATTEMPTS = 6;
const SCALE_OUT_ENV = { MEETING_PRESENCE_SWEEP_SECONDS: '3600' };

async function benchScaleOut(options: Options) {
  const { startTestProduct } = await import('../test/support/product.ts');
  console.log('starting the product: 2 API processes, 2 worker processes (this process holds the Daily simulator and checks the database) …');
  const product = await startTestProduct({ name: 'bench-scale-out', database: 'postgresql', worker: false, env: SCALE_OUT_ENV });
  // The product's own API (in this process) is closed: only the API processes answer webhooks and deliver them.
  await product.api.close();
  const apis: Array<Awaited<ReturnType<typeof startApiProcess>>> = [];
  const workers: BenchWorker[] = [];
  try {
    apis.push(...await Promise.all([0, 1].map(() => startApiProcess(product, SCALE_OUT_ENV))));
    // The meetings record nothing (trigger 'none'): only the base queue has work, so the workers serve only it.
    workers.push(...await Promise.all([0, 1].map(() => startBenchWorker(product, { ...SCALE_OUT_ENV, WORKER_QUEUES: 'meetings' }))));
    const connection = product.services.db.em.getConnection();
    const count = async (sql: string) => Number((await connection.execute<Array<{ n: number }>>(sql))[0]!.n);
    const requestAt = (url: string): ApiRequest => async (method, urlPath, body) => {
      const response = await fetch(`${url}${urlPath}`, {
        method, headers: body === undefined ? product.adminHeaders : { 'content-type': 'application/json', ...product.adminHeaders }, body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const meetings = await openMeetings(product, options.meetings, (i) => requestAt(apis[i % 2]!.url));
    console.log(`${meetings.length} meetings open (through both APIs); load over ${options.seconds} s`);

    const plan = plannedEvents(meetings);
    const joinedAt = new Map<string, number>();
    const alive = new Set([0, 1]);
    const acknowledged = new Array<boolean>(plan.length).fill(false);
    let resent = 0;
    let firstProblem: string | null = null;
    /** Sends the webhook until an API answers 200: first to API `first`, then to the others alive (a dead one is dropped, as a load balancer's health check does). */
    const sendAcknowledged = async (event: ParticipantEvent, first: number) => {
      for (let attempt = 0; attempt < SEND_ATTEMPTS && alive.size > 0; attempt++) {
        const candidates = [...alive];
        const target = attempt === 0 && alive.has(first) ? first : candidates[(first + attempt) % candidates.length]!;
        if (attempt > 0) resent++;
        try {
          const status = await sendParticipantWebhook(product, event, apis[target]!.url);
          if (status === 200) return true;
          firstProblem ??= `HTTP ${status}`;
        } catch (error) {
          firstProblem ??= (error as Error).message;
          if (apis[target]!.child.exitCode !== null || apis[target]!.child.signalCode !== null) alive.delete(target);
        }
        await sleep(100 * 2 ** attempt);
      }
      return false;
    };
    const loadStarted = performance.now();
    const interval = (options.seconds * 1000) / plan.length;
    const killApiAt = Math.floor(plan.length * KILL_API_AT);
    const killWorkerAt = Math.floor(plan.length * KILL_WORKER_AT);
    const kills: Array<Promise<unknown>> = [];
    let workerKilledAt = 0;
    let undeliveredAtApiKill = 0;
    let survivorMetricsAtKill: Metrics | undefined;
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < plan.length) {
        const i = next++;
        const wait = loadStarted + i * interval - performance.now();
        if (wait >= 1) await sleep(wait);
        if (i === killApiAt) {
          kills.push(killWorker(apis[0]!).then(async () => {
            // Recorded, not yet signalled: the dead API's share of these is left to the survivor's sweep.
            undeliveredAtApiKill = await count(`select count(*)::int as n from webhook_event where outcome = 'received'`);
            console.log(`kill -9 API process 1 after ${i} of ${plan.length} webhooks (${undeliveredAtApiKill} recorded webhooks not yet delivered)`);
          }));
        }
        if (i === killWorkerAt) {
          workerKilledAt = performance.now();
          kills.push(scrapeMetrics(workers[1]!.metricsAddress).then((m) => (survivorMetricsAtKill = m)));
          kills.push(killWorker(workers[0]!).then(() => console.log(`kill -9 worker process 1 after ${i} of ${plan.length} webhooks`)));
        }
        const event = plan[i]!;
        if (event.type === 'participant.joined') joinedAt.set(event.sessionId, Date.now());
        acknowledged[i] = await sendAcknowledged({ ...event, joinedAtMs: joinedAt.get(event.sessionId) ?? Date.now() }, i % 2);
      }
    }));
    await Promise.all(kills);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const acked = plan.filter((_, i) => acknowledged[i]);
    console.log(`load: ${plan.length} webhooks over ${loadSeconds.toFixed(0)} s; ${acked.length} acknowledged, ${resent} sent again`);

    // What the database holds per meeting: every session's row and whether it has left.
    const rowsByMeeting = async () => {
      const rows = await connection.execute<Array<{ meeting_id: string; session_id: string; left: boolean }>>('select meeting_id, session_id, left_at is not null as left from participant_session');
      const byMeeting = new Map<string, Map<string, { rows: number; left: boolean }>>();
      for (const row of rows) {
        const sessions = byMeeting.get(row.meeting_id) ?? new Map();
        const seen = sessions.get(row.session_id);
        sessions.set(row.session_id, { rows: (seen?.rows ?? 0) + 1, left: row.left });
        byMeeting.set(row.meeting_id, sessions);
      }
      return byMeeting;
    };
    /** Acknowledged joins without their row, acknowledged leaves without their left_at. */
    const lostOf = (byMeeting: Map<string, Map<string, { rows: number; left: boolean }>>) => acked.filter((e) => {
      const session = byMeeting.get(e.meeting.id)?.get(e.sessionId);
      return e.type === 'participant.joined' ? !session : !session?.left;
    }).length;
    const applyStarted = performance.now();
    let lost = lostOf(await rowsByMeeting());
    while (lost > 0 && performance.now() - applyStarted < APPLY_BOUND_S * 1000) {
      await sleep(500);
      lost = lostOf(await rowsByMeeting());
    }
    const appliedAfterS = (performance.now() - applyStarted) / 1000;
    const afterLoad = await rowsByMeeting();
    const duplicateRows = [...afterLoad.values()].flatMap((sessions) => [...sessions.values()]).filter((s) => s.rows > 1).length;
    const webhookRows = await count('select count(*)::int as n from webhook_event');
    const undelivered = await count(`select count(*)::int as n from webhook_event where outcome = 'received'`);
    const survivorTasks = histogram(survivorMetricsAtKill!, await scrapeMetrics(workers[1]!.metricsAddress), 'temporal_workflow_task_execution_latency').count;
    console.log(`${lost} acknowledged events lost, ${duplicateRows} duplicated rows, ${appliedAfterS.toFixed(1)} s after the load; the surviving worker ran ${survivorTasks} workflow tasks since the kill`);

    // The end, through the surviving API: every workflow finishes 'ended', no recordings, each join counted once.
    const endStarted = performance.now();
    const survivor = requestAt(apis[1]!.url);
    const endStatuses = await eachLimited(meetings, CONCURRENCY, async (m) => (await survivor('POST', `/v1/meetings/${m.id}/end`)).status);
    const finishDeadline = Date.now() + FINISH_BOUND_S * 1000;
    const outcomes = await eachLimited(meetings, CONCURRENCY * 4, async (m) => {
      const remaining = finishDeadline - Date.now();
      const result = remaining <= 0 ? null : await Promise.race([product.services.temporal.workflow.getHandle(meetingWorkflowId(m.id)).result() as Promise<MeetingState>, sleep(remaining).then(() => null)]);
      if (result === null) return { outcome: 'stuck', seenTwice: 0, seenMissing: 0 };
      const joins = afterLoad.get(m.id)?.size ?? 0;
      return {
        outcome: result.phase === 'ended' && result.recordings.length === 0 ? 'ended' : `phase ${result.phase}, ${result.recordings.length} recording(s)`,
        seenTwice: Math.max(0, result.participantsSeen - joins), seenMissing: Math.max(0, joins - result.participantsSeen),
      };
    });
    const endSeconds = (performance.now() - endStarted) / 1000;
    const tally = outcomes.reduce<Record<string, number>>((all, o) => ((all[o.outcome] = (all[o.outcome] ?? 0) + 1), all), {});
    return {
      meetings: meetings.length, webhooks: plan.length, acknowledged: acked.length, resent, firstProblem, loadSeconds, killApiAt, killWorkerAt,
      lost, duplicateRows, appliedAfterS, webhookRows, undelivered, undeliveredAtApiKill, survivorTasks, workerKilledAfterS: (workerKilledAt - loadStarted) / 1000,
      seenTwice: outcomes.reduce((sum, o) => sum + o.seenTwice, 0), seenMissing: outcomes.reduce((sum, o) => sum + o.seenMissing, 0),
      end: { seconds: endSeconds, endFailed: endStatuses.filter((st) => st !== 202).length, outcomes: tally },
    };
  } finally {
    await Promise.all([...apis, ...workers].map(killWorker));
    await product.stop();
  }
}

function reportScaleOut(r: Awaited<ReturnType<typeof benchScaleOut>>): { table: string; summary: string } {
  const stuck = Object.entries(r.end.outcomes).filter(([outcome]) => outcome !== 'ended').reduce((sum, [, n]) => sum + n, 0);
  const duplicated = r.duplicateRows + r.seenTwice;
  const rows: Array<[string, string]> = [
    ['Processes', '2 API (`node api/main.ts`), 2 workers (worker.ts, WORKER_QUEUES=meetings), one Temporal dev server, one PostgreSQL'],
    ['Meetings (opened alternately through both APIs)', `${r.meetings}`],
    ['Load', `${r.webhooks} participant webhooks (${JOINS_PER_MEETING} joins, ${LEAVES_PER_MEETING} leaves per meeting) over ${r.loadSeconds.toFixed(0)} s, alternately to both APIs`],
    ['Killed (kill -9)', `API process 1 after webhook ${r.killApiAt}, worker process 1 after webhook ${r.killWorkerAt} (${r.workerKilledAfterS.toFixed(0)} s into the load)`],
    ['Acknowledged (HTTP 200) / sent again to the other API (not answered, as a platform retries)', `${r.acknowledged} of ${r.webhooks} / ${r.resent}${r.firstProblem ? ` (first problem: ${r.firstProblem})` : ''}`],
    ['Acknowledged events lost (a join without its row, a leave without its left_at)', `${r.lost} (checked ${r.appliedAfterS.toFixed(1)} s after the load)`],
    ['Applied twice (a session with two rows; a workflow counting more joins than its rows)', `${r.duplicateRows} rows; ${r.seenTwice} joins (and ${r.seenMissing} counted fewer)`],
    ['Webhook rows recorded / not yet delivered right after the API kill / left undelivered at the end', `${r.webhookRows} / ${r.undeliveredAtApiKill} / ${r.undelivered}`],
    ['Surviving worker: workflow tasks run after the kill', `${r.survivorTasks}`],
    ['End through the surviving API', `${r.end.endFailed} failed; workflows ${JSON.stringify(r.end.outcomes)} within ${r.end.seconds.toFixed(0)} s (bound ${FINISH_BOUND_S} s)`],
  ];
  const table = ['| Measure | Figure |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const met = r.lost === 0 && duplicated === 0 && r.seenMissing === 0 && stuck === 0 && r.acknowledged === r.webhooks;
  const summary = `- **Scale-out, one API and one worker killed: ${r.lost} lost, ${duplicated} duplicated: ${met ? 'met' : '**missed**'}**: ${r.acknowledged} of ${r.webhooks} webhooks acknowledged (${r.resent} sent again after the API's death), every acknowledged join has its one row and every acknowledged leave its left_at; ${r.end.outcomes.ended ?? 0} of ${r.meetings} meetings ended with phase 'ended' and the right recordings (none: trigger 'none'), ${stuck} not; the surviving worker ran ${r.survivorTasks} workflow tasks after the kill.`;
  return { table, summary };
}

type Result = Awaited<ReturnType<typeof bench>>;

function report(r: Result, options: Options, load: string): { table: string; summary: string } {
  const m = r.metrics;
  const stuck = Object.entries(r.end.outcomes).filter(([outcome]) => outcome !== 'ended').reduce((sum, [, n]) => sum + n, 0);
  const replayPerTaskMs = r.restart.replayMs / Math.max(1, r.restart.longestTasks);
  const rows: Array<[string, string]> = [
    ['Open meetings (one worker process)', `${r.meetings} (opened in ${r.openSeconds.toFixed(1)} s through the API)`],
    ['Load', `${r.webhooks} participant webhooks (${JOINS_PER_MEETING} joins, ${LEAVES_PER_MEETING} leaves per meeting) over ${r.loadSeconds.toFixed(0)} s, ${(r.webhooks / r.loadSeconds).toFixed(1)}/s; ${r.failed} failed${r.firstProblem ? ` (first: ${r.firstProblem})` : ''}`],
    ['Participant rows written after the load', `${r.rowsAfterLoad} of ${r.joinsSent}, ${r.appliedAfterS.toFixed(1)} s after the last webhook`],
    ['Worker RSS: idle / meetings open / after the load / peak (sampled)', `${mib(r.rss.idle)} / ${mib(r.rss.opened)} / ${mib(r.rss.loaded)} / ${mib(r.rss.peak)} (VmHWM, with the start's bundle build: ${mib(r.rss.highWater)})`],
    ['Worker RSS per open meeting ((peak − idle) ÷ N)', `${(r.rss.perMeeting / 1024).toFixed(0)} KiB`],
    ['Workflow task latency, scheduled → completed (histories of ' + `${r.tasks.histories} meetings, ${r.tasks.count} tasks)`, `p50 ${ms(r.tasks.p50)} ms, p99 ${ms(r.tasks.p99)} ms, max ${ms(r.tasks.max)} ms`],
    ['Workflow task execution in the worker (SDK metrics, all tasks)', `${m.execution.count} tasks, mean ${ms(m.execution.meanMs)} ms, p99 ≤ ${ms(m.execution.p99AtMostMs)} ms (bucket bound)`],
    ['Workflow task schedule → start (SDK metrics)', `mean ${ms(m.scheduleToStart.meanMs)} ms, p99 ≤ ${ms(m.scheduleToStart.p99AtMostMs)} ms`],
    ['Sticky cache: size setting / cached after the load', `${r.settings.maxCachedWorkflows} workflows (${process.env.WORKER_MAX_CACHED_WORKFLOWS ? 'WORKER_MAX_CACHED_WORKFLOWS' : `unset WORKER_MAX_CACHED_WORKFLOWS: the SDK default from the V8 heap limit, ${r.settings.heapLimitMiB} MiB`}) / ${m.cacheSize}`],
    ['Sticky cache: hits / misses (each a replay of the whole history) / forced evictions, over the load', `${m.cacheHits} / ${m.cacheMisses} / ${m.forcedEvictions} (replay-latency samples: ${m.replay.count}, mean ${ms(m.replay.meanMs)} ms)`],
    ['CPU, % of one core over the load: worker / API (this process) / Temporal / PostgreSQL / other work on the machine', `${r.cpu.worker.toFixed(0)} / ${r.cpu.api.toFixed(0)} / ${r.cpu.temporal.toFixed(0)} / ${r.cpu.postgres.toFixed(0)} / ${Math.max(0, r.cpu.machine - r.cpu.worker - r.cpu.api - r.cpu.temporal - r.cpu.postgres).toFixed(0)} (machine ${r.cpu.machine.toFixed(0)} of ${os.availableParallelism() * 100})`],
    ['Longest history (median)', `${r.restart.longestLength} events, ${r.restart.longestTasks} workflow tasks (median ${r.restart.medianLength} events)`],
    ['After the histories were quiet (' + `${r.restart.quietAfterS.toFixed(0)} s after the rows), kill -9 and a new worker (up in ${r.restart.seconds.toFixed(1)} s): one more event to that meeting`, `HTTP ${r.restart.extraStatus}, its row written ${ms(r.restart.extraAppliedMs)} ms after; the new worker's workflow tasks meanwhile: ${r.restart.newWorkerTasks.count}, mean ${ms(r.restart.newWorkerTasks.meanMs)} ms, p99 ≤ ${ms(r.restart.newWorkerTasks.p99AtMostMs)} ms`],
    ['Replay of the longest history here (Worker.runReplayHistory)', `${ms(r.restart.replayMs)} ms in all, ${ms(replayPerTaskMs)} ms per workflow task`],
    ['End: POST /v1/meetings/:id/end for every meeting', `${r.end.endFailed} failed; workflows: ${JSON.stringify(r.end.outcomes)} within ${r.end.seconds.toFixed(0)} s (bound ${FINISH_BOUND_S} s)`],
    ['Participant rows at the end (joins sent) / still open', `${r.end.rowsAtEnd} (${r.end.joinsTotal}) / ${r.end.openRows}`],
  ];
  const table = ['| Measure | Figure |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const memoryMet = r.rss.peak <= GIB;
  const summary = [
    `- **${r.meetings} open meetings on one worker, no stuck run: ${stuck === 0 && r.end.rowsAtEnd === r.end.joinsTotal ? 'met' : '**missed**'}**: ${r.end.outcomes.ended ?? 0} of ${r.meetings} workflows ended with phase 'ended' and no recordings (trigger 'none'), ${stuck} did not within ${FINISH_BOUND_S} s; ${r.end.rowsAtEnd} participant rows for ${r.end.joinsTotal} joins sent, ${r.end.openRows} left open.`,
    `- **Worker RSS ≤ 1 GiB in all: ${memoryMet ? 'met' : '**missed**'}**: peak ${mib(r.rss.peak)} (idle ${mib(r.rss.idle)}), ${(r.rss.perMeeting / 1024).toFixed(0)} KiB per open meeting; the sticky cache holds ${r.settings.maxCachedWorkflows} workflows, so beyond that meetings are evicted and replayed on their next task (${m.cacheMisses} cache misses, ${m.forcedEvictions} forced evictions during the load).`,
    `- **Replay of the longest history ≤ 1 s per workflow task: ${replayPerTaskMs <= 1000 ? 'met' : '**missed**'}**: ${r.restart.longestLength} events, ${r.restart.longestTasks} workflow tasks, replayed in ${ms(r.restart.replayMs)} ms (${ms(replayPerTaskMs)} ms per task); after the restart the new worker applied one more event to it in ${ms(r.restart.extraAppliedMs)} ms${r.restart.extraAppliedMs > 5000 ? " (the task first went to the killed worker's sticky queue and was moved to the shared queue after the sticky schedule-to-start timeout, the SDK's 10 s: a kill -9 does not tell Temporal the worker is gone)" : ''}.`,
    `- Workflow task latency p99 ${ms(r.tasks.p99)} ms (scheduled → completed, from ${r.tasks.histories} histories; by the SDK's metrics a task waits mean ${ms(m.scheduleToStart.meanMs)} ms for the worker to pick it up and runs mean ${ms(m.execution.meanMs)} ms), at ${(r.webhooks / r.loadSeconds).toFixed(1)} webhooks/s; CPU over the load: worker ${r.cpu.worker.toFixed(0)}%, API ${r.cpu.api.toFixed(0)}%, Temporal ${r.cpu.temporal.toFixed(0)}%, PostgreSQL ${r.cpu.postgres.toFixed(0)}% of a core (machine ${r.cpu.machine.toFixed(0)}% of ${os.availableParallelism() * 100}%, other work ${Math.max(0, r.cpu.machine - r.cpu.worker - r.cpu.api - r.cpu.temporal - r.cpu.postgres).toFixed(0)}%; ${load}).`,
    ...(options.seconds < 60 ? [`- A short load period (${options.seconds} s): the figures say little about meetings that stay open for hours.`] : []),
  ].join('\n');
  return { table, summary };
}

async function main(): Promise<void> {
  const options = readOptions();
  const command = `npm run bench:scale${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const started = performance.now();
  const { startTemporalDevServer, startPostgres } = await import('../test/support/servers.ts');
  const servers: RunningServer[] = [];
  process.once('exit', () => servers.forEach((server) => server.stopNow?.()));
  process.once('SIGINT', () => process.exit(130));
  setTimeout(() => {
    console.error(`bench-scale: still running after ${HARD_TIMEOUT_MS / 60_000} minutes; stopping`);
    process.exit(1);
  }, HARD_TIMEOUT_MS).unref();
  try {
    const [temporal, postgres] = await Promise.all([startTemporalDevServer(), startPostgres()]);
    servers.push(temporal, postgres);
    process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
    process.env.TEST_DATABASE_URL = postgres.url;
    console.log(`servers up: Temporal ${temporal.address}, PostgreSQL ${postgres.url}; ${options.meetings} meetings, load over ${options.seconds} s`);
    const loadAtStart = os.loadavg();
    if (options.scaleOut) {
      const result = reportScaleOut(await benchScaleOut(options));
      const total = (performance.now() - started) / 1000;
      const load = `load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`;
      console.log(`\n${result.table}\n\n${result.summary}\n\nbench took ${total.toFixed(0)} s (${load})`);
      if (options.doc) {
        await appendBenchmarkSection('Scale-out: 2 API and 2 worker processes, one of each killed', [
          `- Command: \`${command}\` (${total.toFixed(0)} s; ${load})`,
          `- Machine: ${machineDescription()}.`,
          '- Setup: on this machine, 127.0.0.1 only: a Temporal dev server and a PostgreSQL cluster (fsync off) shared by two API processes',
          "  (`node api/main.ts`) and two worker processes (worker.ts's, serving the base queue). The meetings are opened alternately through both",
          '  APIs, then get signed Daily participant webhooks round by round, each sent first to one API and, when not answered 200, again to the',
          '  other (as a platform retries), with a back-off; one API process and then one worker process are killed (kill -9) during the load.',
          "  Checked in PostgreSQL and in each workflow's result: every acknowledged join has exactly one participant row, every acknowledged leave",
          '  its left_at, each workflow counts each join once, and every meeting ends through the surviving API.',
          '',
          result.table,
          '',
          result.summary,
          '',
        ]);
      }
      return;
    }
    const result = await bench(options, new URL(postgres.url).port);
    const load = `load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`;
    const { table, summary } = report(result, options, load);
    const total = (performance.now() - started) / 1000;
    console.log(`\n${table}\n\n${summary}\n\nSDK metrics seen: ${result.metrics.names.join(', ')}\nbench took ${total.toFixed(0)} s`);
    if (options.doc) {
      await appendBenchmarkSection('Scale: open meetings on one worker', [
        `- Command: \`${command}\` (${total.toFixed(0)} s)`,
        `- Machine: ${machineDescription()}.`,
        '- Setup: everything on this machine and on 127.0.0.1: a Temporal dev server, a PostgreSQL cluster (fsync off), the API in the bench process,',
        "  one worker process (worker.ts's, via scripts/bench-scale-worker.ts, which adds the SDK's Prometheus metrics). The meetings are opened",
        `  through the API at once (${CONCURRENCY} requests in flight), then each gets signed Daily participant webhooks (A joins, B joins, A leaves,`,
        '  C joins, B leaves), round by round, evenly over the load period. Worker RSS is VmRSS sampled every 0.5 s (and VmHWM). CPU is in % of one core.',
        '  Then the worker is killed (kill -9), a new one started, and one more join sent to the meeting with the longest history; that history is',
        '  replayed in the bench process (Worker.runReplayHistory, bundle built beforehand). Finally every meeting is ended through the API.',
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

await main();
process.exit(0);
