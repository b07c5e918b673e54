// GET /healthz: database, Temporal and storage, each with its latency; 503 when any is down.
import Router from '@koa/router';
import { checkDatabase } from '../db/orm.ts';
import type { ApiState } from './app.ts';

async function timed(check: () => Promise<unknown>): Promise<{ ok: boolean; ms: number; error?: string }> {
  const started = performance.now();
  try {
    await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 3 s')), 3000).unref())]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: (error as Error).message.split('\n')[0] };
  }
}

export function healthRouter() {
  const router = new Router<ApiState>();
  router.get('/healthz', async (ctx) => {
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
  });
  return router;
}
