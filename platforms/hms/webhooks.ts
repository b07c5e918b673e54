import { createHash, timingSafeEqual } from 'node:crypto';
import { judgeWebhookFreshness } from '../webhook-freshness.ts';
import type { WebhookFreshnessPolicy } from '../webhook-freshness.ts';

// 100ms signs no webhook (configure-webhooks/secure-webhooks.mdx): the webhook's configuration names secret
// headers that 100ms sends as they are, and the receiver checks them (and may allow-list 100ms's addresses). So
// we require every configured header with its exact value (compared in constant time), and, since a captured
// webhook would otherwise be replayable forever, refuse one whose envelope `timestamp` is outside a window of our
// clock; a repeated envelope `id` (100ms's own retries) is accepted here and deduplicated by the webhook table's
// unique event id, so a retry of an event we stored still gets its 200 and stops.
//
// What this leaves open: anyone who learns the header value (it travels with every delivery, so a TLS-terminating
// proxy's logs are enough) can forge events within the window, and nothing ties the body to the header.

export type HmsWebhookRefusal = 'missing-secret-header' | 'wrong-secret-header' | 'unexpected-content-type' | 'malformed-body' | 'stale' | 'from-the-future';

export interface HmsWebhookEnvelope {
  version: string;
  id: string;
  app_id?: string;
  account_id?: string;
  template_id?: string;
  timestamp: string;
  type: string;
  data: Record<string, unknown>;
}

export interface HmsWebhookCheck {
  /** The secret headers configured with the webhook at 100ms: every one must come with its value. */
  secretHeaders: Readonly<Record<string, string>>;
  /** How old the envelope's timestamp may be. Default 5 minutes: 100ms's retries end 14 s after the first try. */
  maxAgeSeconds?: number;
  maxSkewSeconds?: number;
}

export type HmsWebhookVerdict = { ok: true; envelope: HmsWebhookEnvelope } | { ok: false; refusal: HmsWebhookRefusal; detail: string };

export function verifyHmsWebhook(
  request: { rawBody: Buffer | string; headers: Record<string, string | string[] | undefined>; now: Date },
  check: HmsWebhookCheck,
): HmsWebhookVerdict {
  for (const [name, expected] of Object.entries(check.secretHeaders)) {
    const given = header(request.headers, name.toLowerCase());
    if (given === undefined) return { ok: false, refusal: 'missing-secret-header', detail: `no ${name} header` };
    if (!sameSecret(given, expected)) return { ok: false, refusal: 'wrong-secret-header', detail: `the ${name} header does not match` };
  }
  const contentType = header(request.headers, 'content-type');
  if (contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    return { ok: false, refusal: 'unexpected-content-type', detail: `content type ${contentType}` };
  }
  const envelope = parseHmsEnvelope(request.rawBody);
  if (typeof envelope === 'string') return { ok: false, refusal: 'malformed-body', detail: envelope };
  const policy: WebhookFreshnessPolicy = { maxAgeSeconds: check.maxAgeSeconds ?? 300, ...(check.maxSkewSeconds !== undefined && { maxSkewSeconds: check.maxSkewSeconds }) };
  const freshness = judgeWebhookFreshness({ id: envelope.id, createdAt: Date.parse(envelope.timestamp) / 1000 }, { now: request.now, seenEventIds: new Set() }, policy);
  if (freshness === 'stale' || freshness === 'from-the-future') return { ok: false, refusal: freshness, detail: `sent ${envelope.timestamp}` };
  return { ok: true, envelope };
}

/** The envelope, or what is wrong with it. */
export function parseHmsEnvelope(rawBody: Buffer | string): HmsWebhookEnvelope | string {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString());
  } catch (error) {
    return `the body is not JSON: ${(error as Error).message}`;
  }
  const e = json as Partial<HmsWebhookEnvelope> | null;
  if (typeof e !== 'object' || e === null) return 'the body is not an object';
  if (typeof e.id !== 'string' || e.id === '') return 'the envelope has no id';
  if (typeof e.type !== 'string' || e.type === '') return 'the envelope has no type';
  if (typeof e.timestamp !== 'string' || Number.isNaN(Date.parse(e.timestamp))) return 'the envelope has no valid timestamp';
  if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data)) return 'the envelope has no data object';
  return e as HmsWebhookEnvelope;
}

/** Equal digests say equal values without the comparison's time telling how much of a guess was right. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Node lowercases incoming header names; other callers may not. */
function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(entry) ? entry[0] : entry;
}
