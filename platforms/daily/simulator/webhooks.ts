import { randomBytes, randomUUID } from 'node:crypto';
import type { DailyWebhookRetryType } from '../api-schemas.ts';
import { signDailyWebhook } from '../signature.ts';
import type { SimClock } from './clock.ts';
import { ruleFires } from './faults.ts';
import type { SimFaults, WebhookFaultRule } from './faults.ts';
import { invalidRequest, postWebhook } from './http.ts';
import { afterUnlessAborted } from './pending-work.ts';
import type { PendingWork } from './pending-work.ts';

// Daily's webhook side: registration with the `{"test":"test"}` handshake, signing, and its two delivery
// policies (docs.daily.co/reference/rest-api/webhooks):
// - circuit-breaker (default): every message is tried once; each failure (non-200 or too slow) counts,
//   a success resets the count, and at 3 the webhook turns FAILED and nothing more is sent until
//   POST /webhooks/:uuid passes a new handshake.
// - exponential: each message is tried up to 5 times with exponential backoff (capped at 15 minutes),
//   then dropped; the webhook never turns FAILED.
// Only an HTTP 200 counts as success, as Daily documents.

export interface WebhookRetryOptions {
  /** exponential: delay before the first retry, doubling after. Default 30 s (tests use a few ms). */
  backoffBaseMs?: number;
  /** Default 15 minutes. */
  maxBackoffMs?: number;
  /** How long Daily waits for the 200. Default 5 s. */
  timeoutMs?: number;
  /** exponential: tries per message. Default 5. */
  maxTries?: number;
  /** circuit-breaker: failures that flip the webhook to FAILED. Default 3. */
  failureThreshold?: number;
}

