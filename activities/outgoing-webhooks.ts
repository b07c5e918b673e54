// Outgoing webhooks to integrators. Signature header (documented in README.md):
//   X-Webhook-Timestamp: <unix seconds>
//   X-Webhook-Signature: v1=<hex HMAC-SHA256(room webhook secret, timestamp + "." + raw body)>
// Receivers recompute it over the raw body and refuse timestamps far from their clock.
//
// A room's webhook URL is chosen by a user, so it must not reach into our own network (SSRF): private,
// loopback, link-local and other non-public addresses are refused unless explicitly allowed
// (OUTGOING_WEBHOOKS_ALLOW_PRIVATE, for development and tests).
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { metrics } from '../runtime/metrics.ts';
import { isRetryableStatus } from '../runtime/retryable.ts';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export function signOutgoingWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs a JSON webhook with the signature headers above (when there is a secret), counted in
 * outgoing_webhook_deliveries_total. A 429 or 5xx, or no answer, throws for Temporal to retry; another 4xx is final.
 */
export async function postSignedWebhook(url: string, delivery: { event: string; id: string; secret?: string | null; body: string; attempt?: number }): Promise<number> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'meeting-recorder-webhook/1',
      'x-webhook-event': delivery.event,
      'x-webhook-id': delivery.id,
      ...(delivery.attempt !== undefined && { 'x-webhook-attempt': String(delivery.attempt) }),
      ...(delivery.secret ? { 'x-webhook-signature': signOutgoingWebhook(delivery.secret, timestamp, delivery.body) } : {}),
      'x-webhook-timestamp': timestamp,
    },
    body: delivery.body,
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    metrics.outgoingDeliveries.inc({ outcome: 'failed' });
    throw error;
  });
  await response.body?.cancel();
  metrics.outgoingDeliveries.inc({ outcome: response.ok ? 'delivered' : isRetryableStatus(response.status) ? 'failed' : 'refused' });
  if (isRetryableStatus(response.status)) throw new Error(`webhook answered ${response.status}; retrying`);
  if (!response.ok) throw ApplicationFailure.nonRetryable(`webhook answered ${response.status}`, 'WebhookRefused');
  return response.status;
}

const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) nonPublic.addSubnet(network, prefix, 'ipv4');
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are unwrapped and checked as IPv4 below: a ::ffff:0:0/96 rule
// here would also match every plain IPv4 address in BlockList.
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

export class DestinationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

/** Resolves the URL's host and refuses it when any address it resolves to is not public. */
export async function assertPublicDestination(url: string, options: { allowPrivate: boolean }): Promise<void> {
  if (options.allowPrivate) return;
  const { hostname, protocol } = new URL(url);
  if (protocol !== 'https:' && protocol !== 'http:') throw new DestinationRefusedError(`webhook URL must be http(s), not ${protocol}`);
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true }).catch(() => {
    throw new DestinationRefusedError(`webhook host ${host} does not resolve`);
  });
  for (const resolved of addresses) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(resolved.address)?.[1];
    const address = mapped ?? resolved.address;
    if (nonPublic.check(address, mapped || resolved.family === 4 ? 'ipv4' : 'ipv6')) {
      throw new DestinationRefusedError(`webhook host ${host} resolves to a non-public address (${address}); refused`);
    }
  }
}
