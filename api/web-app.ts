// The browser client (web/, built into web/dist by Vite) served by the API's own origin: its files, and
// index.html for every other page path (the app routes in the browser). In the embedded mode it also
// forwards /_sim/* to the Daily simulator's control API, and /_sim/livekit/*, /_sim/100ms/* and /_sim/whereby/* to
// what participants do at the LiveKit, 100ms and Whereby simulators, so the room page can run a simulated call on
// the same origin, and answers /app-config.json saying how the page holds each platform's calls.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Next } from 'koa';
import type { ApiContext } from './app.ts';
import type { Config } from '../runtime/config.ts';

export interface WebAppOptions {
  /** The built app (index.html and assets/). */
  distDir: string;
  /** Per platform run here: its simulator's control API (`http://127.0.0.1:8090/_sim`) when the page drives it, else null. */
  calls: Config['web']['calls'];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};
/** Paths that belong to the API, never to the app. */
const API_PATH = /^\/(v1|healthz|readyz|metrics)(\/|$)/;
const MAX_SIM_BODY = 50 * 1024 * 1024;
const DAILY_SIM_PATH = '/_sim';
/**
 * The simulators whose control API the page reaches only in part: what their participants' client would do (who is
 * in the room, join, speak, leave); the rest (faults, the clock, webhooks) is not the page's to reach. Each answers
 * a refused route in its platform's error shape.
 */
const PAGE_SIMULATORS = {
  livekit: {
    name: 'LiveKit', path: '/_sim/livekit', refused: (message: string) => ({ code: 'bad_route', msg: message }),
    routes: [['GET', /^\/state$/], ['POST', /^\/rooms\/[^/]+\/join$/], ['POST', /^\/participants\/[^/]+\/(say|leave)$/]],
  },
  '100ms': {
    name: '100ms', path: '/_sim/100ms', refused: (message: string) => ({ code: 404, message }),
    routes: [['GET', /^\/state$/], ['POST', /^\/rooms\/[^/]+\/join$/], ['POST', /^\/peers\/[^/]+\/(say|leave)$/]],
  },
  whereby: {
    name: 'Whereby', path: '/_sim/whereby', refused: (message: string) => ({ error: message }),
    routes: [['GET', /^\/state$/], ['POST', /^\/join$/], ['POST', /^\/participants\/[^/]+\/(say|leave)$/]],
  },
} as const satisfies Record<string, { name: string; path: string; refused: (message: string) => unknown; routes: ReadonlyArray<readonly [string, RegExp]> }>;

// The page loads its scripts and styles from here, talks to this origin (and the simulators through it),
// plays media from here or signed storage links, frames Daily Prebuilt (https) for real Daily calls, and
// connects livekit-client to LiveKit (its signalling WebSocket, and its HTTP check when that fails).
function pageCsp(calls: Config['web']['calls']): string {
  const liveKit = calls.livekit && !calls.livekit.simulatorControlUrl ? liveKitOrigins(calls.livekit.clientUrl) : [];
  return [
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
    "media-src 'self' blob: https:", ["connect-src 'self' https:", ...liveKit].join(' '), 'frame-src https:', "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self' https:",
  ].join('; ');
}

/** LiveKit's URL as a WebSocket and as HTTP; LiveKit Cloud's projects also hand livekit-client regional hosts. */
function liveKitOrigins(clientUrl: string): string[] {
  const url = new URL(clientUrl);
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const origins = [`${secure ? 'wss' : 'ws'}://${url.host}`, `${secure ? 'https' : 'http'}://${url.host}`];
  if (url.hostname.endsWith('.livekit.cloud')) origins.push('wss://*.livekit.cloud');
  return origins;
}

