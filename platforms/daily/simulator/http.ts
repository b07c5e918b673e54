import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A minimal router for the simulator's two HTTP surfaces (Daily's /v1 and our /_sim control API).

/** An answer in Daily's error shape: `{"error": <type>, "info": <text>}`. */
export class DailySimError extends Error {
  readonly status: number;
  readonly errorType: string;
  readonly info: string;
  constructor(status: number, errorType: string, info: string) {
    super(`${status} ${errorType}: ${info}`);
    this.name = 'DailySimError';
    this.status = status;
    this.errorType = errorType;
    this.info = info;
  }
}

export const invalidRequest = (info: string) => new DailySimError(400, 'invalid-request-error', info);
export const notFound = (info: string) => new DailySimError(404, 'not-found', info);

export interface SimRequest {
  method: string;
  /** Path below the surface's prefix, e.g. `/rooms/abc`. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type SimResponse = { status?: number; json: unknown } | { status: number; empty: true };

export interface Route {
  method: string;
  /** `/rooms/:name/recordings/start`; also the key REST call counts are kept under. */
  pattern: string;
  handle: (request: SimRequest) => SimResponse | Promise<SimResponse>;
}

export function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | null {
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method) continue;
    const parts = route.pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = parts.every((part, i) => {
      if (part.startsWith(':')) {
        params[part.slice(1)] = decodeURIComponent(segments[i]!);
        return true;
      }
      return part === segments[i];
    });
    if (matches) return { route, params };
  }
  return null;
}

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw invalidRequest(`request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** An empty body counts as `{}`, as Daily treats a bodiless POST. */
export function jsonBody(request: SimRequest): Record<string, unknown> {
  return jsonObjectBody(request, {
    notJson: () => new DailySimError(400, 'json-parsing-error', 'could not parse the request body as JSON'),
    notObject: () => invalidRequest('the request body must be a JSON object'),
  });
}

/** A request's JSON object (`{}` for an empty body), or the simulator's own error for a body that is not one. */
export function jsonObjectBody(request: SimRequest, errors: { notJson: () => Error; notObject: () => Error }): Record<string, unknown> {
  if (request.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw errors.notJson();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw errors.notObject();
  return parsed as Record<string, unknown>;
}

export function send(response: ServerResponse, result: SimResponse, extraHeaders: Record<string, string> = {}): void {
  if ('empty' in result) {
    response.writeHead(result.status, extraHeaders).end();
    return;
  }
  const body = JSON.stringify(result.json);
  response
    .writeHead(result.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extraHeaders })
    .end(body);
}

export function errorResponse(error: DailySimError): SimResponse {
  return { status: error.status, json: { error: error.errorType, info: error.info } };
}

/** Listens (port 0 picks a free one) and answers the server's origin, e.g. `http://127.0.0.1:41234`. */
export async function listenOn(server: Server, port = 0, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: bound, address } = server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${bound}`;
}

/** Stops a simulator: timers, then the server (open connections dropped), then the work still running. */
export async function shutDown(parts: { clock: { dispose(): void }; webhooks: { close(): void }; server: Server; work: { whenIdle(): Promise<void> } }): Promise<void> {
  parts.clock.dispose();
  parts.webhooks.close();
  parts.server.closeAllConnections();
  await new Promise<void>((resolve) => parts.server.close(() => resolve()));
  await parts.work.whenIdle();
}

/**
 * One webhook POST: its status (and Retry-After, when given), or the transport error (a timeout included);
 * the answer's body is drained.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<{ status?: number; retryAfter?: string; error?: string }> {
  try {
    const response = await fetch(url, { method: 'POST', headers, body, signal });
    await response.arrayBuffer();
    const retryAfter = response.headers.get('retry-after');
    return { status: response.status, ...(retryAfter !== null && { retryAfter }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
