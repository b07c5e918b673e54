import { createHmac, timingSafeEqual } from 'node:crypto';

// Daily signs webhooks as base64(HMAC-SHA256(base64decode(hmac), `${X-Webhook-Timestamp}.${rawBody}`)),
// standard base64 with padding and no prefix (docs.daily.co/reference/rest-api/webhooks).

export const SIGNATURE_HEADER = 'x-webhook-signature';
export const TIMESTAMP_HEADER = 'x-webhook-timestamp';

export function signDailyWebhook(secretBase64: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', Buffer.from(secretBase64, 'base64'))
    .update(`${timestamp}.`)
    .update(rawBody)
    .digest('base64');
}

/** Constant-time check of one signature; says nothing about freshness. */
export function verifyDailySignature(input: {
  secretBase64: string;
  timestamp: string;
  rawBody: Buffer | string;
  signature: string;
}): boolean {
  const expected = Buffer.from(signDailyWebhook(input.secretBase64, input.timestamp, input.rawBody), 'utf8');
  const given = Buffer.from(input.signature.trim(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
