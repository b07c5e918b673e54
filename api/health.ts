// GET /healthz: database, Temporal and storage, each with its latency; 503 when any is down.
import { z } from 'zod';
import { checkDatabase } from '../db/orm.ts';
import { endpoint } from './endpoint.ts';
import { rules } from './access.ts';

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

export const healthEndpoints = [
  endpoint({
    method: 'get',
    path: '/healthz',
    summary: 'Health of the database, Temporal and storage',
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
  }),
];
