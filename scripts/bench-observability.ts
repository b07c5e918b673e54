// `npm run bench:observability`: what tracing costs, side by side in one run. The same two benches run with tracing
// off and on, alternating (off, on, off, on … so drift of a shared machine lands on both): `bench:webhooks
// --only-saturation` (the endpoint at saturation, closed loop, PostgreSQL, API and worker in one process) and
// `bench:pipeline --cases <case>` (webhook → transcript ended; the worker in its own process). "On" is
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver in this process (test/support/otlp-receiver.ts),
// so every span is serialised and sent as with a collector. Metrics (prom-client) are on in both: they are not
// switchable, so their own cost is inside both figures. Each bench is a process of its own per run (tracing is
// installed once per process). Figures: the median of each side; the goal is a cost ≤ 5%.
// Usage: npm run bench:observability [-- --rounds 2 --pipeline-case stand-in:2x10 --no-doc]
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startOtlpReceiver } from '../test/support/otlp-receiver.ts';
import { appendBenchmarkSection, machineDescription } from './benchmarks-doc.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    'pipeline-case': { type: 'string', default: 'stand-in:2x10' },
    'closed-seconds': { type: 'string', default: '10' },
    'no-doc': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got "${values.rounds}"`);
const command = `npm run bench:observability${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

interface WebhookFigures { answeredPerSecond: number; p50Ms: number; p99Ms: number; failed: number; productCpuPercent: number }
interface PipelineFigures { pipelineSeconds: number; productCpuSeconds: number }
type Side = 'off' | 'on';

const receiver = await startOtlpReceiver();
const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-observability-'));
const started = performance.now();
const loadAtStart = os.loadavg();

function run(script: string, args: string[], side: Side): Promise<void> {
  const env = { ...process.env };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (side === 'on') Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'meeting-recorder-bench' });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, script), ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} ${args.join(' ')} (tracing ${side}) exited ${code}`))));
  });
}

const webhooks: Record<Side, WebhookFigures[]> = { off: [], on: [] };
const pipeline: Record<Side, PipelineFigures[]> = { off: [], on: [] };
const spans: Record<Side, number> = { off: 0, on: 0 };
try {
  for (let round = 0; round < rounds; round++) {
    for (const side of ['off', 'on'] as const) {
      const before = receiver.spans.length;
      const webhookJson = path.join(dir, `webhooks-${side}-${round}.json`);
      console.log(`\n== round ${round + 1}, tracing ${side}: bench:webhooks --only-saturation`);
      await run('bench-webhooks.ts', ['--only-saturation', '--no-pglite', '--no-doc', '--closed-seconds', values['closed-seconds'], '--json', webhookJson], side);
      webhooks[side].push(JSON.parse(await readFile(webhookJson, 'utf8')) as WebhookFigures);
      const pipelineJson = path.join(dir, `pipeline-${side}-${round}.json`);
      console.log(`\n== round ${round + 1}, tracing ${side}: bench:pipeline --cases ${values['pipeline-case']}`);
      await run('bench-pipeline.ts', ['--cases', values['pipeline-case'], '--no-doc', '--json', pipelineJson], side);
      pipeline[side].push((JSON.parse(await readFile(pipelineJson, 'utf8')) as PipelineFigures[])[0]!);
      spans[side] += receiver.spans.length - before;
      receiver.spans.splice(0); // counted; not kept
    }
  }
} finally {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const list = (xs: number[], digits: number) => xs.map((x) => x.toFixed(digits)).join(', ');
const throughput = { off: median(webhooks.off.map((w) => w.answeredPerSecond)), on: median(webhooks.on.map((w) => w.answeredPerSecond)) };
const seconds = { off: median(pipeline.off.map((p) => p.pipelineSeconds)), on: median(pipeline.on.map((p) => p.pipelineSeconds)) };
const throughputCost = 1 - throughput.on / throughput.off;
const pipelineCost = seconds.on / seconds.off - 1;
const verdict = (cost: number) => (cost <= 0.05 ? 'met' : '**missed**');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const table = [
  '| Measure | Tracing off (each run) | Tracing on (each run) | Cost of tracing (medians) | Goal ≤ 5% |',
  '|---|---|---|---|---|',
  `| Webhooks answered/s at saturation (closed loop, 32 in flight) | ${throughput.off.toFixed(0)} (${list(webhooks.off.map((w) => w.answeredPerSecond), 0)}) | ${throughput.on.toFixed(0)} (${list(webhooks.on.map((w) => w.answeredPerSecond), 0)}) | ${pct(throughputCost)} | ${verdict(throughputCost)} |`,
  `| Webhook answer p50 / p99 ms at saturation | ${median(webhooks.off.map((w) => w.p50Ms)).toFixed(0)} / ${median(webhooks.off.map((w) => w.p99Ms)).toFixed(0)} | ${median(webhooks.on.map((w) => w.p50Ms)).toFixed(0)} / ${median(webhooks.on.map((w) => w.p99Ms)).toFixed(0)} | | |`,
  `| Product process CPU, % of a core, at saturation | ${median(webhooks.off.map((w) => w.productCpuPercent)).toFixed(0)} | ${median(webhooks.on.map((w) => w.productCpuPercent)).toFixed(0)} | | |`,
  `| Pipeline ${values['pipeline-case']}: webhook → ended, s | ${seconds.off.toFixed(1)} (${list(pipeline.off.map((p) => p.pipelineSeconds), 1)}) | ${seconds.on.toFixed(1)} (${list(pipeline.on.map((p) => p.pipelineSeconds), 1)}) | ${pct(pipelineCost)} | ${verdict(pipelineCost)} |`,
  `| Pipeline: CPU s of the worker, its children and the bench process | ${median(pipeline.off.map((p) => p.productCpuSeconds)).toFixed(1)} | ${median(pipeline.on.map((p) => p.productCpuSeconds)).toFixed(1)} | | |`,
  `| Spans received by the OTLP receiver | ${spans.off} | ${spans.on} | | |`,
].join('\n');
const total = (performance.now() - started) / 1000;
const bullets = [
  `- **Tracing's cost on webhook throughput at saturation: ${pct(throughputCost)} (goal ≤ 5%: ${verdict(throughputCost)})**: ${throughput.on.toFixed(0)}/s on against ${throughput.off.toFixed(0)}/s off (medians of ${rounds}).`,
  `- **Tracing's cost on the pipeline (${values['pipeline-case']}): ${pct(pipelineCost)} (goal ≤ 5%: ${verdict(pipelineCost)})**: ${seconds.on.toFixed(1)} s on against ${seconds.off.toFixed(1)} s off.`,
  `- Load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end.`,
].join('\n');
console.log(`\n${table}\n\n${bullets}\n\nbench took ${total.toFixed(0)} s`);
if (!values['no-doc']) {
  await appendBenchmarkSection('Observability cost: tracing on and off', [
    `- Command: \`${command}\` (${total.toFixed(0)} s)`,
    `- Machine: ${machineDescription()}.`,
    '- Setup: each run is its own process with its own Temporal dev server and PostgreSQL (127.0.0.1), tracing off and on alternating, `rounds` times:',
    '  `bench:webhooks --only-saturation --no-pglite` (20 meetings, the API and the worker in the bench process, signed Daily `participant.joined` webhooks',
    `  closed loop with 32 in flight for ${values['closed-seconds']} s after a warm-up) and \`bench:pipeline --cases ${values['pipeline-case']}\` (the worker in its own process).`,
    '  "On": OTEL_EXPORTER_OTLP_ENDPOINT at an OTLP/HTTP receiver in the wrapper process (every span serialised as JSON and sent, batched each second).',
    '  Metrics are on in both (prom-client; not switchable), so this measures tracing on top of metrics.',
    '',
    table,
    '',
    bullets,
    '',
  ]);
}
process.exit(0);
