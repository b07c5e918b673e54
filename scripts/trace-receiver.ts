// `npm run traces:receive [-- --port 4318]`: an OTLP/HTTP receiver on this machine for looking at the product's
// traces without a collector. Start it, then the product with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318;
// each trace is printed as a tree of its spans once no span of it has arrived for 3 s (again, with what came later,
// when more arrive: a meeting's own workflow span ends with the meeting). Ctrl-C stops it.
import { parseArgs } from 'node:util';
import { startOtlpReceiver, type ReceivedSpan } from '../test/support/otlp-receiver.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4318' }, host: { type: 'string', default: '127.0.0.1' } } });
const receiver = await startOtlpReceiver({ host: values.host, port: Number(values.port) });
console.log(`OTLP/HTTP traces receiver at ${receiver.url} (set OTEL_EXPORTER_OTLP_ENDPOINT=${receiver.url})`);

const QUIET_MS = 3000;
const printedCount = new Map<string, number>();
const lastArrival = new Map<string, number>();
let seen = 0;

function tree(spans: ReceivedSpan[]): string[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startTimeUnixNano - b.startTimeUnixNano)) {
      const ms = Math.round((span.endTimeUnixNano - span.startTimeUnixNano) / 1e6);
      const where = span.attributes.temporalWorkflowId ?? span.attributes['meeting.id'];
      lines.push(`${'  '.repeat(depth)}${span.name}  ${ms} ms${where ? `  (${where})` : ''}${span.parentSpanId && !ids.has(span.parentSpanId) ? '  [parent not received]' : ''}`);
      walk(span.spanId, depth + 1);
    }
  };
  walk('', 1);
  return lines;
}

const timer = setInterval(() => {
  const spans = receiver.spans;
  for (; seen < spans.length; seen++) lastArrival.set(spans[seen]!.traceId, Date.now());
  for (const [traceId, at] of lastArrival) {
    if (Date.now() - at < QUIET_MS) continue;
    const mine = spans.filter((s) => s.traceId === traceId);
    if (printedCount.get(traceId) === mine.length) continue;
    const again = printedCount.has(traceId);
    printedCount.set(traceId, mine.length);
    console.log(`\ntrace ${traceId}: ${mine.length} spans${again ? ' (again, with spans that came later)' : ''}`);
    for (const line of tree(mine)) console.log(line);
  }
}, 500);

const stop = () => {
  clearInterval(timer);
  void receiver.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
