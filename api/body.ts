// Request bodies are read explicitly with a size limit per route: JSON for the API, raw bytes for
// webhooks (their signature covers the exact bytes).
import type { Context } from 'koa';
import { ApiError } from './errors.ts';

/** The body's bytes, refused with 415 unless it is of `contentType` and with 413 past `limitBytes`. */
export async function readRawBody(ctx: Context, limitBytes: number, contentType: string | string[]): Promise<Buffer> {
  const types = [contentType].flat();
  if (!ctx.is(types)) throw new ApiError(415, 'unsupported_media_type', `Request body must be ${types.join(' or ')}`);
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) {
      ctx.req.resume(); // drain the rest so the connection can answer
      throw tooLarge(limitBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** An empty body reads as `{}` so optional-only inputs need no body. */
export async function readJsonBody(ctx: Context, limitBytes = 64 * 1024): Promise<unknown> {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  if (!hasBody) return {};
  const raw = await readRawBody(ctx, limitBytes, 'application/json');
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid_json', 'Request body is not valid JSON');
  }
}

const tooLarge = (limit: number) => new ApiError(413, 'payload_too_large', `Request body is larger than ${limit} bytes`);