export interface SimWebhook {
  uuid: string;
  url: string;
  hmac: string;
  basicAuth: string | null;
  retryType: DailyWebhookRetryType;
  eventTypes: string[];
  state: 'ACTIVE' | 'FAILED';
  failedCount: number;
  lastMomentPushed: string | null;
  domainId: string;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookSettings {
  url: string;
  basicAuth?: string;
  retryType?: DailyWebhookRetryType;
  eventTypes?: string[];
  hmac?: string;
}

export interface WebhookDelivery {
  webhookUuid: string;
  eventId: string;
  type: string;
  attempt: number;
  /** delivered: answered 200. failed: any other answer or none. dropped: a fault knob ate it.
   * discarded: not sent because the webhook is FAILED. */
  outcome: 'delivered' | 'failed' | 'dropped' | 'discarded';
  status?: number;
  error?: string;
  /** Wall-clock time of the attempt. */
  at: string;
  body: string;
}

interface Message {
  id: string;
  type: string;
  body: string;
}

/** The dispatcher as plain data, for the simulator's state file: the webhooks, and what each has still to deliver. */
export interface WebhooksSnapshot {
  webhooks: SimWebhook[];
  undelivered: Array<{ webhookUuid: string; message: Message }>;
}

interface Sender {
  queue: Message[];
  pumping: boolean;
}

export interface WebhookDispatcherOptions {
  domainId: string;
  clock: SimClock;
  retry?: WebhookRetryOptions;
  faults: () => SimFaults;
  random: () => number;
  work: PendingWork;
}

export class WebhookDispatcher {
  readonly #webhooks = new Map<string, SimWebhook>();
  readonly #senders = new Map<string, Sender>();
  /** Per webhook, the messages neither delivered nor given up yet (queued, or waiting for a retry). */
  readonly #undelivered = new Map<string, Set<Message>>();
  readonly #deliveries: WebhookDelivery[] = [];
  readonly #heldForReorder: Array<{ message: Message; release: () => void }> = [];
  readonly #options: WebhookDispatcherOptions;
  readonly #retry: Required<WebhookRetryOptions>;
  readonly #closed = new AbortController();

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
    this.#retry = {
      backoffBaseMs: 30_000,
      maxBackoffMs: 15 * 60_000,
      timeoutMs: 5_000,
      maxTries: 5,
      failureThreshold: 3,
      ...options.retry,
    };
  }

  list(): SimWebhook[] {
    return [...this.#webhooks.values()];
  }

  get(uuid: string): SimWebhook | undefined {
    return this.#webhooks.get(uuid);
  }

  deliveries(): WebhookDelivery[] {
    return [...this.#deliveries];
  }

  async create(settings: WebhookSettings): Promise<SimWebhook> {
    const hmac = settings.hmac ?? randomBytes(32).toString('base64');
    await this.#handshake(settings.url, hmac, settings.basicAuth ?? null);
    const now = new Date(this.#options.clock.now()).toISOString();
    const webhook: SimWebhook = {
      uuid: randomUUID(),
      url: settings.url,
      hmac,
      basicAuth: settings.basicAuth ?? null,
      retryType: settings.retryType ?? 'circuit-breaker',
      eventTypes: settings.eventTypes ?? [],
      state: 'ACTIVE',
      failedCount: 0,
      lastMomentPushed: null,
      domainId: this.#options.domainId,
      createdAt: now,
      updatedAt: now,
    };
    this.#add(webhook);
    return webhook;
  }

  #add(webhook: SimWebhook): void {
    this.#webhooks.set(webhook.uuid, webhook);
    this.#senders.set(webhook.uuid, { queue: [], pumping: false });
    this.#undelivered.set(webhook.uuid, new Set());
  }

  snapshot(): WebhooksSnapshot {
    return {
      webhooks: this.list(),
      undelivered: [...this.#undelivered].flatMap(([webhookUuid, messages]) => [...messages].map((message) => ({ webhookUuid, message }))),
    };
  }

  /** Takes up a snapshot: its webhooks, and sends again what they had not delivered (a receiver dedupes by event id). */
  restore(snapshot: WebhooksSnapshot): void {
    for (const webhook of snapshot.webhooks) this.#add(webhook);
    for (const { webhookUuid, message } of snapshot.undelivered) {
      const webhook = this.#webhooks.get(webhookUuid);
      if (webhook) this.#enqueueFor(webhook, message);
    }
  }

  /** Daily's update is also its re-activation: a new handshake, then ACTIVE with failedCount 0. */
  async update(webhook: SimWebhook, settings: Partial<WebhookSettings>): Promise<SimWebhook> {
    const merged = { ...webhook, ...settings, basicAuth: settings.basicAuth ?? webhook.basicAuth };
    await this.#handshake(merged.url, merged.hmac, merged.basicAuth);
    Object.assign(webhook, merged, {
      state: 'ACTIVE',
      failedCount: 0,
      updatedAt: new Date(this.#options.clock.now()).toISOString(),
    });
    return webhook;
  }

  delete(uuid: string): boolean {
    this.#senders.delete(uuid);
    this.#undelivered.delete(uuid);
    return this.#webhooks.delete(uuid);
  }

  /** Stops sending: pending retries and delays are abandoned. */
  close(): void {
    this.#closed.abort();
  }

  /** Wraps a payload in Daily's envelope and sends it to every webhook subscribed to its type. */
  publish(type: string, id: string, payload: Record<string, unknown>): void {
    // Nobody subscribed: no message, and no effect on held ones (a reorder waits for the next real message).
    if (this.#closed.signal.aborted || this.#subscribers(type).length === 0) return;
    const envelope = { version: '1.0.0', type, id, payload, event_ts: this.#options.clock.now() / 1000 };
    const message: Message = { id, type, body: JSON.stringify(envelope) };
    // A ready-to-download says its kind, except a cloud one, which says none.
    const recordingType = type === 'recording.ready-to-download' ? String(payload.type ?? 'cloud') : null;
    const rules = (this.#options.faults().webhooks ?? []).filter((rule) =>
      (!rule.types || rule.types.includes(type)) && (!rule.recordingTypes || (recordingType !== null && rule.recordingTypes.includes(recordingType))));
    const fired = (action: WebhookFaultRule['action']) =>
      rules.find((rule) => rule.action === action && ruleFires(rule, this.#options.random));
    if (fired('drop')) {
      for (const webhook of this.#subscribers(type)) this.#log(webhook, message, 0, { outcome: 'dropped' });
      return;
    }
    const copies = fired('duplicate') ? 2 : 1;
    const delayed = fired('delay');
    const reordered = fired('reorder');
    const releaseHeld = this.#heldForReorder.splice(0);
    for (let copy = 0; copy < copies; copy++) {
      if (delayed) {
        void this.#options.work.track(this.#after(delayed.delayMs ?? 1000, () => this.#enqueue(message)));
      } else if (reordered) {
        this.#holdForReorder(message, reordered.delayMs ?? 1000);
      } else {
        this.#enqueue(message);
      }
    }
    for (const held of releaseHeld) held.release();
  }

  #holdForReorder(message: Message, maxHoldMs: number): void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const timer = setTimeout(release, maxHoldMs);
    this.#closed.signal.addEventListener('abort', release, { once: true });
    this.#heldForReorder.push({ message, release });
    void this.#options.work.track(
      released.then(() => {
        clearTimeout(timer);
        const index = this.#heldForReorder.findIndex((held) => held.message === message);
        if (index >= 0) this.#heldForReorder.splice(index, 1);
        this.#enqueue(message);
      }),
    );
  }

  #subscribers(type: string): SimWebhook[] {
    return this.list().filter((webhook) => webhook.eventTypes.length === 0 || webhook.eventTypes.includes(type));
  }

  #enqueue(message: Message): void {
    if (this.#closed.signal.aborted) return;
    for (const webhook of this.#subscribers(message.type)) this.#enqueueFor(webhook, message);
  }

  #enqueueFor(webhook: SimWebhook, message: Message): void {
    const sender = this.#senders.get(webhook.uuid)!;
    if (webhook.state === 'FAILED') {
      this.#log(webhook, message, 0, { outcome: 'discarded' });
      return;
    }
    this.#undelivered.get(webhook.uuid)?.add(message);
    sender.queue.push(message);
    if (!sender.pumping) {
      sender.pumping = true;
      void this.#options.work.track(this.#pump(webhook, sender));
    }
  }

  /** Delivered, or given up: nothing more to send of it. */
  #settled(webhook: SimWebhook, message: Message): void {
    this.#undelivered.get(webhook.uuid)?.delete(message);
  }

  /** First attempts go out one at a time, in order; exponential retries run on their own timers. */
  async #pump(webhook: SimWebhook, sender: Sender): Promise<void> {
    try {
      for (let message = sender.queue.shift(); message; message = sender.queue.shift()) {
        if (webhook.state === 'FAILED' || !this.#webhooks.has(webhook.uuid)) {
          this.#log(webhook, message, 0, { outcome: 'discarded' });
          this.#settled(webhook, message);
          continue;
        }
        await this.#attempt(webhook, message, 1);
      }
    } finally {
      sender.pumping = false;
    }
  }

  async #attempt(webhook: SimWebhook, message: Message, attempt: number): Promise<void> {
    const result = await this.#post(webhook.url, webhook.hmac, webhook.basicAuth, message.body);
    if (result.status === 200) {
      webhook.failedCount = 0;
      webhook.lastMomentPushed = new Date(this.#options.clock.now()).toISOString();
      this.#log(webhook, message, attempt, { outcome: 'delivered', status: 200 });
      this.#settled(webhook, message);
      return;
    }
    webhook.failedCount += 1;
    this.#log(webhook, message, attempt, { outcome: 'failed', ...result });
    if (webhook.retryType === 'circuit-breaker') {
      if (webhook.failedCount >= this.#retry.failureThreshold) webhook.state = 'FAILED';
      this.#settled(webhook, message);
      return;
    }
    if (attempt >= this.#retry.maxTries) {
      this.#settled(webhook, message);
    } else {
      const delay = Math.min(this.#retry.maxBackoffMs, this.#retry.backoffBaseMs * 2 ** (attempt - 1));
      void this.#options.work.track(
        this.#after(delay, () => (this.#webhooks.has(webhook.uuid) ? this.#attempt(webhook, message, attempt + 1) : undefined)),
      );
    }
  }

  /** Runs `then` after a wall-clock delay unless the dispatcher closes first. */
  #after(ms: number, then: () => unknown): Promise<void> {
    return afterUnlessAborted(ms, this.#closed.signal, then);
  }

  async #handshake(url: string, hmac: string, basicAuth: string | null): Promise<void> {
    if (!isHttpUrl(url)) throw invalidRequest(`webhook url is not an http(s) URL: ${url}`);
    const result = await this.#post(url, hmac, basicAuth, JSON.stringify({ test: 'test' }));
    if (result.status !== 200) {
      throw invalidRequest(
        `webhook endpoint ${url} failed the verification request: ${result.status ?? result.error ?? 'no answer'}`,
      );
    }
  }

  async #post(url: string, hmac: string, basicAuth: string | null, body: string): Promise<{ status?: number; error?: string }> {
    // Transport time is the wall clock: receivers check the timestamp against their own clock.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'x-webhook-signature': signDailyWebhook(hmac, timestamp, body),
      'x-webhook-timestamp': timestamp,
      ...(basicAuth !== null && { authorization: `Basic ${basicAuth}` }),
    };
    const { status, error } = await postWebhook(url, headers, body, AbortSignal.any([AbortSignal.timeout(this.#retry.timeoutMs), this.#closed.signal]));
    return status !== undefined ? { status } : { error: error! };
  }

  #log(webhook: SimWebhook, message: Message, attempt: number, result: Pick<WebhookDelivery, 'outcome' | 'status' | 'error'>): void {
    this.#deliveries.push({
      webhookUuid: webhook.uuid,
      eventId: message.id,
      type: message.type,
      attempt,
      ...result,
      at: new Date().toISOString(),
      body: message.body,
    });
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
