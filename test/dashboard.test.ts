// The committed dashboard (ops/grafana/dashboards/meeting-recorder.json) asks real questions. Debian's Prometheus
// runs the committed ops/prometheus/prometheus.yml (promtool checks it first), with this test's targets, scrape key
// and a 1 s interval: the product's API (scraped with an admin's API key as the bearer token) and a worker process
// (`node worker.ts`, METRICS_PORT) after a real meeting. Every query of every panel parses and runs; the panels a
// good meeting feeds answer with series; every metric a query names is one the targets expose.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { freePort } from './support/servers.ts';
import { speechTestEnv } from './support/speech.ts';
import { holdRecordedMeeting, sendForgedDailyWebhook } from './support/recorded-meeting.ts';
import { startWorkerProcess } from '../scripts/bench-processes.ts';

const root = path.resolve(import.meta.dirname, '..');
const PROMETHEUS_DIR = path.join(root, 'ops', 'prometheus');
const DASHBOARD = path.join(root, 'ops', 'grafana', 'dashboards', 'meeting-recorder.json');
const DATASOURCE = path.join(root, 'ops', 'grafana', 'provisioning', 'datasources', 'prometheus.yml');
// Debian's package (.ci/install); PROMETHEUS_PATH / PROMTOOL_PATH for another build.
// Temporal's Core SDK, shipped as source in @temporalio/core-bridge, names its metrics here; the counters it
// registers only at their first event (failures, evictions) are looked up in it.
const CORE_SDK_METRICS = path.join(root, 'node_modules', '@temporalio', 'core-bridge', 'sdk-core', 'crates', 'sdk-core', 'src', 'telemetry', 'metrics.rs');
const prometheusBin = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
const promtoolBin = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';

/**
 * Targets that may answer no series after one meeting that went well: nothing failed, no room has a webhook,
 * the platform never said 429. Each still has to parse and name metrics the targets expose.
 */
const MAY_ANSWER_NOTHING: Record<string, string> = {
  'Recordings failed or missing / A': 'no recording failed',
  'Transcripts in error / A': 'no transcript failed',
  'Speech recognition failures / A': 'no chunk failed',
  'Platform API calls by outcome / B': 'the simulator never answers 429 here',
  'Outgoing webhook deliveries / A': 'the room has no webhook',
  'Sticky cache / B': 'no workflow was evicted',
  'Workflow task and activity failures / A': 'no workflow task failed',
  'Workflow task and activity failures / B': 'no activity failed',
};

interface Target { refId: string; expr: string; datasource: { uid: string } }
interface Panel { type: string; title: string; datasource?: { uid: string }; targets?: Target[]; panels?: Panel[] }
interface PrometheusAnswer<T> { status: 'success' | 'error'; data: T; error?: string; errorType?: string }

let product: TestProduct;
let worker: ChildProcess | undefined;
let prometheus: ChildProcess | undefined;
const tempDirs: string[] = [];

