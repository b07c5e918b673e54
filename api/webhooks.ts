// Platform webhooks in. The way a webhook travels, short and visible:
// HTTP → verify (signature, timestamp window) → record (WebhookEvent, before acknowledging) → signal the
// meeting's workflow (the dispatcher below, right after the answer) → the workflow runs activities.
// A late webhook for a meeting whose workflow has finished goes straight to its recording's own workflow
// (same id, so it is processed once).
//
// The answer waits for the record, not for Temporal: the stored row is the promise to deliver. The
// dispatcher signals in arrival order per meeting, retries while Temporal is unreachable, and at start
// (and every few seconds) picks up rows a previous process recorded but did not deliver.
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Meeting, WebhookEvent } from '../db/entities.ts';
import { WebhookPayloadError, type PlatformEvent } from '../platforms/platform.ts';
import { meetingEventSignal } from '../workflows/meeting.ts';
import { meetingWorkflowId, type MeetingEvent } from '../meetings/messages.ts';
import { startRecordingPipeline } from '../recordings/pipeline.ts';
import { ApiError } from './errors.ts';
import { readRawBody } from './body.ts';
import type { ApiContext } from './app.ts';
import { endpoint } from './endpoint.ts';
import { rules } from './access.ts';
import type { Services } from '../runtime/services.ts';

const WEBHOOK_BODY_LIMIT = 256 * 1024;
const DELIVERED = new Set(['signaled', 'recording-workflow', 'unmatched', 'ignored', 'late', 'recording-not-allowed']);

const webhookAnswer = z.object({ ok: z.literal(true), outcome: z.string().optional(), duplicate: z.boolean().optional() });

export const webhookEndpoints = [
  endpoint({
    method: 'post',
    path: '/v1/webhooks/daily',
    summary: "Daily's webhooks (verified, recorded, then signalled to the meeting's workflow)",
    description: 'Signed by Daily (X-Webhook-Signature: base64 HMAC-SHA256 of `timestamp.body` with the webhook secret; X-Webhook-Timestamp within 5 minutes). Recorded before the answer; a redelivered event is acknowledged and applied once.',
    tag: 'webhooks',
    access: rules.platformSignature,
    rawBody: { contentType: 'application/json', description: "Daily's event, verified over its exact bytes" },
    bodyLimit: WEBHOOK_BODY_LIMIT,
    responses: {
      200: { description: 'Recorded (or a duplicate, or ignored)', schema: webhookAnswer },
      401: { description: 'Signature or timestamp refused' },
    },
    async handler(ctx) {
      const { platform } = ctx.state.services;
      const rawBody = await readRawBody(ctx, WEBHOOK_BODY_LIMIT, 'application/json');
      const verdict = platform.verifyWebhook({ rawBody, headers: ctx.headers, now: new Date() });
      if (!verdict.ok) throw new ApiError(401, verdict.reason, 'Webhook signature could not be verified');
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
        await record(ctx, { eventId, type: parsed.type, payload, meetingId: null, outcome: 'ignored' });
        ctx.body = { ok: true, outcome: 'ignored' };
        return;
      }

      const event = parsed.event;
      const stored = await recordAndMatch(ctx, event, payload);
      if (stored.duplicate && DELIVERED.has(stored.outcome)) {
        ctx.body = { ok: true, duplicate: true };
        return;
      }
      if (!stored.meetingId) {
        await ctx.state.em.getConnection().execute(`update webhook_event set outcome = 'unmatched' where id = ?`, [stored.id]);
        ctx.body = { ok: true, outcome: 'unmatched' };
        return;
      }
      ctx.state.webhookDispatcher.enqueue({ rowId: stored.id, meetingId: stored.meetingId, event });
      ctx.body = { ok: true, outcome: 'accepted', ...(stored.duplicate ? { duplicate: true } : {}) };
    },
  }),
];

interface Delivery {
  rowId: string;
  meetingId: string;
  event: PlatformEvent;
}

