// Meetings: one session of a room. Creating one starts its workflow `meeting/<id>`, the single owner
// of the meeting's state from then on.
import Router from '@koa/router';
import { z } from 'zod';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Meeting, type Room } from '../db/entities.ts';
import { endMeetingSignal, meetingStateQuery, meetingWorkflow, meetingWorkflowId } from '../workflows/meeting.ts';
import { MeetingIdAttribute, MeetingStateAttribute, PlatformAttribute, RoomNameAttribute } from '../workflows/search-attributes.ts';
import { ApiError, notFound, parseInput } from './errors.ts';
import { readJsonBody } from './body.ts';
import { findRoomByName } from './rooms.ts';
import type { ApiContext, ApiState } from './app.ts';

const createMeetingSchema = z.strictObject({
  endDate: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-11-21T18:00:00Z' }).optional(),
  calendarEventId: z.string().min(1).max(256).optional(),
});

/** `{room}-{YYYYMMDDHHMMSS}` in UTC. */
export function platformRoomName(roomName: string, at: Date): string {
  return `${roomName}-${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

export function meetingView(meeting: Meeting) {
  return {
    id: meeting.id,
    roomName: meeting.room.name,
    platform: meeting.platform,
    platformRoomName: meeting.platformRoomName,
    roomUrl: meeting.roomUrl ?? null,
    hostRoomUrl: meeting.hostRoomUrl ?? null,
    startDate: meeting.startDate.toISOString(),
    endDate: meeting.endDate.toISOString(),
    endedAt: meeting.endedAt?.toISOString() ?? null,
    active: meeting.active,
    participantCount: meeting.participantCount,
    recordingType: meeting.recordingType,
    recordingTrigger: meeting.recordingTrigger,
    calendarEventId: meeting.calendarEventId ?? null,
    hasCloudRecording: Boolean(meeting.cloudRecordingKey),
    workflowId: meetingWorkflowId(meeting.id),
  };
}

/** Starts the meeting's workflow, or finds the one already running: the workflow id makes this exactly-once. */
export async function ensureMeetingWorkflow(temporal: Client, taskQueue: string, meeting: Meeting): Promise<void> {
  await temporal.workflow.start(meetingWorkflow, {
    workflowId: meetingWorkflowId(meeting.id),
    taskQueue,
    args: [{ meetingId: meeting.id, roomName: meeting.room.name, platform: meeting.platform, endDate: meeting.endDate.toISOString() }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [
      { key: MeetingIdAttribute, value: meeting.id },
      { key: RoomNameAttribute, value: meeting.room.name },
      { key: PlatformAttribute, value: meeting.platform },
      { key: MeetingStateAttribute, value: 'open' },
    ],
    staticSummary: `Meeting in room "${meeting.room.name}" (${meeting.platformRoomName})`,
    staticDetails: `Meeting ${meeting.id}, ${meeting.platform}, until ${meeting.endDate.toISOString()}`,
  });
}

async function findMeeting(ctx: ApiContext, id: string): Promise<Meeting> {
  if (!z.uuid().safeParse(id).success) throw notFound(`Meeting "${id}"`);
  const meeting = await ctx.state.em.findOne(Meeting, id, { populate: ['room'] });
  if (!meeting) throw notFound(`Meeting "${id}"`);
  return meeting;
}

export function meetingsRouter() {
  const router = new Router<ApiState>({ prefix: '/v1' });

  // Create the room's meeting, or join the active one: concurrent requests share one meeting and one workflow.
  router.post('/rooms/:name/meetings', async (ctx) => {
    const input = parseInput(createMeetingSchema, await readJsonBody(ctx));
    const { services } = ctx.state;
    const room = await findRoomByName(ctx, ctx.params.name!);
    let meeting = await ctx.state.em.findOne(Meeting, { room, active: true }, { populate: ['room'] });
    let created = false;
    if (!meeting) {
      try {
        meeting = await createMeetingRow(ctx, room, input);
        created = true;
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        meeting = await ctx.state.em.fork().findOneOrFail(Meeting, { room: room.id, active: true }, { populate: ['room'] });
      }
    }
    try {
      await ensureMeetingWorkflow(services.temporal, services.config.temporal.taskQueue, meeting);
    } catch (error) {
      if (created) {
        // Leave nothing half-made: a meeting without its owner workflow is closed again.
        await ctx.state.em.fork().nativeUpdate(Meeting, { id: meeting.id }, { active: false, endedAt: new Date() });
      }
      throw new ApiError(503, 'workflow_unavailable', 'Could not start the meeting workflow; Temporal is unreachable. Retry shortly.', { cause: (error as Error).message });
    }
    ctx.status = created ? 201 : 200;
    ctx.set('Location', `/v1/meetings/${meeting.id}`);
    ctx.body = meetingView(meeting);
  });

  router.get('/meetings/:id', async (ctx) => {
    ctx.body = meetingView(await findMeeting(ctx, ctx.params.id!));
  });

  /** The workflow's own view of the meeting (phase, what it waits for). */
  router.get('/meetings/:id/state', async (ctx) => {
    const meeting = await findMeeting(ctx, ctx.params.id!);
    const handle = ctx.state.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
    ctx.body = await handle.query(meetingStateQuery);
  });

  router.post('/meetings/:id/end', async (ctx) => {
    const meeting = await findMeeting(ctx, ctx.params.id!);
    if (meeting.active) {
      const handle = ctx.state.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
      try {
        await handle.signal(endMeetingSignal, { reason: 'api' });
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }
    ctx.status = 202;
    ctx.body = meetingView(meeting);
  });

  return router;
}

async function createMeetingRow(ctx: ApiContext, room: Room, input: z.infer<typeof createMeetingSchema>): Promise<Meeting> {
  const now = new Date();
  const endDate = input.endDate ? new Date(input.endDate) : new Date(now.getTime() + ctx.state.services.config.meetings.defaultMinutes * 60_000);
  if (endDate <= now) throw new ApiError(400, 'invalid_input', 'Invalid body: endDate: must be in the future', [{ field: 'endDate', message: 'must be in the future' }]);
  const em = ctx.state.em.fork();
  const meeting = em.create(Meeting, {
    room: room.id,
    platform: room.platform,
    platformRoomName: platformRoomName(room.name, now),
    startDate: now,
    endDate,
    recordingType: room.recordingType,
    recordingTrigger: room.recordingTrigger,
    calendarEventId: input.calendarEventId ?? null,
  });
  await em.flush();
  await em.populate(meeting, ['room']);
  return meeting;
}
