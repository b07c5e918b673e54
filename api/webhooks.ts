// Platform webhooks in. The way a webhook travels, short and visible:
// HTTP → verify (signature, timestamp window) → record (WebhookEvent, before acknowledging) → signal the
// meeting's workflow (meetings/dispatcher.ts, right after the answer) → the workflow runs activities.
// A late webhook for a meeting whose workflow has finished goes straight to its recording's own workflow
// (same id, so it is processed once).
//
// The answer waits for the record, not for Temporal: the stored row is the promise to deliver. The
// dispatcher signals in arrival order per meeting, retries while Temporal is unreachable, and at start
// (and every few seconds) picks up rows a previous process recorded but did not deliver.
import { z } from 'zod';
import { trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WebhookEvent, type PlatformName } from '../db/entities.ts';
import type { RunnablePlatform } from '../runtime/config.ts';
import { WebhookPayloadError, type Platform, type PlatformEvent } from '../platforms/platform.ts';
import { DELIVERED } from '../meetings/dispatcher.ts';
import { ApiError } from './errors.ts';
import { readRawBody } from './body.ts';
import type { ApiContext } from './app.ts';
import { endpoint } from './endpoint.ts';
import { rules } from './access.ts';
import { metrics } from '../runtime/metrics.ts';

const WEBHOOK_BODY_LIMIT = 256 * 1024;
/** Daily sends application/json, LiveKit application/webhook+json; each platform's verification checks its own. */
const ACCEPTED_TYPES = ['application/json', 'application/webhook+json'];

const webhookAnswer = z.object({ ok: z.literal(true), outcome: z.string().optional(), duplicate: z.boolean().optional() });

/** How each platform signs its webhooks (the route's documentation). */
const SCHEMES: Record<RunnablePlatform, string> = {
  daily: 'Daily: X-Webhook-Signature is the base64 HMAC-SHA256 of `timestamp.body` with the webhook secret; X-Webhook-Timestamp within 5 minutes; body application/json.',
  livekit: 'LiveKit: Authorization is a JWT (no "Bearer"), HS256 with the API secret, `iss` = the API key, whose `sha256` claim is base64(sha256(body)); body application/webhook+json; an event older than 10 minutes is refused.',
  '100ms': '100ms: signs nothing; the secret header configured with the webhook at 100ms (HMS_WEBHOOK_HEADER, default x-webhook-secret) must carry HMS_WEBHOOK_SECRET (compared in constant time); the envelope `timestamp` within 5 minutes (HMS_WEBHOOK_TOLERANCE_SECONDS); a repeated envelope `id` is acknowledged and applied once; body application/json.',
  whereby: 'Whereby: Whereby-Signature is `t=<unix seconds>,v1=<hex HMAC-SHA256 of `t.body` with the webhook secret>`; t within 5 minutes; a signature already accepted is refused as a replay; body application/json.',
};

export const webhookEndpoints = [
  endpoint({
    method: 'post',
    path: '/v1/webhooks/:platform',
    summary: "A video platform's webhooks (verified by its own scheme, recorded, then signalled to the meeting's workflow)",
    description: `Each platform's events at its own path, verified as that platform signs them. ${Object.values(SCHEMES).join(' ')} Recorded before the answer; a redelivered event is acknowledged and applied once.`,
    tag: 'webhooks',
    access: rules.platformSignature,
    params: z.object({ platform: z.string() }),
    rawBody: { contentType: 'application/json', description: "The platform's event, verified over its exact bytes" },
    bodyLimit: WEBHOOK_BODY_LIMIT,
    responses: {
      200: { description: 'Recorded (or a duplicate, or ignored)', schema: webhookAnswer },
      401: { description: 'Signature or timestamp refused' },
      404: { description: 'No such platform is configured here' },
    },
    async handler(ctx, { params }) {
      // Counted by platform (a name not configured here counts as `unknown`) and outcome; timed to the answer.
      const found = ctx.state.services.platforms.find(params.platform);
      const platform = found?.name ?? 'unknown';
      const answered = metrics.webhookResponseSeconds.startTimer({ platform });
      try {
        if (!found) throw new ApiError(404, 'platform_not_configured', `No platform "${params.platform}" is configured here (configured: ${ctx.state.services.platforms.names.join(', ')})`);
        await answerWebhook(ctx, found);
        const answer = ctx.body as z.infer<typeof webhookAnswer>;
        metrics.webhooksReceived.inc({ platform, outcome: answer.duplicate ? 'duplicate' : answer.outcome ?? 'handshake' });
      } catch (error) {
        metrics.webhooksReceived.inc({ platform, outcome: error instanceof ApiError ? error.code : 'error' });
        throw error;
      } finally {
        answered();
      }
    },
  }),
];

