// Outgoing webhooks to integrators. Signature header (documented in README.md):
//   X-Webhook-Timestamp: <unix seconds>
//   X-Webhook-Signature: v1=<hex HMAC-SHA256(room webhook secret, timestamp + "." + raw body)>
// Receivers recompute it over the raw body and refuse timestamps far from their clock.
import { createHmac } from 'node:crypto';

export function signOutgoingWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
