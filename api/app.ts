// The Koa application: error shape, security headers and CORS, a request-scoped EntityManager, and every
// endpoint from its declaration (api/endpoint.ts). Who may call what is declared per endpoint and decided in
// api/access.ts.
import Koa, { type ParameterizedContext } from 'koa';
import type { EntityManager } from '@mikro-orm/sql';
import type { ParsedUrlQuery } from 'node:querystring';
import { errorMiddleware, ApiError } from './errors.ts';
import { roomEndpoints } from './rooms.ts';
import { admissionEndpoints } from './admissions.ts';
import { meetingEndpoints } from './meetings.ts';
import { adminHealthEndpoints, healthEndpoints } from './health.ts';
import { webhookEndpoints } from './webhooks.ts';
import type { WebhookDispatcher } from '../meetings/dispatcher.ts';
import { transcriptEndpoints } from './transcripts.ts';
import { transcriptEventEndpoints } from './transcript-events.ts';
import { correctionEndpoints } from './corrections.ts';
import { searchEndpoints } from './search.ts';
import { accountEndpoints } from './accounts.ts';
import { webDavEndpoints } from './webdav.ts';
import { actionItemEndpoints } from './action-items.ts';
import { transcriptVersionEndpoints } from './transcript-versions.ts';
import { recordingEndpoints } from './recordings.ts';
import { openApiEndpoints } from './openapi.ts';
import { mountEndpoints, type Endpoint } from './endpoint.ts';
import { RateLimiter } from './rate-limits.ts';
import type { Caller } from '../auth/caller.ts';
import type { Services } from '../runtime/services.ts';
import type { Logger } from '../runtime/log.ts';

export type { Caller };

export interface ApiState {
  services: Services;
  webhookDispatcher: WebhookDispatcher;
  em: EntityManager;
  caller: Caller;
  /** The `?share=` public-link token of this request, if any (see api/access.ts). */
  shareLink?: string;
  queryWithoutShare?: ParsedUrlQuery;
  rateLimiter: RateLimiter;
}
export type ApiContext = ParameterizedContext<ApiState>;

/** Every endpoint of the API, in the order the OpenAPI document lists them. */
export const endpoints: readonly Endpoint[] = [
  ...healthEndpoints,
  ...adminHealthEndpoints,
  ...accountEndpoints,
  ...webDavEndpoints,
  ...actionItemEndpoints,
  ...transcriptVersionEndpoints,
  ...roomEndpoints,
  ...meetingEndpoints,
  ...admissionEndpoints,
  ...recordingEndpoints,
  ...transcriptEndpoints,
  ...transcriptEventEndpoints,
  ...correctionEndpoints,
  ...searchEndpoints,
  ...webhookEndpoints,
  ...openApiEndpoints,
];

export interface AppExtensions {
  webhookDispatcher: WebhookDispatcher;
  /** Extra routes mounted by the embedded mode (e.g. local storage links, the web app). */
  routes?: Array<(ctx: ApiContext, next: Koa.Next) => Promise<void>>;
  /** Extra endpoints (tests). */
  endpoints?: readonly Endpoint[];
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE']);

export function createApp(services: Services, log: Logger, extensions: AppExtensions): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.proxy = false;
  // What Koa reports outside the error middleware (a response body's stream failing). A client that goes away
  // mid-stream (a closed tab, an aborted download, a left transcript page's event stream) is no error of ours.
  app.on('error', (error: Error & { code?: string; status?: number; expose?: boolean }) => {
    if (error.status === 404 || error.expose || CLIENT_GONE.has(error.code ?? '')) return;
    log.error({ error: error.stack ?? String(error) }, 'response failed');
  });
  const rateLimiter = new RateLimiter({ login: services.config.auth.loginRateLimitPerMinute, public: services.config.auth.publicRateLimitPerMinute });
  const ownOrigin = new URL(services.config.api.publicUrl).origin;
  const allowedOrigins = new Set([ownOrigin, ...services.config.auth.webOrigins]);

  // With tracing on, every request is a span, the outermost (it sees the status the error middleware sets).
  if (services.tracing) app.use(services.tracing.requestSpans);
  app.use(securityHeaders);
  app.use(errorMiddleware(log));
  app.use(async (ctx, next) => {
    // CORS for the configured web origins only (credentials included); other origins get no CORS headers.
    const origin = ctx.get('origin');
    if (origin && ctx.path.startsWith('/v1/') && allowedOrigins.has(origin) && origin !== ownOrigin) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.vary('Origin');
      if (ctx.method === 'OPTIONS') {
        ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
        ctx.set('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-API-Key, Range');
        ctx.set('Access-Control-Max-Age', '600');
        ctx.status = 204;
        return;
      }
    }
    // A browser sending our session cookie from a page of another origin is refused (CSRF), whatever the method.
    // (Koa 3's ctx.origin is the Origin header itself: the request's own origin is built from its Host.)
    const requestOrigin = `${ctx.protocol}://${ctx.host}`;
    if (origin && UNSAFE_METHODS.has(ctx.method) && !allowedOrigins.has(origin) && origin !== requestOrigin && ctx.path.startsWith('/v1/') && !ctx.path.startsWith('/v1/webhooks/')) {
      throw new ApiError(403, 'origin_not_allowed', `Requests from ${origin} are not allowed; add it to WEB_ORIGINS`);
    }
    ctx.state.services = services;
    ctx.state.webhookDispatcher = extensions.webhookDispatcher;
    ctx.state.em = services.db.em.fork() as EntityManager;
    ctx.state.caller = { kind: 'anonymous' };
    ctx.state.rateLimiter = rateLimiter;
    await next();
  });
  for (const route of extensions.routes ?? []) app.use(route);
  mountEndpoints(app, [...endpoints, ...(extensions.endpoints ?? [])]);
  return app;
}

async function securityHeaders(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  if (ctx.path.startsWith('/v1/') || ['/healthz', '/readyz', '/metrics'].includes(ctx.path)) {
    // API answers are data, never pages: nothing in them may run, load or be framed.
    ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; sandbox");
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cache-Control', 'no-store');
  }
  await next();
}