export function webAppRoute(options: WebAppOptions) {
  const root = path.resolve(options.distDir);
  const csp = pageCsp(options.calls);
  const { daily } = options.calls;
  // Every one of them, run here or not (a path of one not run here is nobody's: never the Daily simulator's).
  const pageSimulators = (Object.keys(PAGE_SIMULATORS) as Array<keyof typeof PAGE_SIMULATORS>)
    .map((platform) => ({ platform, ...PAGE_SIMULATORS[platform], runs: Boolean(options.calls[platform]), controlUrl: options.calls[platform]?.simulatorControlUrl ?? null }));
  // What the page reads first: per platform run here, where its simulator is on this origin (null: the platform's own client).
  const appConfig = {
    calls: {
      ...(daily && { daily: { simulatorControlPath: daily.simulatorControlUrl ? DAILY_SIM_PATH : null } }),
      ...Object.fromEntries(pageSimulators.filter((sim) => sim.runs).map((sim) => [sim.platform, { simulatorControlPath: sim.controlUrl ? sim.path : null }])),
    },
  };
  return async function webApp(ctx: ApiContext, next: Next): Promise<void> {
    if (API_PATH.test(ctx.path)) return next();
    const pageSimulator = pageSimulators.find((sim) => ctx.path === sim.path || ctx.path.startsWith(`${sim.path}/`));
    if (pageSimulator) {
      if (!pageSimulator.controlUrl) return next();
      const route = ctx.path.slice(pageSimulator.path.length);
      if (!pageSimulator.routes.some(([method, pattern]) => method === ctx.method && pattern.test(route))) {
        ctx.status = 404;
        ctx.body = pageSimulator.refused(`${ctx.method} ${ctx.path} is not open to the page`);
        return;
      }
      return forwardToSimulator(ctx, { name: pageSimulator.name, controlUrl: pageSimulator.controlUrl, route });
    }
    if (ctx.path === DAILY_SIM_PATH || ctx.path.startsWith(`${DAILY_SIM_PATH}/`)) {
      if (!daily?.simulatorControlUrl) return next();
      return forwardToSimulator(ctx, { name: 'Daily', controlUrl: daily.simulatorControlUrl, route: ctx.path.slice(DAILY_SIM_PATH.length) });
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/app-config.json') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = appConfig;
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(ctx.path);
    } catch {
      return next();
    }
    const file = path.join(root, relative);
    if (file.startsWith(root + path.sep) && !relative.includes('\0')) {
      const info = await stat(file).catch(() => null);
      if (info?.isFile()) return sendFile(ctx, file, info.size, relative.startsWith('/assets/'), csp);
    }
    // Files that look like files and are missing are 404s; every other path is a page of the app.
    if (path.extname(relative) && relative !== '/index.html') return next();
    const index = path.join(root, 'index.html');
    const info = await stat(index).catch(() => null);
    if (!info) {
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = 'The web app is not built yet: run `npm run build:web` (npm start does it for you).\n';
      return;
    }
    await sendFile(ctx, index, info.size, false, csp);
  };
}

async function sendFile(ctx: ApiContext, file: string, size: number, immutable: boolean, csp: string): Promise<void> {
  ctx.type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  ctx.length = size;
  // Vite names assets by content hash: they never change. index.html always revalidates.
  ctx.set('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (ctx.type.startsWith('text/html')) {
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Frame-Options', 'DENY');
  }
  ctx.body = ctx.method === 'HEAD' ? null : createReadStream(file);
}

/** Same-origin access to a simulator's control API for the simulated call (embedded mode only); `route` is the path under it. */
async function forwardToSimulator(ctx: ApiContext, simulator: { name: string; controlUrl: string; route: string }): Promise<void> {
  const target = `${simulator.controlUrl.replace(/\/$/, '')}${simulator.route}${ctx.querystring ? `?${ctx.querystring}` : ''}`;
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of ctx.req) {
      total += (chunk as Buffer).length;
      if (total > MAX_SIM_BODY) {
        ctx.status = 413;
        ctx.body = { error: 'invalid-request-error', info: 'audio larger than 50 MB' };
        return;
      }
      chunks.push(chunk as Buffer);
    }
    body = new Uint8Array(Buffer.concat(chunks));
  }
  const contentType = ctx.get('content-type');
  let response: Response;
  try {
    response = await fetch(target, { method: ctx.method, headers: contentType ? { 'content-type': contentType } : {}, body, signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    ctx.status = 502;
    ctx.body = { error: 'simulator-unreachable', info: `The ${simulator.name} simulator did not answer: ${(error as Error).message}` };
    return;
  }
  ctx.status = response.status;
  ctx.set('Cache-Control', 'no-store');
  const type = response.headers.get('content-type');
  if (type) ctx.type = type;
  ctx.body = Buffer.from(await response.arrayBuffer());
}
