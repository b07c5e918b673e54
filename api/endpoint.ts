// One declaration per endpoint: method, path, who may call it (an access rule), the schemas of its input and
// output, its body limit and rate limit, and its handler. The same list mounts the routes, produces the
// OpenAPI document (api/openapi.ts) and drives the authorization matrix test — so an endpoint cannot exist
// without a declared rule, and its documented input is the input it actually parses.
import Router from '@koa/router';
import type { z } from 'zod';
import type Koa from 'koa';
import { identify } from '../auth/caller.ts';
import { checkDoor, type AccessRule } from './access.ts';
import { ApiError, parseInput } from './errors.ts';
import { readJsonBody } from './body.ts';
import type { RateLimitName } from './rate-limits.ts';
import type { ApiContext, ApiState } from './app.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json when a schema is given. */
  contentType?: string;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export interface EndpointSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** Koa style, e.g. `/v1/rooms/:name`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: AccessRule;
  params?: P;
  query?: Q;
  /** A JSON body, parsed and validated before the handler runs. */
  body?: B;
  /** A body the handler reads itself (webhooks verify the exact bytes): documented only. */
  rawBody?: { contentType: string; description: string };
  /** Bytes; default 64 KiB. */
  bodyLimit?: number;
  rateLimit?: RateLimitName;
  responses: Record<number, ResponseSpec>;
  handler(ctx: ApiContext, input: { params: Infer<P> extends undefined ? Record<string, string> : Infer<P>; query: Infer<Q>; body: Infer<B> }): Promise<void>;
}

export type Endpoint = EndpointSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;

export function endpoint<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  spec: EndpointSpec<P, Q, B>,
): Endpoint {
  return spec as unknown as Endpoint;
}

/** The request's `?share=` public-link token: taken out of the query before the endpoint's schema sees it. */
function takeShareLink(ctx: ApiContext): string | undefined {
  const { share, ...rest } = ctx.query;
  if (share === undefined) return undefined;
  ctx.state.queryWithoutShare = rest;
  return typeof share === 'string' && share.length <= 256 ? share : '';
}

/** Who is asking, per the endpoint's rule: a refused credential is a 401 except where none is needed. */
async function identifyCaller(ctx: ApiContext, rule: AccessRule): Promise<void> {
  const { services } = ctx.state;
  const result = await identify(
    { headers: ctx.headers, cookies: ctx.cookies },
    {
      em: ctx.state.em,
      sessions: { publicUrl: services.config.api.publicUrl, idleTimeoutSeconds: services.config.auth.sessionIdleSeconds },
      appSecret: services.config.appSecret,
      oidc: services.oidc,
      oidcLinkVerifiedEmail: services.config.auth.oidc?.linkVerifiedEmail ?? false,
    },
  );
  if (result.ok) {
    ctx.state.caller = result.caller;
    if (result.setCookie) ctx.append('Set-Cookie', result.setCookie);
    return;
  }
  const { failure } = result;
  if (failure.clearCookie) ctx.append('Set-Cookie', failure.clearCookie);
  // Public endpoints (sign-in, health, webhooks) work whatever stale credential the browser still sends.
  if (rule.credentialIgnored && failure.status === 401) {
    ctx.state.caller = { kind: 'anonymous' };
    return;
  }
  if (failure.status === 401) ctx.set('WWW-Authenticate', `Bearer error="invalid_token"`);
  throw new ApiError(failure.status, failure.code, failure.message);
}

export function mountEndpoints(app: Koa<ApiState>, endpoints: readonly Endpoint[]): void {
  const router = new Router<ApiState>();
  for (const spec of endpoints) {
    router[spec.method](spec.path, async (ctx) => {
      if (spec.rateLimit === 'login') ctx.state.rateLimiter.check(ctx, 'login');
      ctx.state.shareLink = takeShareLink(ctx);
      await identifyCaller(ctx, spec.access);
      if (spec.rateLimit === 'public' && ctx.state.caller.kind !== 'user') ctx.state.rateLimiter.check(ctx, 'public');
      checkDoor(spec.access, ctx.state.caller, ctx.state.shareLink);
      const params = spec.params ? parseInput(spec.params, ctx.params, 'path') : ctx.params;
      const query = spec.query ? parseInput(spec.query, ctx.state.queryWithoutShare ?? ctx.query, 'query') : undefined;
      const body = spec.body ? parseInput(spec.body, await readJsonBody(ctx, spec.bodyLimit)) : undefined;
      await spec.handler(ctx, { params, query, body } as never);
    });
  }
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
}
