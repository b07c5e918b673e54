// Structured logs with pino, on stderr: JSON lines (one object a line) in production and whenever stderr is not a
// terminal; pino-pretty's coloured lines on a terminal. Secrets are redacted by configuration (pino's `redact`): the
// keys below are censored at the top of a line (its fields, a child's bindings) and within the objects a line may
// carry whole (an error, headers, a configuration…), to three levels down. A secret nested under any other key is not:
// log ids and facts, not whole records.
import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { trace } from '@opentelemetry/api';
import type { Config } from './config.ts';

export type { Logger } from 'pino';

/** Keys whose values are secrets, as the code names them (config, request headers, platform and SDK payloads). */
export const SECRET_KEYS = [
  'password', 'currentPassword', 'newPassword', 'generatedPassword',
  'token', 'accessToken', 'refreshToken', 'idToken', 'id_token', 'sessionToken', 'meetingToken', 'shareToken', 'share_token',
  // The SDK's activity lines carry the activity's task token: with it, anyone with access to the namespace can complete the activity.
  'taskToken', 'task_token',
  'apiKey', 'api_key', 'x-api-key', 'apiSecret', 'appSecret', 'secret', 'webhookSecret', 'signingSecret',
  'clientSecret', 'client_secret', 'secretAccessKey', 'accessKeySecret',
  'signature', 'x-webhook-signature', 'authorization', 'Authorization', 'cookie', 'set-cookie', 'setCookie',
  'connectionString', 'databaseUrl',
];
/** Secrets under keys that are not secret by name: DATABASE_URL (its password) and 100ms's webhook header value. */
const SECRET_PATHS = ['database.url', 'mail.url', 'webhookHeader.value'];
/**
 * The fields that may hold a whole object with secrets inside: an Error (the SDK's `error`, pino's `err`, its `cause`)
 * with the request or configuration it failed with, HTTP parts, a configuration. Listed rather than matched with a
 * leading `*`: pino runs each wildcard path on every field of every line (~2 µs a path), these only where they are.
 */
export const OBJECT_FIELDS = ['error', 'err', 'cause', 'config', 'options', 'request', 'response', 'headers', 'body', 'query', 'credentials', 'auth'];

const CENSOR = '[redacted]';

/** Each secret at the top of a line, and within each object field one to three levels down (objects or arrays between). */
export function redactionPaths(keys: readonly string[] = SECRET_KEYS, paths: readonly string[] = SECRET_PATHS, objectFields: readonly string[] = OBJECT_FIELDS): string[] {
  const secrets = [...keys.map((key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`)), ...paths];
  const below = (path: string) => (path.startsWith('[') ? path : `.${path}`);
  return [...secrets, ...objectFields.flatMap((field) => secrets.flatMap((path) => [`${field}${below(path)}`, `${field}.*${below(path)}`, `${field}.*.*${below(path)}`]))];
}

export interface LoggerOptions {
  /** Where lines go (tests capture them here); they are JSON lines then. Default: stderr. */
  destination?: DestinationStream;
  /** pino-pretty's lines; default: stderr is a terminal and NODE_ENV is not production. */
  pretty?: boolean;
}

export function createLogger(level: Config['logLevel'], options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? (!options.destination && process.stderr.isTTY && process.env.NODE_ENV !== 'production');
  // Synchronous writes (no worker thread): every line is out before the process exits.
  const destination = options.destination
    ?? (pretty ? pinoPretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }) : pino.destination({ dest: 2, sync: true }));
  return pino({
    level,
    redact: { paths: redactionPaths(), censor: CENSOR },
    // `error` as the code and the Temporal SDK name it, `err` as pino does: an Error's type, message, stack and properties.
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceFields,
  }, destination);
}

/**
 * The trace a line was written in (a request's, a signal's, an activity's), as OpenTelemetry's log fields name it; none
 * when tracing is off (no span is ever active then, and this costs a lookup that finds nothing).
 */
function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