/** Delivers recorded webhooks to Temporal: per meeting in arrival order, retrying until Temporal answers. */
export class WebhookDispatcher {
  readonly #services: Pick<Services, 'db' | 'temporal' | 'config' | 'platform'>;
  readonly #chains = new Map<string, Promise<void>>();
  readonly #log: (message: string, fields: Record<string, unknown>) => void;
  #sweep: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(services: Pick<Services, 'db' | 'temporal' | 'config' | 'platform'>, log: (message: string, fields: Record<string, unknown>) => void) {
    this.#services = services;
    this.#log = log;
  }

  enqueue(delivery: Delivery): void {
    const previous = this.#chains.get(delivery.meetingId) ?? Promise.resolve();
    const next = previous.then(() => this.#deliverWithRetry(delivery));
    this.#chains.set(delivery.meetingId, next);
    void next.finally(() => {
      if (this.#chains.get(delivery.meetingId) === next) this.#chains.delete(delivery.meetingId);
    });
  }

  /** Recorded but undelivered rows (a previous process stopped between the answer and the signal). */
  async sweep(olderThanMs = 5000): Promise<number> {
    const em = this.#services.db.em.fork();
    const rows = await em.find(WebhookEvent, { outcome: 'received', meetingId: { $ne: null }, receivedAt: { $lt: new Date(Date.now() - olderThanMs) } }, { orderBy: { receivedAt: 'asc' }, limit: 500 });
    for (const row of rows) {
      const parsed = this.#services.platform.parseWebhook(Buffer.from(JSON.stringify(row.payload)));
      if (parsed.kind === 'event' && row.meetingId) this.enqueue({ rowId: row.id, meetingId: row.meetingId, event: parsed.event });
    }
    return rows.length;
  }

  start(intervalMs = 5000): void {
    const tick = () => void this.sweep().catch((error: unknown) => this.#log('webhook sweep failed', { error: (error as Error).message }));
    tick();
    this.#sweep = setInterval(tick, intervalMs);
    this.#sweep.unref();
  }

  /** Waits (bounded) for deliveries in flight. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#sweep);
    const pending = Promise.allSettled([...this.#chains.values()]);
    await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  async #deliverWithRetry(delivery: Delivery): Promise<void> {
    for (let attempt = 1; !this.#stopped || attempt === 1; attempt++) {
      try {
        const em = this.#services.db.em.fork();
        const row = await em.findOne(WebhookEvent, delivery.rowId);
        if (!row || DELIVERED.has(row.outcome)) return; // another process got there first
        const meeting = await em.findOneOrFail(Meeting, delivery.meetingId, { populate: ['room'] });
        const outcome = await deliver(this.#services, meeting, delivery.event);
        await em.nativeUpdate(WebhookEvent, { id: delivery.rowId }, { outcome });
        return;
      } catch (error) {
        this.#log('webhook delivery failed; retrying', { eventId: delivery.event.eventId, attempt, error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 250 * 2 ** Math.min(attempt, 7))).unref());
      }
    }
  }
}

async function record(ctx: ApiContext, fields: { eventId: string; type: string; payload: unknown; meetingId: string | null; outcome: string }) {
  const em = ctx.state.em.fork();
  try {
    const row = em.create(WebhookEvent, { platform: 'daily', ...fields });
    await em.flush();
    return { row, duplicate: false };
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    const row = await ctx.state.em.fork().findOneOrFail(WebhookEvent, { platform: 'daily', eventId: fields.eventId });
    return { row, duplicate: true };
  }
}

/**
 * Records the event and matches its meeting in one statement (the hot path of every webhook): by instance id
 * for recording events that carry one (cloud = meeting id, raw-tracks = its UUIDv5), else by the platform room
 * name, the meeting whose start is closest to the event within a week (late discovery, clock skew).
 */
async function recordAndMatch(ctx: ApiContext, event: PlatformEvent, payload: unknown): Promise<{ id: string; meetingId: string | null; duplicate: boolean; outcome: string }> {
  const connection = ctx.state.em.getConnection();
  const instanceId = event.type === 'recording.started' || event.type === 'recording.error' ? event.instanceId : null;
  const roomName = 'roomName' in event ? event.roomName : null;
  const at = (event.type === 'recording.ready' ? event.startedAt : event.occurredAt).toISOString();
  const rows: Array<{ id: string; meeting_id: string | null }> = await connection.execute(
    `insert into webhook_event (id, platform, event_id, type, received_at, payload, meeting_id, outcome)
     select ?, 'daily', ?, ?, now(), ?::jsonb, coalesce(
       (select m.id from meeting m where ?::text is not null and (m.raw_tracks_instance_id::text = ? or m.id::text = ?) limit 1),
       (select m.id from meeting m where m.platform_room_name = ?
          and m.start_date between ?::timestamptz - interval '7 days' and ?::timestamptz + interval '7 days'
          order by abs(extract(epoch from (m.start_date - ?::timestamptz))), m.id limit 1)
     ), 'received'
     on conflict (platform, event_id) do nothing
     returning id, meeting_id`,
    [randomUUID(), event.eventId, event.type, JSON.stringify(payload), instanceId, instanceId, instanceId, roomName, at, at, at],
  );
  if (rows[0]) return { id: rows[0].id, meetingId: rows[0].meeting_id, duplicate: false, outcome: 'received' };
  const [existing] = await connection.execute<Array<{ id: string; meeting_id: string | null; outcome: string }>>(
    `select id, meeting_id, outcome from webhook_event where platform = 'daily' and event_id = ?`, [event.eventId],
  );
  return { id: existing!.id, meetingId: existing!.meeting_id, duplicate: true, outcome: existing!.outcome };
}

async function deliver(services: Pick<Services, 'temporal' | 'config'>, meeting: Meeting, event: PlatformEvent): Promise<string> {
  const { temporal, config } = services;
  // A recording the room's type forbids (started at the platform, not by us) is kept out of the pipeline.
  if (event.type.startsWith('recording.') && meeting.recordingType !== 'cloud') return 'recording-not-allowed';
  const signal = toMeetingEvent(event);
  try {
    await temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).signal(meetingEventSignal, signal);
    return 'signaled';
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  // The meeting's run has finished: a late recording still gets processed, once.
  if (signal.type !== 'recording.ready') return 'late';
  const { eventId: _eventId, type: _type, ...ready } = signal;
  try {
    await startRecordingPipeline(temporal, config.temporal.taskQueue, { meetingId: meeting.id, roomName: meeting.room.name, ...ready }, {
      runs: 'once',
      summary: `${ready.kind} recording ${ready.recordingId} of room "${meeting.room.name}" (late webhook)`,
    });
  } catch (error) {
    if ((error as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw error;
  }
  return 'recording-workflow';
}

export function toMeetingEvent(event: PlatformEvent): MeetingEvent {
  const at = event.occurredAt.toISOString();
  switch (event.type) {
    case 'participant.joined':
      return { type: event.type, eventId: event.eventId, sessionId: event.sessionId, userId: event.userId ?? null, userName: event.userName ?? null, isOwner: event.isOwner, at };
    case 'participant.left':
      return { type: event.type, eventId: event.eventId, sessionId: event.sessionId, at };
    case 'meeting.started':
    case 'meeting.ended':
      return { type: event.type, eventId: event.eventId, platformMeetingId: event.platformMeetingId, at };
    case 'recording.started':
      return { type: event.type, eventId: event.eventId, recordingId: event.recordingId, instanceId: event.instanceId, at };
    case 'recording.ready':
      return {
        type: event.type, eventId: event.eventId, recordingId: event.recordingId, kind: event.recordingType, startedAt: event.startedAt.toISOString(),
        durationSeconds: event.durationSeconds, objectKey: event.objectKey, platformMeetingId: null,
        tracks: event.tracks?.map((t) => ({ type: t.type, key: t.key, size: t.size })) ?? null,
      };
    case 'recording.error':
      return { type: event.type, eventId: event.eventId, instanceId: event.instanceId, message: event.message, at };
  }
}