/** Verify, record, hand to the dispatcher: the answer is ctx.body, a refusal an ApiError. */
async function answerWebhook(ctx: ApiContext, platform: Platform): Promise<void> {
  const rawBody = await readRawBody(ctx, WEBHOOK_BODY_LIMIT, ACCEPTED_TYPES);
  const verdict = await platform.verifyWebhook({ rawBody, headers: ctx.headers, now: new Date() });
  if (!verdict.ok) throw new ApiError(401, verdict.reason, `Webhook signature could not be verified${verdict.detail ? `: ${verdict.detail}` : ''}`);
  let parsed;
  try {
    parsed = platform.parseWebhook(rawBody);
  } catch (error) {
    if (error instanceof WebhookPayloadError) throw new ApiError(400, 'invalid_webhook', error.message);
    throw error;
  }
  if (parsed.kind === 'handshake') {
    ctx.body = { ok: true };
    return;
  }
  const payload: unknown = JSON.parse(rawBody.toString('utf8'));
  if (parsed.kind === 'ignored') {
    const eventId = typeof (payload as { id?: unknown }).id === 'string' ? (payload as { id: string }).id : `${parsed.type}:${Date.now()}`;
    await record(ctx, platform.name, { eventId, type: parsed.type, payload, meetingId: null, outcome: 'ignored' });
    ctx.body = { ok: true, outcome: 'ignored' };
    return;
  }

  const event = parsed.event;
  trace.getActiveSpan()?.setAttributes({ 'webhook.platform': platform.name, 'webhook.event_type': event.type });
  const stored = await recordAndMatch(ctx, platform.name, event, payload);
  if (stored.duplicate && DELIVERED.has(stored.outcome)) {
    ctx.body = { ok: true, duplicate: true };
    return;
  }
  if (!stored.meetingId) {
    await ctx.state.em.getConnection().execute(`update webhook_event set outcome = 'unmatched' where id = ?`, [stored.id]);
    ctx.body = { ok: true, outcome: 'unmatched' };
    return;
  }
  trace.getActiveSpan()?.setAttribute('meeting.id', stored.meetingId);
  ctx.state.webhookDispatcher.enqueue({ rowId: stored.id, meetingId: stored.meetingId, event });
  ctx.body = { ok: true, outcome: 'accepted', ...(stored.duplicate ? { duplicate: true } : {}) };
}

async function record(ctx: ApiContext, platform: string, fields: { eventId: string; type: string; payload: unknown; meetingId: string | null; outcome: string }) {
  const em = ctx.state.em.fork();
  try {
    const row = em.create(WebhookEvent, { platform: platform as PlatformName, ...fields });
    await em.flush();
    return { row, duplicate: false };
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    const row = await ctx.state.em.fork().findOneOrFail(WebhookEvent, { platform: platform as PlatformName, eventId: fields.eventId });
    return { row, duplicate: true };
  }
}

/**
 * Records the event and matches its meeting on this platform in one statement (the hot path of every webhook): by
 * instance id for recording events that carry one (cloud = meeting id, raw-tracks = its UUIDv5), else by the
 * platform room name, the meeting whose start is closest to the event within a week (late discovery, clock skew).
 */
async function recordAndMatch(ctx: ApiContext, platform: string, event: PlatformEvent, payload: unknown): Promise<{ id: string; meetingId: string | null; duplicate: boolean; outcome: string }> {
  const connection = ctx.state.em.getConnection();
  const instanceId = event.type === 'recording.started' || event.type === 'recording.error' ? event.instanceId : null;
  const roomName = 'roomName' in event ? event.roomName : null;
  const at = (event.type === 'recording.ready' ? event.startedAt : event.occurredAt).toISOString();
  const rows: Array<{ id: string; meeting_id: string | null }> = await connection.execute(
    `insert into webhook_event (id, platform, event_id, type, received_at, payload, meeting_id, outcome)
     select ?, ?, ?, ?, now(), ?::jsonb, coalesce(
       (select m.id from meeting m where ?::text is not null and m.platform = ? and (m.raw_tracks_instance_id::text = ? or m.id::text = ?) limit 1),
       (select m.id from meeting m where m.platform = ? and m.platform_room_name = ?
          and m.start_date between ?::timestamptz - interval '7 days' and ?::timestamptz + interval '7 days'
          order by abs(extract(epoch from (m.start_date - ?::timestamptz))), m.id limit 1)
     ), 'received'
     on conflict (platform, event_id) do nothing
     returning id, meeting_id`,
    [randomUUID(), platform, event.eventId, event.type, JSON.stringify(payload), instanceId, platform, instanceId, instanceId, platform, roomName, at, at, at],
  );
  if (rows[0]) return { id: rows[0].id, meetingId: rows[0].meeting_id, duplicate: false, outcome: 'received' };
  const [existing] = await connection.execute<Array<{ id: string; meeting_id: string | null; outcome: string }>>(
    `select id, meeting_id, outcome from webhook_event where platform = ? and event_id = ?`, [platform, event.eventId],
  );
  return { id: existing!.id, meetingId: existing!.meeting_id, duplicate: true, outcome: existing!.outcome };
}
