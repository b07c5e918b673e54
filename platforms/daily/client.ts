import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import {
  dailyErrorBodySchema,
  dailyMeetingListSchema,
  dailyMeetingParticipantsSchema,
  dailyMeetingSchema,
  dailyMeetingTokenPropertiesSchema,
  dailyMeetingTokenSchema,
  dailyRecordingListSchema,
  dailyRecordingSchema,
  dailyRoomDeletedSchema,
  dailyRoomSchema,
  dailySentSchema,
  dailyWebhookListSchema,
  dailyWebhookSchema,
} from './api-schemas.ts';
import type {
  DailyCreateRoomBody,
  DailyListRecordingsQuery,
  DailyMeetingTokenProperties,
  DailyRoomProperties,
  DailyStartRecordingBody,
  DailyStopRecordingBody,
  DailyWebhookBody,
} from './api-schemas.ts';
import { PlatformApiError, PlatformResponseError } from '../platform.ts';
import { DailyRateLimiter, dailyRateLimitClass } from './rate-limits.ts';
import type { DailyRateLimitClass, RateWindow } from './rate-limits.ts';

export const DAILY_API_BASE_URL = 'https://api.daily.co/v1';

export interface DailyClientOptions {
  apiKey: string;
  /** Default https://api.daily.co/v1; the simulator's baseUrl in tests and the embedded mode. */
  baseUrl?: string;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Attempts for 429 and 503 answers, the first included. Default 5. */
  maxAttempts?: number;
  /** First backoff; doubles each retry, with jitter. Default 500 ms. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Override Daily's published limits, or `false` to send without pacing (tests of Daily's 429). */
  rateLimits?: Partial<Record<DailyRateLimitClass, RateWindow>> | false;
}

/** Daily answered with its `{error, info}` body (or an unparseable one) and a non-2xx status. */
export class DailyApiError extends PlatformApiError {
  readonly endpoint: string;
  /** `errorType`: Daily's stable error type, e.g. `invalid-request-error`, `rate-limit-error`. */
  constructor(status: number, errorType: string, info: string, endpoint: string) {
    super(`Daily ${endpoint} → ${status} ${errorType}: ${info}`, { status, errorType, info });
    this.name = 'DailyApiError';
    this.endpoint = endpoint;
  }

  /** Daily says so only in its words ("a room named … already exists"). */
  override get nameTaken(): boolean {
    return /already exists/i.test(this.info);
  }
}

/** No answer from Daily: connection failure or per-request timeout. */
export class DailyNetworkError extends Error {
  readonly endpoint: string;
  readonly timedOut: boolean;
  constructor(endpoint: string, cause: unknown) {
    const timedOut = cause instanceof DOMException && cause.name === 'TimeoutError';
    super(`Daily ${endpoint}: ${timedOut ? 'timed out' : (cause as Error).message}`, { cause });
    this.name = 'DailyNetworkError';
    this.endpoint = endpoint;
    this.timedOut = timedOut;
  }
}

/** A 2xx answer whose body is not what Daily documents. */
export class DailyResponseError extends PlatformResponseError {
  constructor(endpoint: string, problem: string) {
    super(`Daily ${endpoint} returned an unexpected body: ${problem}`);
    this.name = 'DailyResponseError';
  }
}

type Query = Record<string, string | number | boolean | undefined>;

/** Repeated by the client itself (Daily's rate limit and unavailability, which say when to come back). Whether an
 * error that gets out is worth a later attempt is runtime/retryable.ts's rule (activities/errors.ts applies it). */
const RETRIED_STATUSES = new Set([429, 503]);
const MAX_RETRY_AFTER_MS = 60_000;

