// Platform webhooks in. The way a webhook travels, short and visible:
// HTTP → verify (signature, timestamp window) → record (WebhookEvent, before acknowledging) → signal the
// meeting's workflow (the dispatcher below, right after the answer) → the workflow runs activities.
// A late webhook for a meeting whose workflow has finished goes straight to its recording's own workflow
// (same id, so it is processed once).
//
// The answer waits for the record, not for Temporal: the stored row is the promise to deliver. The
// dispatcher signals in arrival order per meeting, retries while Temporal is unreachable, and at start
// (and every few seconds) picks up rows a previous process recorded but did not deliver.
import Router from '@koa/router';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { Meeting, WebhookEvent } from '../db/entities.ts';
import { WebhookPayloadError, type PlatformEvent } from '../platforms/platform.ts';
import { meetingEventSignal, meetingWorkflowId, type MeetingEvent } from '../workflows/meeting.ts';
import { recordingWorkflow, recordingWorkflowId } from '../workflows/recording.ts';
import { MeetingIdAttribute, RecordingIdAttribute, RoomNameAttribute } from '../workflows/search-attributes.ts';
import { ApiError } from './errors.ts';
import { readRawBody } from './body.ts';
import type { ApiContext, ApiState } from './app.ts';
import type { Services } from '../runtime/services.ts';

const WEBHOOK_BODY_LIMIT = 256 * 1024;
/** Recordings are matched to the meeting of their room whose start is closest, within a week (late discovery, clock skew). */
const MATCH_WINDOW_MS = 7 * 24 * 3600_000;
const DELIVERED = new Set(['signaled', 'recording-workflow', 'unmatched', 'ignored', 'late']);

export function webhooksRouter() {
  const router = new Router<ApiState>({ prefix: '/v1/webhooks' });

  router.post('/daily', async (ctx) => {
    const { platform } = ctx.state.services;
    const rawBody = await readRawBody(ctx, WEBHOOK_BODY_LIMIT);
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
    const meeting = await matchMeeting(ctx, event);
    const stored = await record(ctx, { eventId: event.eventId, type: event.type, payload, meetingId: meeting?.id ?? null, outcome: 'received' });
    if (stored.duplicate && DELIVERED.has(stored.row.outcome)) {
      ctx.body = { ok: true, duplicate: true };
      return;
    }
    if (!meeting) {
      await ctx.state.em.nativeUpdate(WebhookEvent, { id: stored.row.id }, { outcome: 'unmatched' });
      ctx.body = { ok: true, outcome: 'unmatched' };
      return;
    }
    ctx.state.webhookDispatcher.enqueue({ rowId: stored.row.id, meetingId: meeting.id, event });
    ctx.body = { ok: true, outcome: 'accepted', ...(stored.duplicate ? { duplicate: true } : {}) };
  });

  return router;
}

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

/** Route by the platform room name (closest meeting start wins) or, for events without one, by instance id. */
async function matchMeeting(ctx: ApiContext, event: PlatformEvent): Promise<Meeting | null> {
  const em = ctx.state.em;
  if (event.type === 'recording.started' || event.type === 'recording.error') {
    const byInstance = await em.findOne(Meeting, { $or: [{ rawTracksInstanceId: event.instanceId }, ...(isUuid(event.instanceId) ? [{ id: event.instanceId }] : [])] }, { populate: ['room'] });
    if (byInstance || event.type === 'recording.started') return byInstance;
  }
  const roomName = 'roomName' in event ? event.roomName : null;
  if (!roomName) return null;
  const at = (event.type === 'recording.ready' ? event.startedAt : event.occurredAt).getTime();
  const candidates = await em.find(Meeting, { platformRoomName: roomName, startDate: { $gte: new Date(at - MATCH_WINDOW_MS), $lte: new Date(at + MATCH_WINDOW_MS) } }, { populate: ['room'] });
  candidates.sort((a, b) => Math.abs(a.startDate.getTime() - at) - Math.abs(b.startDate.getTime() - at) || a.id.localeCompare(b.id));
  return candidates[0] ?? null;
}

async function deliver(services: Pick<Services, 'temporal' | 'config'>, meeting: Meeting, event: PlatformEvent): Promise<string> {
  const { temporal, config } = services;
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
    await temporal.workflow.start(recordingWorkflow, {
      workflowId: recordingWorkflowId(ready.recordingId),
      taskQueue: config.temporal.taskQueue,
      args: [{ meetingId: meeting.id, roomName: meeting.room.name, ...ready }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: MeetingIdAttribute, value: meeting.id },
        { key: RoomNameAttribute, value: meeting.room.name },
        { key: RecordingIdAttribute, value: ready.recordingId },
      ],
      staticSummary: `${ready.kind} recording ${ready.recordingId} of room "${meeting.room.name}" (late webhook)`,
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

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
