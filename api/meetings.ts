// Meetings: one session of a room. Creating one starts its workflow `meeting/<id>`, the single owner
// of the meeting's state from then on.
import Router from '@koa/router';
import { z } from 'zod';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, type WorkflowStartOptions } from '@temporalio/client';
import { Meeting, type Room } from '../db/entities.ts';
import { endMeetingSignal, meetingStateQuery, meetingWorkflow, meetingWorkflowId, requestRecordingUpdate, stopRecordingUpdate } from '../workflows/meeting.ts';
import { cloudInstanceId, rawTracksInstanceId } from '../platforms/platform.ts';
import type { Services } from '../runtime/services.ts';
import { DailyApiError } from '../platforms/daily/client.ts';
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

function meetingWorkflowOptions(services: Services, meeting: Meeting): WorkflowStartOptions<typeof meetingWorkflow> & { workflowIdConflictPolicy: WorkflowIdConflictPolicy } {
  return {
    workflowId: meetingWorkflowId(meeting.id),
    taskQueue: services.config.temporal.taskQueue,
    args: [{
      meetingId: meeting.id,
      roomName: meeting.room.name,
      platform: meeting.platform,
      platformRoomName: meeting.platformRoomName,
      instanceIds: { cloud: cloudInstanceId(meeting.id), 'raw-tracks': rawTracksInstanceId(meeting.id) },
      recordingTrigger: meeting.recordingTrigger,
      endDate: meeting.endDate.toISOString(),
      recordingReadyTimeoutSeconds: services.config.meetings.recordingReadyTimeoutSeconds,
    }],
    // Exactly one workflow per meeting: a second start finds the running one, and an ended one is never restarted.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: MeetingIdAttribute, value: meeting.id },
      { key: RoomNameAttribute, value: meeting.room.name },
      { key: PlatformAttribute, value: meeting.platform },
      { key: MeetingStateAttribute, value: 'open' },
    ],
    staticSummary: `Meeting in room "${meeting.room.name}" (${meeting.platformRoomName})`,
    staticDetails: `Meeting ${meeting.id}, ${meeting.platform}, trigger ${meeting.recordingTrigger}, until ${meeting.endDate.toISOString()}`,
  };
}

