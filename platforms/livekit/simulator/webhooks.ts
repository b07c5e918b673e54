import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebhookEvent } from '@livekit/protocol';
import type { PartialMessage } from '@bufbuild/protobuf';
import { ruleFires } from '../../daily/simulator/faults.ts';
import { postWebhook } from '../../daily/simulator/http.ts';
import type { FaultRuleBase } from '../../daily/simulator/faults.ts';
import { OrderedQueues, afterUnlessAborted } from '../../daily/simulator/pending-work.ts';
import type { PendingWork } from '../../daily/simulator/pending-work.ts';
import { webhookAuthorization } from './auth.ts';
import { webhookJson } from './twirp.ts';

// LiveKit's webhook side (livekit/protocol webhook/url_notifier.go, livekit-server telemetry):
// - every event goes to every configured URL; the body is protojson of WebhookEvent (lowerCamelCase, zero
//   values left out), `id` "EV_…", `createdAt` in Unix seconds;
// - headers: `Authorization: <raw JWT>` (no "Bearer") signed HS256 with the API secret, `iss` = API key,
//   `sha256` = base64(sha256(body)); `content-type: application/webhook+json`; `User-Agent: LiveKit`;
// - delivery through hashicorp go-retryablehttp: a transport error, a 429 or a 5xx other than 501 is
//   retried (RetryMax 4 → up to 5 attempts) after min·2^n capped at max (1 s … 30 s), or after the answer's
//   Retry-After seconds on a 429 or 503; any other answer,
//   a 4xx included, ends the delivery. Events to one URL go out in order, one at a time.

export interface WebhookRetryOptions {
  /** go-retryablehttp RetryWaitMin. Default 1 s. */
  retryWaitMinMs?: number;
  /** RetryWaitMax. Default 30 s. */
  retryWaitMaxMs?: number;
  /** RetryMax: retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
}

export interface WebhookDelivery {
  url: string;
  eventId: string;
  event: string;
  attempt: number;
  /** delivered: a 2xx. rejected: a final non-2xx answer (not retried). failed: this attempt will be
   * retried, or was the last. dropped: a fault knob ate the event. */
  outcome: 'delivered' | 'rejected' | 'failed' | 'dropped';
  status?: number;
  error?: string;
  /** Wall-clock time of the attempt. */
  at: string;
  body: string;
}

export interface LiveKitWebhookFaultRule extends FaultRuleBase {
  /** drop: never sent (to any URL). duplicate: sent twice, same id and body. delay: sent `delayMs` later. */
  action: 'drop' | 'duplicate' | 'delay';
  /** LiveKit event names, e.g. `egress_ended`; all when absent. */
  types?: string[];
  delayMs?: number;
}

interface Outgoing {
  id: string;
  event: string;
  body: string;
}

export interface WebhookNotifierOptions {
  apiKey: string;
  apiSecret: string;
  urls: string[];
  retry?: WebhookRetryOptions;
  faults: () => LiveKitWebhookFaultRule[];
  random: () => number;
  work: PendingWork;
  /** Whether bodies have a space after each comma, as some builds of Go's protojson write them. */
  spaceAfterComma: boolean;
}

export class WebhookNotifier {
  readonly #options: WebhookNotifierOptions;
  readonly #retry: Required<WebhookRetryOptions>;
  readonly #queues: OrderedQueues<Outgoing>;
  readonly #deliveries: WebhookDelivery[] = [];
  readonly #closed = new AbortController();
  #urls: string[];

  constructor(options: WebhookNotifierOptions) {
    this.#options = options;
    this.#queues = new OrderedQueues(options.work, (url, outgoing) => this.#deliver(url, outgoing));
    this.#urls = [...options.urls];
    this.#retry = { retryWaitMinMs: 1_000, retryWaitMaxMs: 30_000, maxRetries: 4, timeoutMs: 10_000, ...options.retry };
  }

