// Platform webhooks in. The way a webhook travels, short and visible:
// HTTP → verify (signature, timestamp window) → record (WebhookEvent, before acknowledging) → signal the
// meeting's workflow → the workflow runs activities. A late webhook for a meeting whose workflow has
// finished goes straight to its recording's own workflow (same id, so it is processed once).
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
    const outcome = meeting ? await deliver(ctx, meeting, event) : 'unmatched';
    await ctx.state.em.nativeUpdate(WebhookEvent, { id: stored.row.id }, { outcome });
    ctx.body = { ok: true, outcome, ...(stored.duplicate ? { duplicate: true } : {}) };
  });

  return router;
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

async function deliver(ctx: ApiContext, meeting: Meeting, event: PlatformEvent): Promise<string> {
  const { temporal, config } = ctx.state.services;
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
