import { createHmac, timingSafeEqual } from 'node:crypto';

// Whereby signs a webhook (docs.whereby.com, "Webhooks": verifying the signature) with the header
// `Whereby-Signature: t=<unix seconds>,v1=<hex>`, where v1 = hex(HMAC-SHA256(secret as UTF-8 bytes, `${t}.${body}`))
// over the JSON body exactly as sent (compact). The secret is used as it is: no base64 decoding.

export const WHEREBY_SIGNATURE_HEADER = 'whereby-signature';

export function signWherebyWebhook(secret: string, timestampSeconds: number | string, rawBody: Buffer | string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
}

/** The header Whereby sends with a body. */
export function wherebySignatureHeader(secret: string, timestampSeconds: number, rawBody: Buffer | string): string {
  return `t=${timestampSeconds},v1=${signWherebyWebhook(secret, timestampSeconds, rawBody)}`;
}

/** `t=…,v1=…` split into its timestamp and its v1 signatures (a header may carry several); null when it has neither. */
export function parseWherebySignatureHeader(header: string): { timestamp: string; signatures: string[] } | null {
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') signatures.push(value);
  }
  if (timestamp === undefined || !/^\d+$/.test(timestamp) || signatures.length === 0) return null;
  return { timestamp, signatures };
}

/** Constant-time check that one of `signatures` signs `t.body`; says nothing about freshness. */
export function wherebySignatureMatches(input: { secret: string; timestamp: string; rawBody: Buffer | string; signatures: readonly string[] }): boolean {
  const expected = Buffer.from(signWherebyWebhook(input.secret, input.timestamp, input.rawBody), 'utf8');
  let matched = false;
  for (const signature of input.signatures) {
    const given = Buffer.from(signature.toLowerCase(), 'utf8');
    // Every candidate is compared, so the time taken does not say which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}
