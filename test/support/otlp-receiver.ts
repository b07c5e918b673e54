// An OTLP/HTTP traces receiver in memory, as a collector receives them (`POST /v1/traces`, the JSON encoding the
// OpenTelemetry exporter sends), answering as OTLP says (200 with an empty partial-success object).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: number;
  endTimeUnixNano: number;
  service: string;
  attributes: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  url: string;
  spans: ReceivedSpan[];
  /** The span's ancestors, nearest first (as far as they were received). */
  ancestors(span: ReceivedSpan): ReceivedSpan[];
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
interface ExportRequest {
  resourceSpans: Array<{
    resource?: { attributes?: Array<{ key: string; value: AnyValue }> };
    scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string | number; endTimeUnixNano: string | number; attributes?: Array<{ key: string; value: AnyValue }> }> }>;
  }>;
}

const valueOf = (v: AnyValue) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.doubleValue ?? v.boolValue ?? '');
const attributesOf = (list: Array<{ key: string; value: AnyValue }> = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** On a free loopback port unless told (`npm run traces:receive` listens on OTLP/HTTP's 4318). */
export async function startOtlpReceiver(listen: { host?: string; port?: number } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !req.headers['content-type']?.startsWith('application/json')) {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest;
      for (const resourceSpans of body.resourceSpans) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
        for (const scope of resourceSpans.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({ traceId: span.traceId, spanId: span.spanId, ...(span.parentSpanId && { parentSpanId: span.parentSpanId }), name: span.name, kind: span.kind, startTimeUnixNano: Number(span.startTimeUnixNano), endTimeUnixNano: Number(span.endTimeUnixNano), service, attributes: attributesOf(span.attributes) });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, host, resolve);
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    spans,
    ancestors(span) {
      const chain: ReceivedSpan[] = [];
      for (let at = span; at.parentSpanId; ) {
        const parent = spans.find((s) => s.spanId === at.parentSpanId && s.traceId === at.traceId);
        if (!parent) break;
        chain.push(parent);
        at = parent;
      }
      return chain;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