/** Starts the meeting's workflow, or finds the one already running: the workflow id makes this exactly-once. */
export async function ensureMeetingWorkflow(services: Services, meeting: Meeting): Promise<void> {
  await services.temporal.workflow.start(meetingWorkflow, meetingWorkflowOptions(services, meeting));
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
        await createPlatformRoom(ctx, meeting);
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        meeting = await ctx.state.em.fork().findOneOrFail(Meeting, { room: room.id, active: true }, { populate: ['room'] });
      }
    }
    try {
      await ensureMeetingWorkflow(services, meeting);
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

  // A participant's token for the platform room: owner rights for the room's owner.
  router.post('/meetings/:id/join', async (ctx) => {
    const input = parseInput(joinSchema, await readJsonBody(ctx));
    const meeting = await findMeeting(ctx, ctx.params.id!);
    if (!meeting.active) throw new ApiError(409, 'meeting_ended', 'This meeting has ended');
    if (!meeting.roomUrl) throw new ApiError(409, 'meeting_not_ready', 'The platform room is not ready yet');
    const isOwner = meeting.room.ownerId === ctx.state.caller.userId;
    const token = await ctx.state.services.platform.createJoinToken({
      roomName: meeting.platformRoomName, userName: input.userName, userId: ctx.state.caller.userId, isOwner, expiresAt: meeting.endDate,
    });
    ctx.body = { token, roomUrl: meeting.roomUrl, isOwner, meeting: meetingView(meeting) };
  });

  // Every participant's browser asks on join (per the room's trigger); the workflow is the only writer,
  // so twenty requests at once cause one start per recording type at the platform.
  router.post('/meetings/:id/recordings/start', async (ctx) => {
    const input = parseInput(startRecordingSchema, await readJsonBody(ctx));
    const meeting = await findMeeting(ctx, ctx.params.id!);
    if (input.manual) assertOwner(ctx, meeting);
    if (!meeting.active) throw new ApiError(409, 'meeting_ended', 'This meeting has ended');
    const { services } = ctx.state;
    try {
      ctx.body = await services.temporal.workflow.executeUpdateWithStart(requestRecordingUpdate, {
        args: [{ manual: input.manual }],
        startWorkflowOperation: new WithStartWorkflowOperation(meetingWorkflow, meetingWorkflowOptions(services, meeting)),
      });
    } catch (error) {
      throw meetingGoneOr(error);
    }
  });

  router.post('/meetings/:id/recordings/stop', async (ctx) => {
    const meeting = await findMeeting(ctx, ctx.params.id!);
    assertOwner(ctx, meeting);
    if (!meeting.active) throw new ApiError(409, 'meeting_ended', 'This meeting has ended');
    try {
      ctx.body = await ctx.state.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).executeUpdate(stopRecordingUpdate);
    } catch (error) {
      throw meetingGoneOr(error);
    }
  });

  // The composed (cloud) recording, for playback: a short-lived link, 404 until it exists.
  router.get('/meetings/:id/cloud-recording', async (ctx) => {
    const meeting = await findMeeting(ctx, ctx.params.id!);
    if (!meeting.cloudRecordingKey) throw notFound(`Cloud recording of meeting "${meeting.id}"`);
    const { storage, config } = ctx.state.services;
    ctx.status = 307;
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(await storage.signedGetUrl(meeting.cloudRecordingKey, {
      expiresInSeconds: config.signedUrlTtlSeconds, contentType: 'video/mp4', downloadName: `${meeting.platformRoomName}.mp4`,
    }));
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

const joinSchema = z.strictObject({ userName: z.string().trim().min(1).max(100).default('Guest') });
const startRecordingSchema = z.strictObject({ manual: z.boolean().default(false) });

function assertOwner(ctx: ApiContext, meeting: Meeting): void {
  if (meeting.room.ownerId !== ctx.state.caller.userId) throw new ApiError(403, 'forbidden', 'Only the room owner starts and stops recording by hand');
}

function meetingGoneOr(error: unknown): unknown {
  const name = (error as Error).name;
  if (name === 'WorkflowExecutionAlreadyStartedError' || error instanceof WorkflowNotFoundError) {
    return new ApiError(409, 'meeting_ended', 'This meeting has ended');
  }
  if (name === 'WorkflowUpdateFailedError') return new ApiError(409, 'meeting_ended', `Recording request refused: ${(error as { cause?: Error }).cause?.message ?? 'the meeting has ended'}`);
  return error;
}

/** The platform room: `{room}-{YYYYMMDDHHMMSS}`, expiring at the meeting's end, recording into our bucket. */
async function createPlatformRoom(ctx: ApiContext, meeting: Meeting): Promise<void> {
  const { platform, storage, config } = ctx.state.services;
  const recordingsBucket = {
    bucketName: storage.bucket,
    bucketRegion: config.storage.kind === 's3' ? config.storage.region : 'local',
    ...(config.daily.mode === 'daily' && config.daily.storageRoleArn ? { assumeRoleArn: config.daily.storageRoleArn } : {}),
  };
  try {
    let created;
    // A meeting started in the same second as the room's previous one would reuse its name: take the next second.
    for (let attempt = 0; ; attempt++) {
      const name = platformRoomName(meeting.room.name, new Date(meeting.startDate.getTime() + attempt * 1000));
      try {
        created = await platform.createRoom({ name, expiresAt: meeting.endDate, recordingsBucket });
        meeting.platformRoomName = name;
        break;
      } catch (error) {
        if (attempt >= 5 || !(error instanceof DailyApiError && /already exists/i.test(error.info))) throw error;
      }
    }
    meeting.roomUrl = created.roomUrl;
    meeting.hostRoomUrl = created.hostRoomUrl ?? null;
    meeting.rawTracksInstanceId = rawTracksInstanceId(meeting.id);
    await ctx.state.em.fork().nativeUpdate(Meeting, { id: meeting.id }, {
      platformRoomName: meeting.platformRoomName, roomUrl: meeting.roomUrl, hostRoomUrl: meeting.hostRoomUrl, rawTracksInstanceId: meeting.rawTracksInstanceId,
    });
  } catch (error) {
    await ctx.state.em.fork().nativeUpdate(Meeting, { id: meeting.id }, { active: false, endedAt: new Date() });
    throw new ApiError(502, 'platform_unavailable', `Could not create the ${meeting.platform} room: ${(error as Error).message}`);
  }
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
