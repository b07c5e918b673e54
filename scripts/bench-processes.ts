// What the bench scripts share about processes: the product's worker and API started as production runs them, and the
// CPU time of our own servers (the Temporal dev server, the PostgreSQL cluster) and of the machine, from /proc.
import { execFileSync, spawn as spawnProcess, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/support/servers.ts';
import type { TestProduct } from '../test/support/product.ts';

/** CPU time (ms) so far: this process, our Temporal dev server, each process of our PostgreSQL, the whole machine (busy and total). */
export interface CpuSample { at: number; self: number; temporal: number; postgres: Map<number, number>; machineBusy: number; machineTotal: number }

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export function processes(): Array<{ pid: number; ppid: number; comm: string; cpuMs: number }> {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const one = processCpu(Number(entry));
    if (one) found.push(one);
  }
  return found;
}

/** One process's CPU time (user + system, ms) from /proc/<pid>/stat; null once it is gone. */
export function processCpu(pid: number): { pid: number; ppid: number; comm: string; cpuMs: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { pid, ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK };
  } catch {
    return null;
  }
}

export function cpuSample(postgresPort: string): CpuSample {
  const all = processes();
  const temporal = all.filter((p) => p.ppid === process.pid && p.comm.startsWith('temporal')).reduce((sum, p) => sum + p.cpuMs, 0);
  const postmaster = all.find((p) => p.comm === 'postgres' && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(`-p ${postgresPort} `));
  const postgres = new Map(postmaster ? all.filter((p) => p.pid === postmaster.pid || p.ppid === postmaster.pid).map((p) => [p.pid, p.cpuMs]) : []);
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = ticks[3]! + ticks[4]!;
  const usage = process.cpuUsage();
  return { at: performance.now(), self: (usage.user + usage.system) / 1000, temporal, postgres, machineBusy: ((total - idle) * 1000) / CLK_TCK, machineTotal: (total * 1000) / CLK_TCK };
}

/** PostgreSQL's CPU between two samples, ms (its backends come and go: each counted from its first sample). */
export function postgresCpuMs(before: CpuSample, after: CpuSample): number {
  return [...after.postgres].reduce((sum, [pid, cpuMs]) => sum + cpuMs - (before.postgres.get(pid) ?? 0), 0);
}

/**
 * `node worker.ts` with the product's configuration (shared PostgreSQL and data folder), as production runs it;
 * `script` runs another entry point with the same environment (one that calls worker.ts's runWorkerProcess).
 */
export function startWorkerProcess(product: TestProduct, options: { script?: string; env?: Record<string, string>; stdio?: StdioOptions } = {}) {
  const c = product.config;
  return spawnProcess(process.execPath, [options.script ?? path.join(import.meta.dirname, '..', 'worker.ts')], {
    stdio: options.stdio ?? 'ignore',
    env: {
      ...process.env, DATA_DIR: c.dataDir, APP_SECRET: c.appSecret, API_PORT: String(c.api.port), LOG_LEVEL: 'warn',
      DATABASE_URL: c.database.kind === 'postgresql' ? c.database.url : '', TEMPORAL_ADDRESS: c.temporal.address,
      TEMPORAL_NAMESPACE: c.temporal.namespace, TEMPORAL_TASK_QUEUE: c.temporal.taskQueue,
      DAILY_API_KEY: c.daily.apiKey, DAILY_API_URL: c.daily.apiUrl, DAILY_WEBHOOK_SECRET: c.daily.webhookSecret,
      ...options.env,
    },
  });
}

/** An API process as production runs it (`node api/main.ts`, the product's configuration), once it answers /readyz. */
export async function startApiProcess(product: TestProduct, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startWorkerProcess(product, {
    script: path.join(import.meta.dirname, '..', 'api', 'main.ts'), env: { ...env, API_HOST: '127.0.0.1', API_PORT: String(port), PUBLIC_URL: url }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const deadline = Date.now() + 60_000; ; await sleep(250)) {
    if (child.exitCode !== null) throw new Error(`the API process exited (${child.exitCode})`);
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return { child, url };
    if (Date.now() > deadline) throw new Error('the API process did not answer /readyz within 60 s');
  }
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** This process's OpenTelemetry settings (OTEL_*), for a product the bench starts in-process (its config is built from
 * explicit settings, not from the environment); `npm run bench:observability` sets them for its "on" runs. */
export function tracingEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('OTEL_') && Boolean(entry[1])));
}
