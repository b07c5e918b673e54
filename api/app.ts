// The Koa application: error shape, a request-scoped EntityManager, and the routers by resource.
import Koa, { type ParameterizedContext } from 'koa';
import type { EntityManager } from '@mikro-orm/sql';
import { errorMiddleware } from './errors.ts';
import { roomsRouter } from './rooms.ts';
import { meetingsRouter } from './meetings.ts';
import { healthRouter } from './health.ts';
import { webhooksRouter, type WebhookDispatcher } from './webhooks.ts';
import { transcriptsRouter } from './transcripts.ts';
import type { Services } from '../runtime/services.ts';
import type { Logger } from '../runtime/log.ts';

export interface Caller {
  userId: string;
}

export interface ApiState {
  services: Services;
  webhookDispatcher: WebhookDispatcher;
  em: EntityManager;
  caller: Caller;
}
export type ApiContext = ParameterizedContext<ApiState>;

export interface AppExtensions {
  webhookDispatcher: WebhookDispatcher;
  /** Extra routes mounted by the embedded mode (e.g. local storage links). */
  routes?: Array<(ctx: ApiContext, next: Koa.Next) => Promise<void>>;
}

export function createApp(services: Services, log: Logger, extensions: AppExtensions): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.proxy = false;
  app.use(errorMiddleware((message, fields) => log.error(message, fields)));
  app.use(async (ctx, next) => {
    ctx.state.services = services;
    ctx.state.webhookDispatcher = extensions.webhookDispatcher;
    ctx.state.em = services.db.em.fork() as EntityManager;
    // Until accounts land (issue #5), every caller acts as the one local user.
    ctx.state.caller = { userId: 'local' };
    await next();
  });
  for (const route of extensions.routes ?? []) app.use(route);
  for (const router of [healthRouter(), webhooksRouter(), roomsRouter(), meetingsRouter(), transcriptsRouter()]) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: false }));
  }
  return app;
}
