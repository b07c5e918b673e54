import type { Message, MessageType } from '@bufbuild/protobuf';
import type { SimRequest, SimResponse } from '../../daily/simulator/http.ts';

// LiveKit's server API is Twirp (github.com/twitchtv/twirp v8, livekit/protocol's generated *.twirp.go):
// POST /twirp/livekit.<Service>/<Method> with a JSON (application/json) or protobuf (application/protobuf)
// body. Requests are read with protojson's DiscardUnknown, so both lowerCamelCase and proto field names are
// accepted. Responses are written as the generated server writes them without options, which LiveKit's
// server does not pass: proto field names (`egress_id`) with unpopulated fields emitted (`"error": ""`),
// int64 as strings, enums by name. Errors are Twirp's JSON `{code, msg, meta?}` with its HTTP status.

export type TwirpCode =
  | 'canceled' | 'unknown' | 'invalid_argument' | 'malformed' | 'deadline_exceeded' | 'not_found' | 'bad_route'
  | 'already_exists' | 'permission_denied' | 'unauthenticated' | 'resource_exhausted' | 'failed_precondition'
  | 'aborted' | 'out_of_range' | 'unimplemented' | 'internal' | 'unavailable' | 'dataloss';

/** twirp.ServerHTTPStatusFromErrorCode */
const HTTP_STATUS: Record<TwirpCode, number> = {
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
};

export class TwirpError extends Error {
  readonly code: TwirpCode;
  readonly meta: Record<string, string> | undefined;
  constructor(code: TwirpCode, msg: string, meta?: Record<string, string>) {
    super(msg);
    this.name = 'TwirpError';
    this.code = code;
    this.meta = meta;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }

  response(): SimResponse {
    return { status: this.status, json: { code: this.code, msg: this.message, ...(this.meta && { meta: this.meta }) } };
  }
}

/**
 * What LiveKit's auth middleware answers before Twirp sees the request (a bad or missing-prefix
 * Authorization header, a bad signature, an unknown key): HTTP 401 with the error's text as a plain body.
 */
export class PlainHttpError extends Error {
  readonly status: number;
  constructor(status: number, text: string) {
    super(text);
    this.name = 'PlainHttpError';
    this.status = status;
  }
}

// LiveKit's own messages (livekit/protocol's service errors), so callers see the server's words.
export const roomNotFound = () => new TwirpError('not_found', 'requested room does not exist');
export const participantNotFound = () => new TwirpError('not_found', 'participant does not exist');
export const trackNotFound = () => new TwirpError('not_found', 'track is not found');
export const egressNotFound = () => new TwirpError('not_found', 'egress does not exist');
export const permissionDenied = () => new TwirpError('unauthenticated', 'permissions denied');

export type WireFormat = 'json' | 'protobuf';

/** Decodes a Twirp request body of the given message type, as the generated server does. */
export function decodeRequest<T extends Message<T>>(type: MessageType<T>, request: SimRequest): { message: T; format: WireFormat } {
  const contentType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  try {
    if (contentType === 'application/json') {
      const text = request.body.toString('utf8');
      return { message: type.fromJsonString(text.trim() === '' ? '{}' : text, { ignoreUnknownFields: true }), format: 'json' };
    }
    if (contentType === 'application/protobuf') return { message: type.fromBinary(request.body), format: 'protobuf' };
  } catch (error) {
    throw new TwirpError('malformed', `the json request could not be decoded: ${(error as Error).message}`);
  }
  throw new TwirpError('bad_route', `unexpected Content-Type: "${request.headers['content-type'] ?? ''}"`, {
    twirp_invalid_route: `POST /twirp${request.path}`,
  });
}

/** A Twirp response in the request's format. */
export function encodeResponse(message: Message, format: WireFormat): SimResponse & { raw?: Buffer; contentType?: string } {
  if (format === 'protobuf') return { json: null, raw: Buffer.from(message.toBinary()), contentType: 'application/protobuf' };
  return { json: message.toJson({ useProtoFieldName: true, emitDefaultValues: true }) };
}

/**
 * Go protojson.Marshal's defaults, as the webhook notifier encodes events: lowerCamelCase, zero values left
 * out, single-line. Go's encoder also puts a space after every comma in some builds and not in others
 * (internal/detrand, "to make output unstable"), so a receiver must hash the bytes it got, never a
 * re-encoding: `spaceAfterComma` picks the build.
 */
export function webhookJson(message: Message, spaceAfterComma: boolean): string {
  return goJson(message.toJson(), spaceAfterComma ? ', ' : ',');
}

function goJson(value: unknown, comma: string): string {
  if (Array.isArray(value)) return `[${value.map((item) => goJson(item, comma)).join(comma)}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${goJson(item, comma)}`).join(comma)}}`;
  }
  return JSON.stringify(value);
}
