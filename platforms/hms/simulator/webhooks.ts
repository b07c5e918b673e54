import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ruleFires } from '../../daily/simulator/faults.ts';
import type { FaultRuleBase } from '../../daily/simulator/faults.ts';
import { postWebhook } from '../../daily/simulator/http.ts';
import { afterUnlessAborted } from '../../daily/simulator/pending-work.ts';
import type { PendingWork } from '../../daily/simulator/pending-work.ts';

// 100ms's webhooks (docs/server-side/v2/how-to-guides/configure-webhooks): one URL per app; every event is the
// envelope `{version: "2.0", id, app_id, account_id, template_id, timestamp, type, data}` as JSON. Nothing is
// signed: the secret headers configured with the webhook are passed through as they are. A delivery answered
// with anything but 200 (or not answered) is retried 3 times, 1 s, 3 s and 10 s after the previous attempt.

export interface HmsWebhookRetryOptions {
  /** Waits before each retry. Default [1000, 3000, 10000]. */
  delaysMs?: number[];
  /** Per attempt. Default 10 s (UNCONFIRMED). */
  timeoutMs?: number;
}

export interface HmsWebhookFaultRule extends FaultRuleBase {
  /** drop: never sent. duplicate: sent twice (same id and body). delay: sent `delayMs` later (default 1 s). */
  action: 'drop' | 'duplicate' | 'delay';
  /** 100ms event types, e.g. `recording.success`; all when absent. */
  types?: string[];
  delayMs?: number;
}

export interface HmsWebhookDelivery {
  eventId: string;
  type: string;
  attempt: number;
  /** delivered: a 200. failed: another answer or none (retried unless it was the last). dropped: a fault ate it. */
  outcome: 'delivered' | 'failed' | 'dropped';
  status?: number;
  error?: string;
  /** Wall-clock time of the attempt. */
  at: string;
  body: string;
}

export interface HmsWebhookConfig {
  url: string | null;
  /** Sent with every delivery as they are: the only way a receiver can tell the webhook is 100ms's. */
  headers: Record<string, string>;
}

export interface HmsWebhookNotifierOptions {
  appId: string;
  accountId: string;
  config: HmsWebhookConfig;
  retry?: HmsWebhookRetryOptions;
  faults: () => HmsWebhookFaultRule[];
  random: () => number;
  work: PendingWork;
}

export class HmsWebhookNotifier {
  readonly #options: HmsWebhookNotifierOptions;
  readonly #delays: number[];
  readonly #timeoutMs: number;
  readonly #deliveries: HmsWebhookDelivery[] = [];
  readonly #closed = new AbortController();
  #config: HmsWebhookConfig;

  constructor(options: HmsWebhookNotifierOptions) {
    this.#options = options;
    this.#config = structuredClone(options.config);
    this.#delays = options.retry?.delaysMs ?? [1_000, 3_000, 10_000];
    this.#timeoutMs = options.retry?.timeoutMs ?? 10_000;
  }

  get config(): HmsWebhookConfig {
    return structuredClone(this.#config);
  }

  configure(config: HmsWebhookConfig): void {
    this.#config = structuredClone(config);
  }

  deliveries(): HmsWebhookDelivery[] {
    return [...this.#deliveries];
  }

  close(): void {
    this.#closed.abort();
  }

  /** Wraps `data` in the envelope (timestamp: when it is sent, UTC) and sends it to the configured URL. */
  notify(type: string, templateId: string, data: Record<string, unknown>): void {
    const { url, headers } = this.#config;
    if (this.#closed.signal.aborted || !url) return;
    const id = randomUUID();
    const body = JSON.stringify({
      version: '2.0',
      id,
      app_id: this.#options.appId,
      account_id: this.#options.accountId,
      template_id: templateId,
      timestamp: new Date().toISOString(),
      type,
      data,
    });
    const outgoing = { id, type, body, url, headers: { ...headers } };
    const rules = this.#options.faults().filter((rule) => !rule.types || rule.types.includes(type));
    const fired = (action: HmsWebhookFaultRule['action']) => rules.find((rule) => rule.action === action && ruleFires(rule, this.#options.random));
    if (fired('drop')) {
      this.#log(outgoing, 0, { outcome: 'dropped' });
      return;
    }
    const copies = fired('duplicate') ? 2 : 1;
    const delayed = fired('delay');
    for (let copy = 0; copy < copies; copy++) {
      if (delayed) void this.#options.work.track(afterUnlessAborted(delayed.delayMs ?? 1000, this.#closed.signal, () => this.#deliver(outgoing)));
      else void this.#options.work.track(this.#deliver(outgoing));
    }
  }

  async #deliver(outgoing: { id: string; type: string; body: string; url: string; headers: Record<string, string> }): Promise<void> {
    const attempts = this.#delays.length + 1;
    for (let attempt = 1; attempt <= attempts && !this.#closed.signal.aborted; attempt++) {
      const result = await postWebhook(
        outgoing.url,
        { 'content-type': 'application/json', ...outgoing.headers },
        outgoing.body,
        AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#closed.signal]),
      );
      if (result.status === 200) {
        this.#log(outgoing, attempt, { outcome: 'delivered', status: 200 });
        return;
      }
      this.#log(outgoing, attempt, { outcome: 'failed', ...(result.status !== undefined ? { status: result.status } : { error: result.error! }) });
      if (attempt < attempts) {
        try {
          await sleep(this.#delays[attempt - 1]!, undefined, { signal: this.#closed.signal });
        } catch {
          return;
        }
      }
    }
  }

  #log(outgoing: { id: string; type: string; body: string }, attempt: number, result: Pick<HmsWebhookDelivery, 'outcome' | 'status' | 'error'>): void {
    this.#deliveries.push({ eventId: outgoing.id, type: outgoing.type, attempt, ...result, at: new Date().toISOString(), body: outgoing.body });
  }
}
