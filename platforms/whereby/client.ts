import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { PlatformApiError, PlatformResponseError } from '../platform.ts';
import { isRetryableStatus } from '../../runtime/retryable.ts';

// Whereby's REST API (docs.whereby.com, "REST API reference"), spoken with fetch: Whereby publishes no server SDK
// (@whereby.com/core and @whereby.com/browser-sdk are for browsers). Bearer auth, camelCase JSON, errors as
// `{"error": <message>}`. Its rate limit is a points budget per minute (GET 1, DELETE 2, POST 3): a 429 says in
// Retry-After when to come back, and the client waits that long, a bounded number of times.

export const WHEREBY_API_BASE_URL = 'https://api.whereby.dev/v1';

export type WherebyStartTrigger = 'none' | 'prompt' | 'automatic' | 'automatic-2nd-participant';

export interface WherebyS3Destination {
  provider: 's3';
  authenticationType: 'accessKey' | 'roleBased';
  /** `bucket` or `bucket/sub/folder`. */
  bucket: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  oidcRoleArn?: string;
  fileFormat: 'mkv' | 'mp4';
}

export interface WherebyCreateMeetingBody {
  /** ISO 8601; required. */
  endDate: string;
  isLocked?: boolean;
  roomMode?: 'normal' | 'group';
  roomNamePrefix?: string;
  roomNamePattern?: 'uuid' | 'human-short';
  fields?: Array<'hostRoomUrl' | 'viewerRoomUrl'>;
  recording?: { type: 'none' | 'local' | 'cloud'; destination?: WherebyS3Destination; startTrigger?: WherebyStartTrigger };
}

export const wherebyMeetingSchema = z.object({
  meetingId: z.string(),
  roomName: z.string(),
  roomUrl: z.string(),
  startDate: z.string(),
  endDate: z.string(),
  hostRoomUrl: z.string().optional(),
  viewerRoomUrl: z.string().optional(),
});
export type WherebyMeeting = z.infer<typeof wherebyMeetingSchema>;

export const wherebyRecordingSchema = z.object({
  recordingId: z.string(),
  roomSessionId: z.string().nullable().optional(),
  filename: z.string(),
  startDate: z.string(),
  endDate: z.string().nullable().optional(),
  sizeInMegaBytes: z.number().nullable().optional(),
});
export type WherebyRecording = z.infer<typeof wherebyRecordingSchema>;

const recordingPageSchema = z.object({ results: z.array(wherebyRecordingSchema), cursor: z.string().nullable().optional() });
const accessLinkSchema = z.object({ accessLink: z.string(), expires: z.number() });
const errorBodySchema = z.object({ error: z.string() });

export interface WherebyClientOptions {
  apiKey: string;
  /** Default https://api.whereby.dev/v1; the simulator's apiUrl in tests. */
  baseUrl?: string;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Attempts when Whereby answers 429, the first included. Default 3. */
  maxAttempts?: number;
  /** A Retry-After longer than this is not waited for: the 429 is thrown (retryable) instead. Default 60 s. */
  maxRetryAfterMs?: number;
}

/** Whereby answered with a non-2xx status. `retryable`: whether the same request may succeed later. */
export class WherebyApiError extends PlatformApiError {
  readonly endpoint: string;
  readonly retryable: boolean;
  /** On a 429: how long Whereby asked us to wait. */
  readonly retryAfterMs: number | null;
  constructor(status: number, info: string, endpoint: string, retryAfterMs: number | null = null) {
    super(`Whereby ${endpoint} → ${status}: ${info}`, { status, errorType: status === 429 ? 'rate-limited' : `http-${status}`, info });
    this.name = 'WherebyApiError';
    this.endpoint = endpoint;
    this.retryable = isRetryableStatus(status);
    this.retryAfterMs = retryAfterMs;
  }
}

/** No answer from Whereby (connection failure, timeout): worth trying again. */
export class WherebyNetworkError extends Error {
  readonly endpoint: string;
  readonly retryable = true;
  constructor(endpoint: string, cause: unknown) {
    const timedOut = cause instanceof DOMException && cause.name === 'TimeoutError';
    super(`Whereby ${endpoint}: ${timedOut ? 'timed out' : (cause as Error).message}`, { cause });
    this.name = 'WherebyNetworkError';
    this.endpoint = endpoint;
  }
}

