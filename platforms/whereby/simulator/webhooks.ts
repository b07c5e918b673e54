import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ruleFires } from '../../daily/simulator/faults.ts';
import type { FaultRuleBase } from '../../daily/simulator/faults.ts';
import { postWebhook } from '../../daily/simulator/http.ts';
import { OrderedQueues, afterUnlessAborted } from '../../daily/simulator/pending-work.ts';
import type { PendingWork } from '../../daily/simulator/pending-work.ts';
import { wherebySignatureHeader } from '../signature.ts';

// Whereby's webhook side (docs.whereby.com, "Webhooks"): each event is POSTed to every configured URL as
// compact JSON `{id, apiVersion: "1.0", createdAt, type, data}` with `Whereby-Signature: t=<unix>,v1=<hex>`
// over exactly the bytes sent. "Failed delivery": a 5xx answer, or no answer within 5 s, is tried again, a total
// of 2 retries with a short exponential backoff; any other answer (a 4xx included) ends the delivery. Each
// attempt is signed when it is sent (its own `t`), the body and id stay the same.

export type WherebyEventType =
  | 'room.client.joined'
  | 'room.client.left'
  | 'room.session.started'
  | 'room.session.ended'
  | 'recording.finished';

export interface WherebyWebhookRetryOptions {
  /** Retries after the first attempt. Default 2. */
  retries?: number;
  /** The first backoff; doubled for the next. Default 1 s. */
  backoffMs?: number;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
}

export interface WherebyWebhookFaultRule extends FaultRuleBase {
  /** drop: never sent. delay: sent `delayMs` later (later events overtake it). */
  action: 'drop' | 'delay';
  types?: WherebyEventType[];
  delayMs?: number;
}

export interface WherebyWebhookDelivery {
  url: string;
  eventId: string;
  type: string;
  attempt: number;
  /** delivered: a 2xx. rejected: a final non-2xx answer. failed: this attempt will be retried, or was the last.
   * dropped: a fault knob ate the event. */
  outcome: 'delivered' | 'rejected' | 'failed' | 'dropped';
  status?: number;
  error?: string;
  /** Wall-clock time of the attempt. */
  at: string;
  /** The header this attempt carried. */
  signature?: string;
  body: string;
}

export interface WherebyWebhookNotifierOptions {
  secret: string;
  urls: string[];
  retry?: WherebyWebhookRetryOptions;
  faults: () => WherebyWebhookFaultRule[];
  random: () => number;
  work: PendingWork;
}

interface Outgoing {
  id: string;
  type: string;
  body: string;
}

export class WherebyWebhookNotifier {
  readonly #options: WherebyWebhookNotifierOptions;
  readonly #retry: Required<WherebyWebhookRetryOptions>;
  readonly #queues: OrderedQueues<Outgoing>;
  readonly #deliveries: WherebyWebhookDelivery[] = [];
  readonly #closed = new AbortController();
  #urls: string[];

  constructor(options: WherebyWebhookNotifierOptions) {
    this.#options = options;
    this.#queues = new OrderedQueues(options.work, (url, outgoing) => this.#deliver(url, outgoing));
    this.#urls = [...options.urls];
    this.#retry = { retries: 2, backoffMs: 1_000, timeoutMs: 5_000, ...options.retry };
  }

  get urls(): string[] {
    return [...this.#urls];
  }

  setUrls(urls: string[]): void {
    this.#urls = [...urls];
  }

  deliveries(): WherebyWebhookDelivery[] {
    return [...this.#deliveries];
  }

  close(): void {
    this.#closed.abort();
  }

  /** `createdAt`: when it happened on the meeting's timeline. */
  notify(type: WherebyEventType, data: Record<string, unknown>, createdAtMs: number): void {
    if (this.#closed.signal.aborted || this.#urls.length === 0) return;
    const id = randomUUID();
    const outgoing: Outgoing = { id, type, body: JSON.stringify({ id, apiVersion: '1.0', createdAt: new Date(createdAtMs).toISOString(), type, data }) };
    const rules = this.#options.faults().filter((rule) => !rule.types || rule.types.includes(type));
    const fired = (action: WherebyWebhookFaultRule['action']) => rules.find((rule) => rule.action === action && ruleFires(rule, this.#options.random));
    if (fired('drop')) {
      for (const url of this.#urls) this.#log(url, outgoing, 0, { outcome: 'dropped' });
      return;
    }
    const delayed = fired('delay');
    for (const url of this.#urls) {
      if (delayed) void this.#options.work.track(afterUnlessAborted(delayed.delayMs ?? 1000, this.#closed.signal, () => this.#queues.push(url, outgoing)));
      else this.#queues.push(url, outgoing);
    }
  }

  async #deliver(url: string, outgoing: Outgoing): Promise<void> {
    const attempts = this.#retry.retries + 1;
    for (let attempt = 1; attempt <= attempts && !this.#closed.signal.aborted; attempt++) {
      const signature = wherebySignatureHeader(this.#options.secret, Math.floor(Date.now() / 1000), outgoing.body);
      const headers = { 'content-type': 'application/json', 'whereby-signature': signature };
      const result = await postWebhook(url, headers, outgoing.body, AbortSignal.any([AbortSignal.timeout(this.#retry.timeoutMs), this.#closed.signal]));
      const logged = { signature, ...(result.status !== undefined ? { status: result.status } : { error: result.error! }) };
      if (result.status !== undefined && result.status >= 200 && result.status < 300) {
        this.#log(url, outgoing, attempt, { outcome: 'delivered', ...logged });
        return;
      }
      if (result.status !== undefined && result.status < 500) {
        this.#log(url, outgoing, attempt, { outcome: 'rejected', ...logged });
        return;
      }
      this.#log(url, outgoing, attempt, { outcome: 'failed', ...logged });
      if (attempt < attempts) {
        try {
          await sleep(this.#retry.backoffMs * 2 ** (attempt - 1), undefined, { signal: this.#closed.signal });
        } catch {
          return;
        }
      }
    }
  }

  #log(url: string, outgoing: Outgoing, attempt: number, result: Pick<WherebyWebhookDelivery, 'outcome' | 'status' | 'error' | 'signature'>): void {
    this.#deliveries.push({ url, eventId: outgoing.id, type: outgoing.type, attempt, ...result, at: new Date().toISOString(), body: outgoing.body });
  }
}
