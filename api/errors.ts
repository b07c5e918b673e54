// One error shape for every response: `{ error: { code, message, details? } }`, with the right status.
import type { Context, Next } from 'koa';
import type { z } from 'zod';
import { DriverException, UniqueConstraintViolationException, OptimisticLockError } from '@mikro-orm/core';
import type { Logger } from '../runtime/log.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** Field-by-field problems, e.g. `[{ field: 'name', message: '…' }]`. */
export function validationDetails(error: z.ZodError) {
  return error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
}

export function parseInput<T extends z.ZodType>(schema: T, input: unknown, where: 'body' | 'query' | 'path' = 'body'): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const details = validationDetails(result.error);
    throw new ApiError(400, 'invalid_input', `Invalid ${where}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
  }
  return result.data;
}

/** The route's ids, by where they stand in it (the routes name every id `:id`). */
const ID_FIELD_OF_ROUTE: ReadonlyArray<readonly [routePrefix: string, field: string]> = [
  ['/v1/meetings/:id', 'meetingId'],
  ['/v1/recordings/:id', 'recordingId'],
  ['/v1/transcripts/:id', 'transcriptId'],
];

/**
 * What a log line says of a request: its method, path (no query string: share links and signatures live there) and
 * route, and the meeting, recording or transcript its route names. Never headers or bodies.
 */
export function requestLogFields(ctx: Context): Record<string, string> {
  const { routerPath, params } = ctx as Context & { routerPath?: string; params?: Record<string, string> };
  const fields: Record<string, string> = { method: ctx.method, path: ctx.path };
  if (typeof routerPath !== 'string') return fields;
  fields.route = routerPath;
  const id = ID_FIELD_OF_ROUTE.find(([prefix]) => routerPath === prefix || routerPath.startsWith(`${prefix}/`));
  if (id && params?.id) fields[id[1]] = params.id;
  return fields;
}

export function errorMiddleware(log: Logger) {
  return async function handleErrors(ctx: Context, next: Next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new ApiError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.status >= 500) log.error({ ...requestLogFields(ctx), status: apiError.status, error: describe(error) }, 'request failed');
      else log.debug({ ...requestLogFields(ctx), status: apiError.status, code: apiError.code }, 'request refused');
      ctx.status = apiError.status;
      ctx.body = { error: { code: apiError.code, message: apiError.message, ...(apiError.details === undefined ? {} : { details: apiError.details }) } };
    }
  };
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof UniqueConstraintViolationException) return new ApiError(409, 'conflict', 'A resource with the same unique value already exists');
  if (error instanceof OptimisticLockError) return new ApiError(409, 'conflict', 'The resource changed while this request was processed; retry');
  // Never leak internals in a 500.
  return new ApiError(500, 'internal_error', 'Internal server error');
}

function describe(error: unknown): string {
  // A database error's message and detail can quote the row's values (a webhook secret, a token): log where it
  // failed, never what was in it.
  if (error instanceof DriverException) {
    const where = error as DriverException & { table?: string; column?: string; constraint?: string };
    const facts = [where.code && `code ${where.code}`, where.table && `table ${where.table}`, where.column && `column ${where.column}`, where.constraint && `constraint ${where.constraint}`];
    return `${error.name} (${facts.filter(Boolean).join(', ')})`;
  }
  if (!(error instanceof Error)) return String(error);
  // An ApiError thrown because of another failure carries it as `cause`: the log says what really went wrong.
  return `${error.name}: ${error.message}${error instanceof ApiError && error.cause !== undefined ? ` (cause: ${describe(error.cause)})` : ''}`;
}
