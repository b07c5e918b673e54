import { parseWherebySignatureHeader, wherebySignatureMatches } from './signature.ts';

// Verifying a Whereby webhook (docs.whereby.com, "Webhooks"): the `Whereby-Signature` header's v1 must be the
// HMAC of `t.body` with our secret (signature.ts), compared in constant time, and `t` must be within a window of
// our clock (Whereby's own sample allows 1 minute; we allow a few, for clock skew and its retries). A captured
// delivery stays verifiable for that window, so a signature already accepted is refused as a replay; Whereby signs
// each attempt anew, so its own retry of the same event id passes here and is deduplicated by event id where
// events are recorded (the webhook table's unique event id).

export type WherebyWebhookRefusal =
  | 'missing-signature'
  | 'malformed-signature'
  | 'bad-signature'
  | 'stale-timestamp'
  | 'future-timestamp'
  | 'replayed'
  | 'unexpected-content-type';

export type WherebyWebhookVerdict = { ok: true; timestamp: number } | { ok: false; refusal: WherebyWebhookRefusal; detail: string };

export interface WherebyWebhookVerifierOptions {
  secret: string;
  /** How far `t` may be from our clock, either way. Default 300 s. */
  toleranceSeconds?: number;
}

export class WherebyWebhookVerifier {
  readonly #secret: string;
  readonly #toleranceSeconds: number;
  /** Accepted signatures (`t,v1`) with their `t`, kept while they would still pass the window. */
  readonly #accepted = new Map<string, number>();

  constructor(options: WherebyWebhookVerifierOptions) {
    this.#secret = options.secret;
    this.#toleranceSeconds = options.toleranceSeconds ?? 300;
  }

  verify(input: { rawBody: Buffer | string; signature: string | undefined; contentType?: string | undefined; now: Date }): WherebyWebhookVerdict {
    const { signature, contentType } = input;
    if (contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
      return { ok: false, refusal: 'unexpected-content-type', detail: `content type ${contentType}, expected application/json` };
    }
    if (signature === undefined || signature.trim() === '') return { ok: false, refusal: 'missing-signature', detail: 'no Whereby-Signature header' };
    const parsed = parseWherebySignatureHeader(signature);
    if (!parsed) return { ok: false, refusal: 'malformed-signature', detail: 'Whereby-Signature is not t=<unix seconds>,v1=<hex>' };
    if (!wherebySignatureMatches({ secret: this.#secret, timestamp: parsed.timestamp, rawBody: input.rawBody, signatures: parsed.signatures })) {
      return { ok: false, refusal: 'bad-signature', detail: 'no v1 signature matches the body' };
    }
    const timestamp = Number(parsed.timestamp);
    const nowSeconds = input.now.getTime() / 1000;
    const signedAt = new Date(timestamp * 1000).toISOString();
    if (nowSeconds - timestamp > this.#toleranceSeconds) return { ok: false, refusal: 'stale-timestamp', detail: `signed ${signedAt}, more than ${this.#toleranceSeconds} s ago` };
    if (timestamp - nowSeconds > this.#toleranceSeconds) return { ok: false, refusal: 'future-timestamp', detail: `signed ${signedAt}, ahead of our clock` };
    this.#forgetBefore(nowSeconds - this.#toleranceSeconds);
    const key = `${parsed.timestamp},${[...parsed.signatures].sort().join(',')}`;
    if (this.#accepted.has(key)) return { ok: false, refusal: 'replayed', detail: `this signed delivery (t=${parsed.timestamp}) was accepted before` };
    this.#accepted.set(key, timestamp);
    return { ok: true, timestamp };
  }

  #forgetBefore(seconds: number): void {
    for (const [key, timestamp] of this.#accepted) if (timestamp < seconds) this.#accepted.delete(key);
  }
}
