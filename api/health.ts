// What operators ask of a process: GET /healthz (liveness: the process answers), GET /readyz (readiness: database,
// Temporal and storage, each with its latency; 503 when any is down), and GET /metrics (this process's metrics in
// Prometheus' format, runtime/metrics.ts).
import { z } from 'zod';
import { checkDatabase } from '../db/orm.ts';
import { endpoint } from './endpoint.ts';
import { rules } from './access.ts';
import { exposition, registerDatabaseGauges } from '../runtime/metrics.ts';
import type { Services } from '../runtime/services.ts';
import { healthReport } from '../operations/health-report.ts';

async function timed(check: () => Promise<unknown>): Promise<{ ok: boolean; ms: number; error?: string }> {
  const started = performance.now();
  try {
    await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 3 s')), 3000).unref())]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: (error as Error).message.split('\n')[0] };
  }
}

const check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });

const readiness = endpoint({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: the database, Temporal and storage answer (503 until they do), each with its latency',
  tag: 'health',
  access: rules.public,
  responses: {
    200: { description: 'Everything answers', schema: z.object({ status: z.enum(['ok', 'degraded']), checks: z.record(z.string(), check.extend({}).loose()) }) },
    503: { description: 'Something is down (same body, status "degraded")' },
  },
  async handler(ctx) {
    const { services } = ctx.state;
    const [database, temporal, storage] = await Promise.all([
      timed(() => checkDatabase(services.db)),
      timed(() => services.temporal.workflowService.getSystemInfo({})),
      timed(() => services.storage.check()),
    ]);
    const ok = database.ok && temporal.ok && storage.ok;
    ctx.status = ok ? 200 : 503;
    ctx.body = {
      status: ok ? 'ok' : 'degraded',
      checks: {
        database: { ...database, kind: services.config.database.kind },
        temporal: { ...temporal, address: services.config.temporal.address, namespace: services.config.temporal.namespace },
        storage: { ...storage, kind: services.storage.kind },
      },
    };
  },
});

export const healthEndpoints = [
  // A liveness probe restarts a process that no longer answers: it must not fail because the database is away
  // (restarting would not bring it back). Readiness, which takes the process out of a load balancer, does.
  endpoint({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers (its dependencies are /readyz)',
    tag: 'health',
    access: rules.public,
    responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok'), uptimeSeconds: z.number() }) } },
    async handler(ctx) {
      ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
    },
  }),
  readiness,
  endpoint({
    method: 'get',
    path: '/metrics',
    summary: "This process's metrics in Prometheus' text format: webhooks, lag, recordings, pipeline, speech, storage, deliveries (and the Temporal SDK's where a worker runs here)",
    description: 'Scrape it with an admin\'s API key as the bearer token (Prometheus: `authorization: {credentials_file: ...}`, as ops/prometheus/prometheus.yml does). Labels are bounded sets: platform, outcome, engine, kind, status.',
    tag: 'health',
    access: rules.admin,
    responses: { 200: { description: 'The exposition text', contentType: 'text/plain' } },
    async handler(ctx) {
      const { contentType, text } = await exposition();
      ctx.type = contentType;
      ctx.body = text;
    },
  }),
];

/** The gauges read from the database at each scrape of this API process: open meetings, recordings, transcripts. */
export function registerApiGauges(services: Pick<Services, 'db'>): void {
  registerDatabaseGauges(async () => {
    const connection = services.db.em.getConnection();
    const [open] = await connection.execute<Array<{ count: string | number }>>('select count(*) as count from meeting where ended_at is null');
    const recordings = await connection.execute<Array<{ kind: string; status: string; count: string | number }>>('select type as kind, status, count(*) as count from recording group by type, status');
    const transcripts = await connection.execute<Array<{ status: string; count: string | number }>>('select status, count(*) as count from transcript group by status');
    return {
      meetingsOpen: Number(open?.count ?? 0),
      recordings: recordings.map((r: { kind: string; status: string; count: string | number }) => ({ kind: r.kind, status: r.status, count: Number(r.count) })),
      transcripts: transcripts.map((t: { status: string; count: string | number }) => ({ status: t.status, count: Number(t.count) })),
    };
  });
}

export const adminHealthEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/admin/health',
    summary: 'What an operator must look at: recordings stuck past their timeouts, transcripts that stopped moving, and the recordings, transcripts and copies that failed in the last 7 days',
    description: 'A recording pending or recording longer than RECORDING_MAX_DURATION_SECONDS plus RECORDING_READY_TIMEOUT_SECONDS after its start is stuck; a transcript processing with no progress for 30 minutes has stalled. Each list holds at most 50 items, newest first, and the count of all.',
    tag: 'health',
    access: rules.admin,
    responses: { 200: { description: 'The report', schema: z.object({ generatedAt: z.string(), healthy: z.boolean() }).loose() } },
    async handler(ctx) {
      const { meetings } = ctx.state.services.config;
      ctx.body = await healthReport(ctx.state.services.db, { recordingStuckAfterSeconds: meetings.recordingMaxDurationSeconds + meetings.recordingReadyTimeoutSeconds });
    },
  }),
];
