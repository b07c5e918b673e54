// Starts the real product for a test file: its own database (PGlite or PostgreSQL), its own Temporal
// namespace and task queue, its own storage folder; the API on a random port and a worker in-process.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap, type WorkerOptions, DefaultLogger } from '@temporalio/worker';
import { parseConfig, type Config } from '../../runtime/config.ts';
import { openServices, type Services } from '../../runtime/services.ts';
import { connectClient, connectWorker, ensureNamespace, installWorkerRuntime } from '../../runtime/temporal.ts';
import { createLogger, type Logger } from '../../runtime/log.ts';
import { startApiServer, type ApiServer } from '../../api/server.ts';
import { createWorkers, workflowsPath } from '../../worker.ts';
import { freePort, postgresUrl, temporalAddress } from './servers.ts';
import { speechTestEnv } from './speech.ts';
import { planTestDaily, startTestDaily } from './daily.ts';
import { registerDailyWebhook } from '../../runtime/embedded-daily.ts';
import type { DailySimulator, DailySimulatorOptions } from '../../platforms/daily/simulator/index.ts';
import { startLiveKitSimulator, type LiveKitSimulator, type LiveKitSimulatorOptions } from '../../platforms/livekit/simulator/index.ts';
import type { HmsSimulator } from '../../platforms/hms/simulator/index.ts';
import { startEmbeddedHms } from '../../runtime/embedded-hms.ts';
import type { WherebySimulator } from '../../platforms/whereby/simulator/index.ts';
import { startEmbeddedWhereby } from '../../runtime/embedded-whereby.ts';
import { User } from '../../auth/entities.ts';
import { createLocalUser } from '../../auth/users.ts';
import { createApiKey } from '../../auth/api-keys.ts';
import { signDailyWebhook } from '../../platforms/daily/signature.ts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../../recordings/messages.ts';

// The SDK's own logs through the product's logger, warnings only so test output stays readable (a test file that
// captures them installs its own first: the Runtime is process-wide and the first install holds).
installWorkerRuntime(createLogger('warn'));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundle the workflow code once per test process and reuse it for every worker (with tracing's interceptors when a test traces). */
export function workflowBundle(interceptorModules?: string[]): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: interceptorModules, logger: new DefaultLogger('WARN') });
  return bundle;
}

export const uniqueName = (prefix: string) => `${prefix.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}${randomBytes(4).toString('hex')}`;

/** A fresh database: a PGlite folder, or a new database in the shared PostgreSQL server. */
export async function testDatabase(kind: 'pglite' | 'postgresql', name: string): Promise<Config['database']> {
  if (kind === 'pglite') return { kind: 'pglite', dataDir: await mkdtemp(path.join(os.tmpdir(), `pglite-${name}-`)) };
  const base = await postgresUrl();
  const dbName = uniqueName(name);
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`create database "${dbName}"`);
  await client.end();
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  return { kind: 'postgresql', url: url.toString(), poolMax: 5 };
}

export interface TestConfigOptions {
  database?: 'pglite' | 'postgresql';
  name: string;
  env?: Record<string, string>;
}

export async function testConfig(options: TestConfigOptions): Promise<Config> {
  const namespace = uniqueName(options.name);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `product-${options.name}-`));
  const config = parseConfig({
    DATA_DIR: dataDir,
    APP_SECRET: randomBytes(32).toString('hex'),
    TEMPORAL_ADDRESS: await temporalAddress(),
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: `${namespace}-meetings`,
    LOG_LEVEL: 'warn',
    // Test receivers listen on 127.0.0.1; test/outgoing-webhooks.test.ts checks the refusal with this off.
    OUTGOING_WEBHOOKS_ALLOW_PRIVATE: 'true',
    // Daily alone unless a test asks for more (startTestProduct's `livekit`).
    PLATFORMS: 'daily',
    ...(options.env?.SPEECH_ENGINE ? {} : speechTestEnv()),
    ...options.env,
  });
  config.database = await testDatabase(options.database ?? 'pglite', options.name);
  const client = await connectClient({ address: config.temporal.address, namespace });
  await ensureNamespace(client, namespace);
  await client.connection.close();
  return config;
}