/** Daily's REST API, spoken exactly: Bearer auth, Daily's casing, Daily's errors, Daily's rate limits. */
export class DailyClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #limiter: DailyRateLimiter | null;

  constructor(options: DailyClientOptions) {
    this.baseUrl = (options.baseUrl ?? DAILY_API_BASE_URL).replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#backoffBaseMs = options.backoffBaseMs ?? 500;
    this.#backoffMaxMs = options.backoffMaxMs ?? 10_000;
    this.#limiter = options.rateLimits === false ? null : new DailyRateLimiter(options.rateLimits);
  }

  createRoom(body: DailyCreateRoomBody) {
    return this.#request('POST', '/rooms', dailyRoomSchema, { body });
  }

  getRoom(name: string) {
    return this.#request('GET', `/rooms/${enc(name)}`, dailyRoomSchema);
  }

  updateRoom(name: string, properties: DailyRoomProperties) {
    return this.#request('POST', `/rooms/${enc(name)}`, dailyRoomSchema, { body: { properties } });
  }

  deleteRoom(name: string) {
    return this.#request('DELETE', `/rooms/${enc(name)}`, dailyRoomDeletedSchema);
  }

  async createMeetingToken(properties: DailyMeetingTokenProperties): Promise<string> {
    return (await this.#request('POST', '/meeting-tokens', dailyMeetingTokenSchema, { body: { properties } })).token;
  }

  getMeetingToken(token: string) {
    return this.#request('GET', `/meeting-tokens/${enc(token)}`, dailyMeetingTokenPropertiesSchema);
  }

  /** Resolves on `{"status":"sent"}`; the recording id arrives only by webhook or list. */
  async startRecording(roomName: string, body: DailyStartRecordingBody): Promise<void> {
    await this.#request('POST', `/rooms/${enc(roomName)}/recordings/start`, dailySentSchema, { body });
  }

  async stopRecording(roomName: string, body: DailyStopRecordingBody): Promise<void> {
    await this.#request('POST', `/rooms/${enc(roomName)}/recordings/stop`, dailySentSchema, { body });
  }

  /** Newest first; page with `starting_after` = the last id of the previous page. */
  async listRecordings(query: DailyListRecordingsQuery = {}) {
    if (query.limit !== undefined && (query.limit < 1 || query.limit > 100)) {
      throw new RangeError(`Daily lists at most 100 recordings per page, asked ${query.limit}`);
    }
    return this.#request('GET', '/recordings', dailyRecordingListSchema, { query: { ...query } });
  }

  getRecording(id: string) {
    return this.#request('GET', `/recordings/${enc(id)}`, dailyRecordingSchema);
  }

  listMeetings(query: { room?: string; ongoing?: boolean; limit?: number; starting_after?: string } = {}) {
    return this.#request('GET', '/meetings', dailyMeetingListSchema, { query });
  }

  getMeeting(meetingId: string) {
    return this.#request('GET', `/meetings/${enc(meetingId)}`, dailyMeetingSchema);
  }

  /** One page; Daily answers 404 once no participant remains after `joined_after`. */
  getMeetingParticipants(meetingId: string, query: { limit?: number; joined_after?: string } = {}) {
    return this.#request('GET', `/meetings/${enc(meetingId)}/participants`, dailyMeetingParticipantsSchema, { query });
  }

  /** Daily first POSTs `{"test":"test"}` to the URL and refuses (400) unless it answers 200. */
  createWebhook(body: DailyWebhookBody) {
    return this.#request('POST', '/webhooks', dailyWebhookSchema, { body });
  }

  listWebhooks() {
    return this.#request('GET', '/webhooks', dailyWebhookListSchema);
  }

  getWebhook(uuid: string) {
    return this.#request('GET', `/webhooks/${enc(uuid)}`, dailyWebhookSchema);
  }

  /** Also re-activates a FAILED webhook after a fresh handshake. */
  updateWebhook(uuid: string, body: Partial<DailyWebhookBody>) {
    return this.#request('POST', `/webhooks/${enc(uuid)}`, dailyWebhookSchema, { body });
  }

  async deleteWebhook(uuid: string): Promise<void> {
    await this.#request('DELETE', `/webhooks/${enc(uuid)}`, null);
  }

  async #request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S | null,
    { query, body }: { query?: Query; body?: unknown } = {},
  ): Promise<z.infer<S>> {
    const endpoint = `${method} ${path}`;
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const rateClass = dailyRateLimitClass(method, path);
    for (let attempt = 1; ; attempt++) {
      await this.#limiter?.acquire(rateClass);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.#apiKey}`,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        // Not retried here: a POST may have reached Daily; the caller's retry policy decides.
        throw new DailyNetworkError(endpoint, error);
      }
      const text = await response.text();
      if (RETRIED_STATUSES.has(response.status) && attempt < this.#maxAttempts) {
        await sleep(this.#retryDelayMs(attempt, response.headers.get('retry-after')));
        continue;
      }
      if (!response.ok) throw toApiError(response.status, text, endpoint);
      if (schema === null) return undefined as z.infer<S>;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new DailyResponseError(endpoint, `not JSON: ${text.slice(0, 200)}`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new DailyResponseError(endpoint, parsed.error.message);
      return parsed.data;
    }
  }

  #retryDelayMs(attempt: number, retryAfter: string | null): number {
    const told = parseRetryAfterMs(retryAfter);
    if (told !== null) return Math.min(told, MAX_RETRY_AFTER_MS);
    const ceiling = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function toApiError(status: number, text: string, endpoint: string): DailyApiError {
  try {
    const parsed = dailyErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return new DailyApiError(status, parsed.data.error, parsed.data.info ?? '', endpoint);
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the text.
  }
  return new DailyApiError(status, status >= 500 ? 'server-error' : 'unknown-error', text.slice(0, 500), endpoint);
}

/** Retry-After is either delta-seconds or an HTTP date. */
function parseRetryAfterMs(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