  get urls(): string[] {
    return [...this.#urls];
  }

  setUrls(urls: string[]): void {
    this.#urls = [...urls];
  }

  deliveries(): WebhookDelivery[] {
    return [...this.#deliveries];
  }

  close(): void {
    this.#closed.abort();
  }

  /**
   * Stamps `id` and `createdAt` and queues the event for every URL, and for `extraUrls` (an egress request's
   * own `webhooks`, which livekit-server adds for that egress's events).
   */
  notify(event: PartialMessage<WebhookEvent>, extraUrls: readonly string[] = []): void {
    const urls = [...this.#urls, ...extraUrls];
    if (this.#closed.signal.aborted || urls.length === 0) return;
    const message = new WebhookEvent({
      ...event,
      id: `EV_${randomBase62(12)}`,
      createdAt: BigInt(Math.floor(Date.now() / 1000)),
    });
    const outgoing: Outgoing = { id: message.id, event: message.event, body: webhookJson(message, this.#options.spaceAfterComma) };
    const rules = this.#options.faults().filter((rule) => !rule.types || rule.types.includes(outgoing.event));
    const fired = (action: LiveKitWebhookFaultRule['action']) => rules.find((rule) => rule.action === action && ruleFires(rule, this.#options.random));
    if (fired('drop')) {
      for (const url of urls) this.#log(url, outgoing, 0, { outcome: 'dropped' });
      return;
    }
    const copies = fired('duplicate') ? 2 : 1;
    const delayed = fired('delay');
    for (let copy = 0; copy < copies; copy++) {
      for (const url of urls) {
        if (delayed) void this.#options.work.track(afterUnlessAborted(delayed.delayMs ?? 1000, this.#closed.signal, () => this.#queues.push(url, outgoing)));
        else this.#queues.push(url, outgoing);
      }
    }
  }

  async #deliver(url: string, outgoing: Outgoing): Promise<void> {
    const attempts = this.#retry.maxRetries + 1;
    for (let attempt = 1; attempt <= attempts && !this.#closed.signal.aborted; attempt++) {
      const result = await this.#post(url, outgoing.body);
      if (result.status !== undefined && result.status >= 200 && result.status < 300) {
        this.#log(url, outgoing, attempt, { outcome: 'delivered', status: result.status });
        return;
      }
      const retryable = result.status === undefined || result.status === 429 || (result.status >= 500 && result.status !== 501);
      if (!retryable) {
        this.#log(url, outgoing, attempt, { outcome: 'rejected', status: result.status! });
        return;
      }
      this.#log(url, outgoing, attempt, { outcome: 'failed', ...(result.status !== undefined ? { status: result.status } : { error: result.error! }) });
      if (attempt < attempts) {
        // go-retryablehttp's DefaultBackoff: a 429 or 503 with Retry-After (seconds) waits that long.
        const retryAfterSeconds = (result.status === 429 || result.status === 503) && /^\d+$/.test(result.retryAfter ?? '') ? Number(result.retryAfter) : null;
        const wait = retryAfterSeconds !== null ? retryAfterSeconds * 1000 : Math.min(this.#retry.retryWaitMaxMs, this.#retry.retryWaitMinMs * 2 ** (attempt - 1));
        try {
          await sleep(wait, undefined, { signal: this.#closed.signal });
        } catch {
          return;
        }
      }
    }
  }

  async #post(url: string, body: string): Promise<{ status?: number; retryAfter?: string; error?: string }> {
    const headers = {
      authorization: await webhookAuthorization(body, this.#options.apiKey, this.#options.apiSecret),
      'content-type': 'application/webhook+json',
      'user-agent': 'LiveKit',
    };
    return postWebhook(url, headers, body, AbortSignal.any([AbortSignal.timeout(this.#retry.timeoutMs), this.#closed.signal]));
  }

  #log(url: string, outgoing: Outgoing, attempt: number, result: Pick<WebhookDelivery, 'outcome' | 'status' | 'error'>): void {
    this.#deliveries.push({ url, eventId: outgoing.id, event: outgoing.event, attempt, ...result, at: new Date().toISOString(), body: outgoing.body });
  }
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The random part of a LiveKit id (guid.New: prefix + 12 characters). */
export function randomBase62(length: number): string {
  return Array.from(randomBytes(length), (byte) => BASE62[byte % BASE62.length]).join('');
}
