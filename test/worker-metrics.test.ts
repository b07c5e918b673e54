// The worker process as production runs it (`node worker.ts`, PostgreSQL shared with the test's product) serves
// /metrics on METRICS_PORT: ours, and the Temporal SDK's own `temporal_*` metrics appended, one scrape; nothing else
// is served there; it stops with the process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { freePort } from './support/servers.ts';
import { metricFamily, metricValue, parseExposition } from './support/prometheus.ts';
import { startWorkerProcess } from '../scripts/bench-processes.ts';

let product: TestProduct;
let worker: ChildProcess | undefined;
before(async () => {
  product = await startTestProduct({ name: 'workermetrics', database: 'postgresql', worker: false });
});
after(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await product?.stop();
});

test("the worker process serves its metrics and the Temporal SDK's on METRICS_PORT", { timeout: 120_000 }, async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  worker = startWorkerProcess(product, { env: { WORKER_QUEUES: 'meetings', METRICS_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  let text = '';
  // The workflows are bundled first; the SDK reports its pollers once they poll.
  for (const deadline = Date.now() + 90_000; !/^temporal_num_pollers\{/m.test(text); await sleep(500)) {
    assert.equal(worker.exitCode, null, 'the worker process is running');
    assert.ok(Date.now() < deadline, `the worker's /metrics with the SDK's pollers within 90 s (last: ${text.slice(0, 200)})`);
    text = await fetch(url).then((r) => (r.ok ? r.text() : ''), () => '');
  }
  const families = await parseExposition(text);
  assert.ok(metricFamily(families, 'process_resident_memory_bytes'), 'prom-client: the process');
  assert.equal(metricFamily(families, 'webhook_applied_lag_seconds')?.type, 'HISTOGRAM', 'ours, named as in the API');
  assert.equal(metricValue(families, 'storage_written_bytes_total'), 0);
  assert.ok(metricValue(families, 'temporal_num_pollers', { task_queue: product.config.temporal.taskQueue }) >= 1, "the SDK's pollers of the meetings queue");
  assert.equal(metricFamily(families, 'meetings_open'), undefined, "the database's gauges are the API's");
  assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);

  // SIGTERM: the worker drains and exits, and its metrics port with it.
  const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));
  worker.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(await fetch(url).then(() => 'answered', () => 'closed'), 'closed');
});
