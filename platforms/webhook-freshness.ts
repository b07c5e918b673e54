// Replay protection for webhooks that a receiver can verify long after they were sent (a LiveKit token lives 5
// minutes; 100ms signs nothing at all) and that platforms resend (retries, duplicates with the same id). Accept an
// event once per id and only while its creation time is within a window of our clock; keep the ids seen for at
// least that window.

export interface WebhookFreshnessPolicy {
  /** How old the event may be. Default 10 minutes (LiveKit: its token's 5 minutes plus its retry backoff). */
  maxAgeSeconds?: number;
  /** How far ahead of our clock the event may be (clock skew). Default 60 s. */
  maxSkewSeconds?: number;
}

export type WebhookFreshness = 'fresh' | 'duplicate' | 'stale' | 'from-the-future';

/** Pure: judges one verified event (`createdAt` in Unix seconds) against the ids already accepted and our clock. */
export function judgeWebhookFreshness(
  event: { id: string; createdAt: bigint | number },
  context: { now: Date; seenEventIds: ReadonlySet<string> },
  policy: WebhookFreshnessPolicy = {},
): WebhookFreshness {
  if (context.seenEventIds.has(event.id)) return 'duplicate';
  const ageSeconds = context.now.getTime() / 1000 - Number(event.createdAt);
  if (ageSeconds > (policy.maxAgeSeconds ?? 600)) return 'stale';
  if (-ageSeconds > (policy.maxSkewSeconds ?? 60)) return 'from-the-future';
  return 'fresh';
}