export class WherebyClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #maxRetryAfterMs: number;

  constructor(options: WherebyClientOptions) {
    this.baseUrl = (options.baseUrl ?? WHEREBY_API_BASE_URL).replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  }

  createMeeting(body: WherebyCreateMeetingBody): Promise<WherebyMeeting> {
    return this.#request('POST', '/meetings', wherebyMeetingSchema, { body });
  }

  getMeeting(meetingId: string, fields: Array<'hostRoomUrl' | 'viewerRoomUrl'> = []): Promise<WherebyMeeting> {
    return this.#request('GET', `/meetings/${enc(meetingId)}`, wherebyMeetingSchema, { query: { ...(fields.length > 0 && { fields: fields.join(',') }) } });
  }

  async deleteMeeting(meetingId: string): Promise<void> {
    await this.#request('DELETE', `/meetings/${enc(meetingId)}`, null);
  }

  listRecordings(query: { roomName?: string; cursor?: string; limit?: number; sortBy?: 'startDate:asc' | 'startDate:desc' } = {}) {
    if (query.limit !== undefined && (query.limit < 1 || query.limit > 100)) throw new RangeError(`Whereby lists 1 to 100 recordings per page, asked ${query.limit}`);
    return this.#request('GET', '/recordings', recordingPageSchema, { query });
  }

  getRecording(recordingId: string): Promise<WherebyRecording> {
    return this.#request('GET', `/recordings/${enc(recordingId)}`, wherebyRecordingSchema);
  }

  /** Whereby-hosted recordings only. `expires` is epoch ms. */
  recordingAccessLink(recordingId: string, validForSeconds = 3600) {
    return this.#request('GET', `/recordings/${enc(recordingId)}/access-link`, accessLinkSchema, { query: { validForSeconds } });
  }

  async deleteRecording(recordingId: string): Promise<void> {
    await this.#request('DELETE', `/recordings/${enc(recordingId)}`, null);
  }

  async deleteRecordings(recordingIds: string[]): Promise<void> {
    await this.#request('POST', '/recordings/bulk-delete', null, { body: { recordingIds } });
  }

  async #request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S | null,
    { query, body }: { query?: Record<string, string | number | undefined>; body?: unknown } = {},
  ): Promise<z.infer<S>> {
    const endpoint = `${method} ${path}`;
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${this.#apiKey}`, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        // Not retried here: a POST may have reached Whereby; the caller's retry policy decides.
        throw new WherebyNetworkError(endpoint, error);
      }
      const text = await response.text();
      if (response.status === 429) {
        const waitMs = retryAfterMs(response.headers.get('retry-after'), text);
        // A 429 spent nothing: asking again after the wait is safe for a POST too.
        if (attempt < this.#maxAttempts && waitMs !== null && waitMs <= this.#maxRetryAfterMs) {
          await sleep(waitMs);
          continue;
        }
        throw new WherebyApiError(429, errorInfo(text), endpoint, waitMs);
      }
      if (!response.ok) throw new WherebyApiError(response.status, errorInfo(text), endpoint);
      if (schema === null) return undefined as z.infer<S>;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new PlatformResponseError(`Whereby ${endpoint} returned a body that is not JSON: ${text.slice(0, 200)}`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new PlatformResponseError(`Whereby ${endpoint} returned an unexpected body: ${parsed.error.message}`);
      return parsed.data;
    }
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function errorInfo(text: string): string {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.error;
  } catch {
    // Not JSON (a proxy's page): keep the text.
  }
  return text.slice(0, 500);
}

/** Retry-After in seconds (or an HTTP date), else the body's `data.msLeft`; null when neither says. */
function retryAfterMs(header: string | null, body: string): number | null {
  if (header !== null && header.trim() !== '') {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  try {
    const msLeft = (JSON.parse(body) as { data?: { msLeft?: unknown } }).data?.msLeft;
    return typeof msLeft === 'number' && msLeft >= 0 ? msLeft : null;
  } catch {
    return null;
  }
}