before(async () => {
  product = await startTestProduct({ name: 'dashboard', database: 'postgresql', worker: false, env: { RECORDING_READY_TIMEOUT_SECONDS: '30' } });
});
after(async () => {
  for (const child of [prometheus, worker]) {
    if (!child || child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  }
  await product?.stop();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};

/** The committed Prometheus folder, copied with this key in secrets/api-key (the file the compose stack's operator writes). */
async function prometheusFolder(apiKey: string): Promise<string> {
  const dir = await tempDir('prometheus-config-');
  await cp(PROMETHEUS_DIR, dir, { recursive: true });
  await writeFile(path.join(dir, 'secrets', 'api-key'), `${apiKey}\n`, { mode: 0o600 });
  return dir;
}

async function prometheusApi<T>(url: string, apiPath: string, query: Record<string, string> = {}): Promise<PrometheusAnswer<T>> {
  const response = await fetch(`${url}${apiPath}?${new URLSearchParams(query)}`);
  return (await response.json()) as PrometheusAnswer<T>;
}

function dashboardTargets(panels: Panel[]): Array<{ panel: Panel; target: Target; name: string }> {
  return panels.flatMap((panel) => [
    ...(panel.targets ?? []).map((target) => ({ panel, target, name: `${panel.title} / ${target.refId}` })),
    ...dashboardTargets(panel.panels ?? []),
  ]);
}

/** Grafana's variables as Prometheus takes them: $__rate_interval over a 1 s scrape. */
const promql = (expr: string) => expr.replaceAll('$__rate_interval', '1m');

/**
 * The metric names a query selects: what is left of its identifiers without strings, label matchers, ranges,
 * grouping label lists, functions and keywords.
 */
function selectedMetrics(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset']);
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((name) => !keywords.has(name));
}

test("every query of the committed dashboard runs on Prometheus against the product's metrics after a meeting", { timeout: 240_000 }, async () => {
  for (const bin of [prometheusBin, promtoolBin]) await access(bin, constants.X_OK).catch(() => assert.fail(`${bin} not found: apt-get install prometheus (.ci/install)`));
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const targets = dashboardTargets(dashboard.panels);
  assert.ok(targets.length >= 20, `the dashboard has its queries (${targets.length})`);
  for (const key of Object.keys(MAY_ANSWER_NOTHING)) assert.ok(targets.some((t) => t.name === key), `${key} is a target of the dashboard`);
  // The uid the dashboard names is the one Grafana is provisioned with.
  const uids = [...(await readFile(DATASOURCE, 'utf8')).matchAll(/^\s+uid:\s*(\S+)\s*$/gm)].map((m) => m[1]);
  assert.deepEqual(uids, ['prometheus'], 'one provisioned datasource, uid prometheus');
  for (const { panel, target, name } of targets) {
    assert.equal(panel.datasource?.uid, 'prometheus', `${name}: the panel's datasource`);
    assert.equal(target.datasource.uid, 'prometheus', `${name}: the target's datasource`);
    assert.doesNotMatch(promql(target.expr), /\$/, `${name}: no Grafana variable left but $__rate_interval`);
    assert.ok(selectedMetrics(target.expr).length > 0, `${name}: selects a metric`);
  }

  // The committed configuration as it is, with the key file the operator writes: promtool accepts it.
  const apiKey = product.adminHeaders['x-api-key']!;
  const committed = await prometheusFolder(apiKey);
  await promisify(execFile)(promtoolBin, ['check', 'config', path.join(committed, 'prometheus.yml')]);

  // The worker as production runs it; the meeting's workflows and activities run there.
  const workerPort = await freePort();
  worker = startWorkerProcess(product, { env: { ...speechTestEnv(), WORKER_QUEUES: 'all', METRICS_PORT: String(workerPort) }, stdio: ['ignore', 'ignore', 'inherit'] });

  // The same folder with this test's targets and a 1 s scrape interval.
  const config = await prometheusFolder(apiKey);
  const configText = await readFile(path.join(config, 'prometheus.yml'), 'utf8');
  assert.equal(configText.match(/scrape_interval:/g)?.length, 1, 'one scrape interval, the global one');
  await writeFile(path.join(config, 'prometheus.yml'), configText.replace(/^(\s+scrape_interval:\s*)\S+$/m, (_, key: string) => `${key}1s`));
  await writeFile(path.join(config, 'targets', 'api.yml'), `- targets: ["${new URL(product.url).host}"]\n`);
  await writeFile(path.join(config, 'targets', 'worker.yml'), `- targets: ["127.0.0.1:${workerPort}"]\n`);
  await promisify(execFile)(promtoolBin, ['check', 'config', path.join(config, 'prometheus.yml')]);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const data = await tempDir('prometheus-data-');
  prometheus = spawn(prometheusBin, [
    `--config.file=${path.join(config, 'prometheus.yml')}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log = path.join(data, 'prometheus.log');
  prometheus.stderr!.pipe(createWriteStream(log));

  // Both targets up (the API's scrape authenticated) and the worker's SDK pollers scraped: the worker polls.
  type Targets = { activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> };
  for (const deadline = Date.now() + 90_000; ; await sleep(500)) {
    if (prometheus.exitCode !== null) assert.fail(`prometheus exited (${prometheus.exitCode}): ${await readFile(log, 'utf8')}`);
    assert.equal(worker.exitCode, null, 'the worker process runs');
    const active = (await prometheusApi<Targets>(url, '/api/v1/targets').catch(() => undefined))?.data.activeTargets ?? [];
    const pollers = active.length ? (await prometheusApi<{ result: unknown[] }>(url, '/api/v1/query', { query: 'temporal_num_pollers{job="worker"}' })).data.result : [];
    if (active.length === 2 && active.every((t) => t.health === 'up') && pollers.length > 0) break;
    assert.ok(Date.now() < deadline, `both targets up and the worker polling within 90 s (${active.map((t) => `${t.labels.job}: ${t.health} ${t.lastError}`).join('; ')})`);
  }

  await sendForgedDailyWebhook(product);
  await holdRecordedMeeting(product, 'dashboard-room');

  // Every query parses and runs; those the meeting fed answer with series once a scrape after it is in.
  const answers = new Map<string, number>();
  for (const deadline = Date.now() + 20_000; ; await sleep(1000)) {
    for (const { target, name } of targets) {
      const answer = await prometheusApi<{ result: unknown[] }>(url, '/api/v1/query', { query: promql(target.expr) });
      assert.equal(answer.status, 'success', `${name}: ${answer.errorType}: ${answer.error} (${target.expr})`);
      answers.set(name, answer.data.result.length);
    }
    const empty = targets.filter(({ name }) => answers.get(name) === 0 && !(name in MAY_ANSWER_NOTHING)).map(({ name }) => name);
    if (empty.length === 0) break;
    assert.ok(Date.now() < deadline, `these panels answered no series after the meeting: ${empty.join('; ')}`);
  }

  // A misspelt metric in a query that may answer nothing still fails: every name selected is one a target exposes.
  const metadata = (await prometheusApi<Record<string, Array<{ type: string }>>>(url, '/api/v1/metadata')).data;
  const coreSdkMetrics = await readFile(CORE_SDK_METRICS, 'utf8');
  const exposed = (name: string) => {
    if (metadata[name]) return true;
    const family = name.replace(/_(bucket|count|sum)$/, '');
    if (family !== name && metadata[family]?.some((m) => m.type === 'histogram')) return true;
    // temporal_<name>_total: a Core counter not yet counted (the exporter adds the prefix and the suffix).
    return /^temporal_\w+_total$/.test(name) && coreSdkMetrics.includes(`"${name.slice('temporal_'.length, -'_total'.length)}"`);
  };
  for (const { target, name } of targets) {
    for (const metric of selectedMetrics(target.expr)) assert.ok(exposed(metric), `${name}: ${metric} is exposed by the API or the worker (or named by Temporal's Core SDK)`);
  }
});