export interface TestProduct {
  config: Config;
  /** The Daily simulator standing in for Daily (always started; the product talks to it as to Daily). */
  daily: DailySimulator;
  /** The LiveKit simulator, when the test asked for LiveKit. */
  livekit: LiveKitSimulator | undefined;
  /** The 100ms simulator (as `npm start` embeds it), when the test asked for 100ms. */
  hms: HmsSimulator | undefined;
  /** The Whereby simulator (as `npm start` embeds it), when the test asked for Whereby. */
  whereby: WherebySimulator | undefined;
  services: Services;
  api: ApiServer;
  url: string;
  /** As the first admin (its API key is sent unless `headers` bring their own credential). */
  request(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** As whoever `headers` make the caller: `product.as({})` is anonymous, `product.as(user.headers)` that user. */
  as(headers: Record<string, string>): (method: string, urlPath: string, body?: unknown, extra?: Record<string, string>) => Promise<ApiResponse>;
  /** The first admin's credentials: `{ 'x-api-key': … }`. */
  adminHeaders: Record<string, string>;
  /** A new local account (role `user` unless said) with an API key. */
  createUser(options?: { email?: string; role?: 'admin' | 'user'; password?: string }): Promise<TestUser>;
  /**
   * Starts a worker for these queues now (say, `['audio', 'speech']` after starting with `worker: { queues: ['meetings'] }`),
   * with the worker options given (a slow worker: `maxActivitiesPerSecond`); `stop()` stops it.
   */
  startWorker(queues: WorkerQueue[], options?: Partial<WorkerOptions>): Promise<void>;
  stop(): Promise<void>;
}

/** A recording's pipeline result, once its meeting has handed it over (its workflow may not exist yet). */
export async function recordingWorkflowResult(product: TestProduct, recordingId: string, timeoutMs = 60_000): Promise<RecordingWorkflowResult> {
  const handle = product.services.temporal.workflow.getHandle(recordingWorkflowId(recordingId));
  for (let deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
    try {
      return await handle.result();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError) || Date.now() > deadline) throw error;
    }
  }
}

