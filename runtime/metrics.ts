// The product's metrics in Prometheus' format (prom-client), written once for every process: the API counts the
// webhooks it answers, the worker's activities what they hear and write, and the database's gauges are read when
// scraped. Names carry their unit, labels are bounded sets (platform, outcome, engine, kind, status: never a
// meeting's or a recording's id). Each process serves them at /metrics: the API on its port (admins, or an API key
// of one), the worker process on METRICS_PORT; the Temporal SDK's own metrics (`temporal_*`) are appended where
// this process runs a worker.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const registers = [registry];

export const metrics = {
  webhooksReceived: new Counter({
    name: 'webhooks_received_total',
    help: "Platform webhooks answered, by platform and outcome (recorded, duplicate, ignored, handshake, or the refusal's code)",
    labelNames: ['platform', 'outcome'] as const,
    registers,
  }),
  webhookResponseSeconds: new Histogram({
    name: 'webhook_response_seconds',
    help: 'Time from a webhook request to its answer (verified and recorded)',
    labelNames: ['platform'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  }),
  webhookAppliedLagSeconds: new Histogram({
    name: 'webhook_applied_lag_seconds',
    help: "Time from a participant webhook's arrival to its application by the meeting's workflow (its session's row written)",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  }),
  speechRealtimeRatio: new Histogram({
    name: 'speech_recognition_realtime_ratio',
    help: 'Seconds of recognition per second of audio, per chunk, by engine (below 1: faster than real time)',
    labelNames: ['engine'] as const,
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 4],
    registers,
  }),
  speechAudioSeconds: new Counter({ name: 'speech_recognized_audio_seconds_total', help: 'Seconds of audio recognized, by engine', labelNames: ['engine'] as const, registers }),
  speechFailures: new Counter({
    name: 'speech_recognition_failures_total',
    help: 'Recognitions of a chunk that failed, by engine and whether trying again can help',
    labelNames: ['engine', 'retryable'] as const,
    registers,
  }),
  transcriptSecondsPerAudioMinute: new Histogram({
    name: 'transcript_processing_seconds_per_audio_minute',
    help: "A recording's pipeline, from its run's start to its transcript's end, per minute of its audio, by recording kind",
    labelNames: ['kind'] as const,
    buckets: [5, 10, 15, 20, 30, 45, 60, 90, 120, 300],
    registers,
  }),
  platformApiRequests: new Counter({
    name: 'platform_api_requests_total',
    help: "Calls to a video platform's API through the seam, by platform, operation and outcome (ok, rate_limited, client_error, server_error, failed)",
    labelNames: ['platform', 'operation', 'outcome'] as const,
    registers,
  }),
  storageWrittenBytes: new Counter({ name: 'storage_written_bytes_total', help: "Bytes this process wrote to the product's storage", registers }),
  outgoingDeliveries: new Counter({
    name: 'outgoing_webhook_deliveries_total',
    help: "Outgoing webhook deliveries to rooms' URLs, by outcome (delivered, refused: a 4xx, failed: no answer or a 5xx)",
    labelNames: ['outcome'] as const,
    registers,
  }),
};

/** Counts of what the database holds, read when scraped (the API registers them; a worker process has no need). */
export function registerDatabaseGauges(read: () => Promise<{ meetingsOpen: number; recordings: Array<{ kind: string; status: string; count: number }>; transcripts: Array<{ status: string; count: number }> }>): void {
  let pending: ReturnType<typeof read> | undefined;
  // One read per scrape, however many gauges ask.
  const snapshot = () => (pending ??= read().finally(() => setTimeout(() => (pending = undefined), 1000).unref()));
  if (registry.getSingleMetric('meetings_open')) return;
  new Gauge({
    name: 'meetings_open', help: 'Meetings not yet ended', registers,
    async collect() { this.set((await snapshot()).meetingsOpen); },
  });
  new Gauge({
    name: 'recordings', help: 'Recordings, by kind and status', labelNames: ['kind', 'status'] as const, registers,
    async collect() {
      this.reset();
      for (const { kind, status, count } of (await snapshot()).recordings) this.set({ kind, status }, count);
    },
  });
  new Gauge({
    name: 'transcripts', help: 'Transcripts, by status', labelNames: ['status'] as const, registers,
    async collect() {
      this.reset();
      for (const { status, count } of (await snapshot()).transcripts) this.set({ status }, count);
    },
  });
}

/** Where this process's Temporal worker runtime serves the SDK's own metrics, once installed with them. */
let sdkMetricsUrl: string | undefined;
export const setSdkMetricsUrl = (url: string) => void (sdkMetricsUrl = url);

/** The exposition text of this process: ours, then the Temporal SDK's when this process runs a worker. */
export async function exposition(): Promise<{ contentType: string; text: string }> {
  const ours = await registry.metrics();
  const sdk = sdkMetricsUrl ? await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.text() : ''), () => '') : '';
  return { contentType: registry.contentType, text: sdk ? `${ours}\n${sdk}` : ours };
}

/**
 * The worker process's /metrics on METRICS_HOST:METRICS_PORT (loopback unless said otherwise: it answers anyone who
 * reaches it, so open it only to the scraper's network). Nothing else is served there.
 */
export async function serveMetrics(host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'Only GET /metrics is served here' } }));
      return;
    }
    exposition().then(
      ({ contentType, text }) => response.writeHead(200, { 'content-type': contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'metrics_failed', message: (error as Error).message } })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
