// The worker process of `npm run bench:scale`: worker.ts's own process (same config, queues and options),
// with the SDK's runtime exporting its metrics (sticky cache, workflow task latencies) for Prometheus at
// BENCH_METRICS_ADDRESS. First it prints its sticky cache size on stdout: WORKER_MAX_CACHED_WORKFLOWS, or when
// unset the SDK's default, which this computes as @temporalio/worker 1.x does (from the V8 heap limit).
import v8 from 'node:v8';
import { runWorkerProcess } from '../worker.ts';

const bindAddress = process.env.BENCH_METRICS_ADDRESS;
if (!bindAddress) throw new Error('BENCH_METRICS_ADDRESS (host:port for the Prometheus endpoint) is required');
const heapLimitMiB = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
// worker-options.js, reuseV8Context (the default): max(floor(max(heap MiB - 200, 0) × 600 / 1024), 10).
const maxCachedWorkflows = Number(process.env.WORKER_MAX_CACHED_WORKFLOWS) || Math.max(Math.floor((Math.max(heapLimitMiB - 200, 0) * 600) / 1024), 10);
process.stdout.write(`${JSON.stringify({ heapLimitMiB: Math.round(heapLimitMiB), maxCachedWorkflows })}\n`);
await runWorkerProcess({ metrics: { prometheus: { bindAddress } } });