/** Signed as Daily signs it, to the product's API or (`apiUrl`) another API process of the same product. */
export function sendDailyWebhook(product: TestProduct, body: string, apiUrl = product.url, init: RequestInit = {}): Promise<Response> {
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = signDailyWebhook(product.config.daily.webhookSecret, ts, body);
  return fetch(`${apiUrl}/v1/webhooks/daily`, { ...init, method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-timestamp': ts, 'x-webhook-signature': signature }, body });
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  apiKey: string;
  headers: Record<string, string>;
}

export const TEST_ADMIN_EMAIL = 'admin@example.com';
export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';

const CREDENTIAL_HEADERS = ['x-api-key', 'authorization', 'cookie'];

async function apiKeyFor(services: Services, email: string): Promise<string> {
  const em = services.db.em.fork();
  const user = await em.findOneOrFail(User, { email });
  return (await createApiKey(em, user, { name: 'tests' })).plaintext;
}

type WorkerQueue = Config['worker']['queues'][number];

/**
 * `livekit`: LiveKit runs beside Daily (its simulator started and its webhooks configured to our route), with these
 * simulator options. `hms`, `whereby`: 100ms or Whereby runs beside them, its simulator started as `npm start` embeds it.
 */
type TestProductOptions = TestConfigOptions & {
  worker?: boolean | { queues: WorkerQueue[] }; daily?: Partial<DailySimulatorOptions>; livekit?: boolean | Partial<LiveKitSimulatorOptions>; hms?: boolean; whereby?: boolean;
  /** The API's and the worker's logger (default: warnings and errors on stderr). */
  log?: Logger;
};

/**
 * `worker`: false for none, or `{ queues }` to leave some queues unserved until `startWorker()` (default: all).
 * The API's and the simulator's ports are chosen before they listen (the product signs links with its address),
 * so another process may take one meanwhile: then everything started is stopped and it starts again on new ports.
 */
export async function startTestProduct(options: TestProductOptions): Promise<TestProduct> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestProductOnce(options);
    } catch (error) {
      if (attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

async function startTestProductOnce(options: TestProductOptions): Promise<TestProduct> {
  const plan = await planTestDaily();
  // A known port up front, so links the product signs (local storage) point at the right place.
  const apiPort = await freePort();
  const platforms = ['daily', ...(options.livekit ? ['livekit'] : []), ...(options.hms ? ['100ms'] : []), ...(options.whereby ? ['whereby'] : [])];
  const liveKitEnv: Record<string, string> = {
    ...(platforms.length > 1 && { PLATFORMS: platforms.join(',') }),
    ...(options.livekit && { LIVEKIT_SIMULATOR_PORT: String(await freePort()) }),
    ...(options.hms && { HMS_SIMULATOR_PORT: String(await freePort()) }),
    ...(options.whereby && { WHEREBY_SIMULATOR_PORT: String(await freePort()) }),
  };
  const config = await testConfig({
    ...options,
    env: { ...plan.env, API_PORT: String(apiPort), FIRST_ADMIN_EMAIL: TEST_ADMIN_EMAIL, FIRST_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, ...liveKitEnv, ...options.env },
  });
  const services = await openServices(config);
  const log = options.log ?? createLogger('warn');
  // Whatever started is stopped again if a later part cannot start, so a failed start leaves nothing listening.
  const started: Array<() => Promise<void>> = [() => services.close()];
  const stopStarted = () => Promise.allSettled(started.reverse().map((stop) => stop()));
  let daily: DailySimulator;
  let livekit: LiveKitSimulator | undefined;
  let hms: HmsSimulator | undefined;
  let whereby: WherebySimulator | undefined;
  let api: ApiServer;
  try {
    daily = await startTestDaily(plan, services.storage, options.daily);
    started.push(() => daily.stop());
    api = await startApiServer(services, log, { host: '127.0.0.1', port: apiPort });
    started.push(() => api.close());
    await registerDailyWebhook(config.daily, `${api.url}/v1/webhooks/daily`);
    if (options.livekit && config.livekit.mode === 'simulator') {
      const { port, apiKey, apiSecret } = config.livekit;
      const sim = await startLiveKitSimulator({
        host: '127.0.0.1', port, apiKey, apiSecret, webhookUrls: [`${api.url}/v1/webhooks/livekit`], defaultStorage: services.storage,
        webhookRetry: { retryWaitMinMs: 200, retryWaitMaxMs: 2_000, maxRetries: 8, timeoutMs: 10_000 },
        ...(options.livekit === true ? {} : options.livekit),
      });
      livekit = sim;
      started.push(() => sim.stop());
    }
    if (options.hms && config.hms.mode === 'simulator') {
      const sim = await startEmbeddedHms({ config: config.hms, webhookUrl: `${api.url}/v1/webhooks/100ms`, webhookRetryDelaysMs: [200, 1_000, 2_000, 4_000], log: (line) => console.warn(`[hms-sim] ${line}`) });
      hms = sim;
      started.push(() => sim.stop());
    }
    if (options.whereby && config.whereby?.mode === 'simulator') {
      const sim = await startEmbeddedWhereby({
        config: config.whereby, storageConfig: config.storage, storage: services.storage, webhookUrl: `${api.url}/v1/webhooks/whereby`,
        webhookRetry: { retries: 5, backoffMs: 200 }, log: (line) => console.warn(`[whereby-sim] ${line}`),
      });
      whereby = sim;
      started.push(() => sim.stop());
    }
  } catch (error) {
    await stopStarted();
    throw error;
  }
  const workerStops: Array<() => Promise<void>> = [];
  async function startWorker(queues: WorkerQueue[], workerOptions: Partial<WorkerOptions> = {}): Promise<void> {
    const connection = await connectWorker({ address: config.temporal.address });
    const worker = await createWorkers({ ...services, log, config: { ...config, worker: { ...config.worker, queues } } }, connection, { ...workerOptions, workflowBundle: await workflowBundle(services.tracing?.workflowModules), workflowsPath: undefined });
    const running = worker.run();
    workerStops.push(async () => {
      worker.shutdown();
      await running;
      await connection.close();
    });
  }
  if (options.worker !== false) await startWorker(options.worker === true || options.worker === undefined ? config.worker.queues : options.worker.queues);
  const adminHeaders = { 'x-api-key': await apiKeyFor(services, TEST_ADMIN_EMAIL) };
  async function send(method: string, urlPath: string, body: unknown, headers: Record<string, string>): Promise<ApiResponse> {
    const response = await fetch(`${product.api.url}${urlPath}`, {
      method,
      // The API's own answer: a 307 to a signed link is what a client gets, not the file behind it.
      redirect: 'manual',
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON; keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }
  const product: TestProduct = {
    config,
    daily,
    livekit,
    hms,
    whereby,
    services,
    api,
    url: api.url,
    adminHeaders,
    request(method, urlPath, body, headers = {}) {
      const own = Object.keys(headers).some((name) => CREDENTIAL_HEADERS.includes(name.toLowerCase()));
      return send(method, urlPath, body, own ? headers : { ...adminHeaders, ...headers });
    },
    as(headers) {
      return (method, urlPath, body, extra = {}) => send(method, urlPath, body, { ...headers, ...extra });
    },
    async createUser(options = {}) {
      const email = options.email ?? `${uniqueName('user')}@example.com`;
      const password = options.password ?? `pw-${randomBytes(12).toString('hex')}`;
      const user = await createLocalUser(services.db.em.fork(), { email, password, role: options.role ?? 'user' });
      const apiKey = await apiKeyFor(services, email);
      return { id: user.id, email, password, apiKey, headers: { 'x-api-key': apiKey } };
    },
    startWorker,
    async stop() {
      await Promise.all(workerStops.map((stop) => stop()));
      await product.api.close();
      await daily.stop();
      await livekit?.stop();
      await hms?.stop();
      await whereby?.stop();
      await product.services.close();
    },
  };
  return product;
}
