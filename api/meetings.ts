// Meetings: one session of a room. Creating one starts its workflow `meeting/<id>`, the single owner
// of the meeting's state from then on.
import { z } from 'zod';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { Meeting, MeetingConsent, ParticipantSession, PLATFORMS, RECORDING_KINDS, RECORDING_STATUSES, RECORDING_TRIGGERS, RECORDING_TYPES, Recording, Transcript, TRANSCRIPT_STATUSES, type Room } from '../db/entities.ts';
import { endMeetingSignal, meetingStateQuery, meetingWorkflow, requestRecordingUpdate, stopRecordingUpdate } from '../workflows/meeting.ts';
import { meetingWorkflowId } from '../meetings/messages.ts';
import { ensureMeetingWorkflow, meetingWorkflowOptions } from '../meetings/workflow-client.ts';
import { consentRefusalWorkflow, consentRefusalWorkflowId } from '../workflows/consent.ts';
import { MEETING_LIST_STATUSES } from '../shared/meeting-list-statuses.ts';
import { PlatformApiError, speakerAudioInstanceId } from '../platforms/platform.ts';
import type { Services } from '../runtime/services.ts';
import type { Caller } from '../auth/caller.ts';
import { MeetingIdAttribute, RoomNameAttribute } from '../workflows/search-attributes.ts';
import { ApiError, notFound } from './errors.ts';
import type { ApiContext } from './app.ts';
import { endpoint } from './endpoint.ts';
import { callerUser, callerUserId, isAdmin, loadCloudRecording, loadMeeting, loadRoom, logAccess, ownsRoom, rules, unauthenticated, visibleRecordingsWhere, visibleTranscriptsWhere } from './access.ts';
import { pageAnswer, pageOf, pageQuerySchema } from './rooms.ts';
import { assertAdmitted, participantIdentity, userNameSchema } from './admissions.ts';

const createMeetingSchema = z.strictObject({
  endDate: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-11-21T18:00:00Z' }).optional(),
  calendarEventId: z.string().min(1).max(256).optional(),
});

/** `{room}-{YYYYMMDDHHMMSS}` in UTC. */
export function platformRoomName(roomName: string, at: Date): string {
  return `${roomName}-${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

/** `hostRoomUrl` (a platform's host link: host rights to whoever opens it) is shown to the room's owner only. */
export function meetingView(meeting: Meeting, caller: Caller) {
  return {
    id: meeting.id,
    roomName: meeting.room.name,
    platform: meeting.platform,
    platformRoomName: meeting.platformRoomName,
    roomUrl: meeting.roomUrl ?? null,
    hostRoomUrl: ownsRoom(caller, meeting.room) ? meeting.hostRoomUrl ?? null : null,
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

const meetingSchema = z.object({
  id: z.uuid(),
  roomName: z.string(),
  platform: z.enum(PLATFORMS),
  platformRoomName: z.string(),
  roomUrl: z.string().nullable(),
  hostRoomUrl: z.string().nullable().describe("The platform's host link (Whereby): the room's owner only, else null"),
  startDate: z.iso.datetime(),
  endDate: z.iso.datetime(),
  endedAt: z.iso.datetime().nullable(),
  active: z.boolean(),
  participantCount: z.number().int(),
  recordingType: z.enum(RECORDING_TYPES),
  recordingTrigger: z.enum(RECORDING_TRIGGERS),
  calendarEventId: z.string().nullable(),
  hasCloudRecording: z.boolean(),
  workflowId: z.string(),
});
const meetingListQuery = pageQuerySchema.extend({
  room: z.string().min(1).max(64).optional().describe("Only this room's meetings (the room's name)"),
  status: z.enum(MEETING_LIST_STATUSES).optional().describe('`active`: still open; `ended`: over'),
});
const meetingListItemSchema = meetingSchema.extend({
  participants: z.array(z.string()).describe('Who took part, by the name they joined with, in order of first joining'),
  recordings: z.array(z.object({ id: z.string(), type: z.enum(RECORDING_KINDS), status: z.enum(RECORDING_STATUSES) })),
  transcripts: z.array(z.object({ id: z.string(), recordingId: z.string(), status: z.enum(TRANSCRIPT_STATUSES), title: z.string().nullable() })),
});

const timelinePartSchema = z.object({
  transcriptId: z.string(),
  recordingId: z.string(),
  recordingType: z.enum(RECORDING_KINDS),
  status: z.enum(TRANSCRIPT_STATUSES),
  title: z.string().nullable(),
  recordedAt: z.iso.datetime(),
  durationSeconds: z.number().nullable(),
  startSeconds: z.number().describe("Where the part starts, in seconds from the first part's start"),
  gapBeforeSeconds: z.number().nullable().describe('Seconds not recorded between the end of the part before and this one (0 when they touch or overlap; null for the first)'),
});
const meetingTimelineSchema = meetingSchema.extend({
  participants: z.array(z.string()),
  parts: z.array(timelinePartSchema),
});

/** A meeting's transcripts in the order they were recorded, each placed on the meeting's time line. */
export function timelineParts(transcripts: readonly Transcript[]): Array<z.infer<typeof timelinePartSchema>> {
  const ordered = [...transcripts].sort((a, b) => a.recording.recordedAt.getTime() - b.recording.recordedAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
  const origin = ordered[0]?.recording.recordedAt.getTime() ?? 0;
  let previousEnd: number | null = null;
  return ordered.map((t) => {
    const startMs = t.recording.recordedAt.getTime();
    const known = t.durationSeconds ?? t.recording.durationSeconds;
    const durationSeconds = known === null || known === undefined ? null : Number(known);
    const gapBeforeSeconds = previousEnd === null ? null : Math.max(0, Math.round((startMs - previousEnd) / 1000));
    previousEnd = Math.max(previousEnd ?? startMs, startMs + (durationSeconds ?? 0) * 1000);
    return {
      transcriptId: t.id, recordingId: t.recording.id, recordingType: t.recording.type, status: t.status, title: t.title ?? null,
      recordedAt: t.recording.recordedAt.toISOString(), durationSeconds, startSeconds: Math.round((startMs - origin) / 1000), gapBeforeSeconds,
    };
  });
}

/** The names of a meeting's participants, in order of first joining, each once. */
export function participantNames(sessions: readonly Pick<ParticipantSession, 'userName' | 'joinedAt'>[]): string[] {
  const names = [...sessions].sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime()).map((s) => s.userName?.trim()).filter((n): n is string => Boolean(n));
  return [...new Set(names)];
}

/** For each meeting id, its participants' names (see participantNames). */
export async function participantNamesByMeeting(ctx: ApiContext, meetingIds: readonly string[]): Promise<Map<string, string[]>> {
  if (!meetingIds.length) return new Map();
  const sessions = await ctx.state.em.find(ParticipantSession, { meeting: { $in: [...meetingIds] } }, { fields: ['meeting', 'userName', 'joinedAt'] });
  const grouped = Map.groupBy(sessions, (s) => s.meeting.id);
  return new Map(meetingIds.map((id) => [id, participantNames(grouped.get(id) ?? [])]));
}

const meetingParams = z.object({ id: z.string() });
const roomNameParams = z.object({ name: z.string() });
const joinSchema = z.strictObject({ userName: userNameSchema });
const startRecordingSchema = z.strictObject({ manual: z.boolean().default(false) });
const consentSchema = z.strictObject({ consentGiven: z.boolean() });
const recordingRequestAnswer = z.object({}).loose().describe("The meeting workflow's answer: what it started or found running, per recording type");

export const meetingEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/meetings',
    summary: "Past and present meetings of your rooms (admins: all), newest first, with participants, recordings and transcripts",
    description: 'Recordings and transcripts are those you may see (a transcript its owner made private is left out for others).',
    tag: 'meetings',
    access: rules.signedIn,
    query: meetingListQuery,
    responses: { 200: { description: 'A page of meetings', schema: pageOf(meetingListItemSchema) } },
    async handler(ctx, { query }) {
      const { em, caller } = ctx.state;
      const user = callerUser(caller);
      const room = { ...(isAdmin(caller) ? {} : { ownerId: user?.id ?? null }), ...(query.room ? { name: query.room } : {}) };
      const where = { ...(Object.keys(room).length ? { room } : {}), ...(query.status ? { active: query.status === 'active' } : {}) };
      const [meetings, total] = await em.findAndCount(Meeting, where, { orderBy: { startDate: 'desc', id: 'asc' }, limit: query.limit, offset: query.offset, populate: ['room'] });
      const ids = meetings.map((m) => m.id);
      const [names, recordings, transcripts] = ids.length
        ? await Promise.all([
          participantNamesByMeeting(ctx, ids),
          em.find(Recording, { $and: [await visibleRecordingsWhere(ctx), { meeting: { $in: ids } }] }, { orderBy: { recordedAt: 'asc', id: 'asc' } }),
          em.find(Transcript, { $and: [await visibleTranscriptsWhere(ctx), { recording: { meeting: { $in: ids } } }] }, { populate: ['recording'], orderBy: { createdAt: 'asc', id: 'asc' } }),
        ])
        : [new Map<string, string[]>(), [], []];
      const recordingsOf = Map.groupBy(recordings, (r) => r.meeting!.id);
      const transcriptsOf = Map.groupBy(transcripts, (t) => t.recording.meeting!.id);
      ctx.body = pageAnswer(meetings.map((m) => ({
          ...meetingView(m, ctx.state.caller),
          participants: names.get(m.id) ?? [],
          recordings: (recordingsOf.get(m.id) ?? []).map((r) => ({ id: r.id, type: r.type, status: r.status })),
          transcripts: (transcriptsOf.get(m.id) ?? []).map((t) => ({ id: t.id, recordingId: t.recording.id, status: t.status, title: t.title ?? null })),
        })), total, query);
    },
  }),
  // Create the room's meeting, or join the active one: concurrent requests share one meeting and one workflow.
  endpoint({
    method: 'post',
    path: '/v1/rooms/:name/meetings',
    summary: "Open the room's meeting: create it, or get the active one",
    description: 'Concurrent requests share one meeting and one workflow `meeting/<id>` (201 when this request created it, 200 otherwise).',
    tag: 'meetings',
    access: rules.roomGuest,
    params: roomNameParams,
    body: createMeetingSchema,
    rateLimit: 'public',
    responses: {
      201: { description: 'Created', schema: meetingSchema }, 200: { description: 'The active meeting', schema: meetingSchema },
      409: { description: "The room's platform is not configured on this server" },
    },
    async handler(ctx, { params, body: input }) {
      const { services } = ctx.state;
      const room = await loadRoom(ctx, params.name, 'join');
      let meeting = await ctx.state.em.findOne(Meeting, { room, active: true }, { populate: ['room'] });
      let created = false;
      if (!meeting) {
        // A room stored before platforms were checked may name one that is not configured: refused, not run on another.
        const configured = services.platforms.names;
        if (!configured.includes(room.platform)) {
          throw new ApiError(409, 'platform_not_configured', `Room "${room.name}" is set to ${room.platform}, which is not configured on this server (configured: ${configured.join(', ')}); change the room's platform`);
        }
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
        // Temporal's own text goes to the log (the cause), not to the client.
        throw Object.assign(new ApiError(503, 'workflow_unavailable', 'Could not start the meeting workflow; Temporal is unreachable. Retry shortly.'), { cause: error });
      }
      ctx.status = created ? 201 : 200;
      ctx.set('Location', `/v1/meetings/${meeting.id}`);
      ctx.body = meetingView(meeting, ctx.state.caller);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/meetings/:id',
    summary: 'A meeting',
    tag: 'meetings',
    access: rules.meetingParticipant,
    params: meetingParams,
    responses: { 200: { description: 'The meeting', schema: meetingSchema } },
    async handler(ctx, { params }) {
      ctx.body = meetingView(await loadMeeting(ctx, params.id, 'participate'), ctx.state.caller);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/meetings/:id/timeline',
    summary: "The meeting's transcripts as one timeline: each part (a recording stopped and started again makes another) with where it starts and what was not recorded between",
    description: 'Parts are the transcripts you may see of the meeting\'s recordings, in the order they were recorded; each is still its own transcript (`GET /v1/transcripts/{id}` for its turns).',
    tag: 'meetings',
    access: rules.meetingHost,
    params: meetingParams,
    responses: { 200: { description: 'The timeline', schema: meetingTimelineSchema } },
    async handler(ctx, { params }) {
      const meeting = await loadMeeting(ctx, params.id, 'host');
      const [names, transcripts] = await Promise.all([
        participantNamesByMeeting(ctx, [meeting.id]),
        ctx.state.em.find(Transcript, { $and: [await visibleTranscriptsWhere(ctx), { recording: { meeting: meeting.id } }] }, { populate: ['recording'] }),
      ]);
      ctx.body = { ...meetingView(meeting, ctx.state.caller), participants: names.get(meeting.id) ?? [], parts: timelineParts(transcripts) };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/meetings/:id/state',
    summary: "The workflow's own view of the meeting (phase, recordings, what it waits for)",
    tag: 'meetings',
    access: rules.meetingParticipant,
    params: meetingParams,
    responses: { 200: { description: "The `state` query of `meeting/<id>`", schema: z.object({}).loose() } },
    async handler(ctx, { params }) {
      const meeting = await loadMeeting(ctx, params.id, 'participate');
      const handle = ctx.state.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
      ctx.body = await handle.query(meetingStateQuery);
    },
  }),
  // A participant's token for the platform room (owner rights for the host), and for people without an
  // account our own meeting token: it lets them answer the consent question and nothing else.
  endpoint({
    method: 'post',
    path: '/v1/meetings/:id/join',
    summary: "Join: the platform's token for this participant (host rights for the room's owner)",
    description: 'Callers without an account also get `meetingToken` (send it as `Authorization: Bearer` for this meeting; it never reaches recordings or transcripts) and their `participantKey`.',
    tag: 'meetings',
    access: rules.meetingParticipant,
    params: meetingParams,
    body: joinSchema,
    rateLimit: 'public',
    responses: {
      200: {
        description: 'Tokens and the room URL',
        schema: z.object({ token: z.string(), roomUrl: z.string(), isOwner: z.boolean(), participantKey: z.string(), meetingToken: z.string().nullable(), meeting: meetingSchema }),
      },
      403: { description: 'The room is locked and its owner has not let you in (knock first)' },
      409: { description: 'The meeting has ended, or its platform room is not ready' },
    },
    async handler(ctx, { params, body: input }) {
      const meeting = await loadMeeting(ctx, params.id, 'participate');
      if (!meeting.active) throw new ApiError(409, 'meeting_ended', 'This meeting has ended');
      if (!meeting.roomUrl) throw new ApiError(409, 'meeting_not_ready', 'The platform room is not ready yet');
      const { caller, services } = ctx.state;
      const isOwner = ownsRoom(caller, meeting.room);
      const { participantKey, meetingToken } = participantIdentity(ctx, meeting, input.userName);
      await assertAdmitted(ctx, meeting, participantKey);
      // The meeting's own platform: its room may have moved to another one since it started.
      const token = await services.platforms.get(meeting.platform).createJoinToken({
        roomName: meeting.platformRoomName, userName: input.userName, userId: callerUserId(caller) ?? participantKey, isOwner, expiresAt: meeting.endDate,
      });
      // Where the platform has a host link (Whereby), the owner's browser opens the room with it.
      const roomUrl = isOwner && meeting.hostRoomUrl ? meeting.hostRoomUrl : meeting.roomUrl;
      ctx.body = { token, roomUrl, isOwner, participantKey, meetingToken, meeting: meetingView(meeting, caller) };
    },
  }),
  // Every participant's browser asks on join (per the room's trigger); the workflow is the only writer,
  // so twenty requests at once cause one start per recording type at the platform.
  endpoint({
    method: 'post',
    path: '/v1/meetings/:id/recordings/start',
    summary: 'Ask the meeting to record (per its trigger; `manual: true` is for the host only)',
    tag: 'meetings',
    access: rules.meetingParticipant,
    params: meetingParams,
    body: startRecordingSchema,
    responses: { 200: { description: "The workflow's answer", schema: recordingRequestAnswer }, 409: { description: "The meeting has ended, its room's recording type records nothing here, or its platform starts recording itself (recording_started_by_platform)" } },
    async handler(ctx, { params, body: input }) {
      const meeting = await loadMeeting(ctx, params.id, input.manual ? 'host' : 'participate');
      if (!meeting.active) throw new ApiError(409, 'meeting_ended', 'This meeting has ended');
      if (meeting.recordingType !== 'cloud') throw recordingNotAllowed(meeting);
      refuseIfPlatformRecords(ctx.state.services, meeting);
      const { services } = ctx.state;
      try {
        ctx.body = await services.temporal.workflow.executeUpdateWithStart(requestRecordingUpdate, {
          args: [{ manual: input.manual }],
          startWorkflowOperation: new WithStartWorkflowOperation(meetingWorkflow, meetingWorkflowOptions(services, meeting)),
        });
      } catch (error) {
        throw meetingGoneOr(error);
      }
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/meetings/:id/recordings/stop',
    summary: 'Stop recording (host only)',
    tag: 'meetings',
    access: rules.meetingHost,
    params: meetingParams,
    responses: { 200: { description: "The workflow's answer", schema: recordingRequestAnswer }, 409: { description: 'The meeting has ended, or its platform stops recording itself (recording_started_by_platform)' } },
    async handler(ctx, { params }) {
      const meeting = await loadMeeting(ctx, params.id, 'host');
      if (!meeting.active) throw new ApiError(409, 'meeting_ended', 'This meeting has ended');
      refuseIfPlatformRecords(ctx.state.services, meeting);
      try {
        ctx.body = await ctx.state.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).executeUpdate(stopRecordingUpdate);
      } catch (error) {
        throw meetingGoneOr(error);
      }
    },
  }),
  // The composed (cloud) recording, for playback: a short-lived link for those who may see that recording.
  endpoint({
    method: 'get',
    path: '/v1/meetings/:id/cloud-recording',
    summary: 'The cloud recording (MP4): a redirect to a short-lived signed link',
    description: "Watched with the meeting's transcript: allowed to whoever may view the cloud recording or one of the meeting's raw-tracks recordings (shared with them, or by its public link).",
    tag: 'recordings',
    access: rules.recordingViewer,
    params: meetingParams,
    responses: { 307: { description: 'Redirect to the signed link' }, 404: { description: 'No cloud recording you may see' } },
    async handler(ctx, { params }) {
      const recording = await loadCloudRecording(ctx, params.id);
      const meeting = recording.meeting!;
      if (!meeting.cloudRecordingKey) throw notFound(`Cloud recording of meeting "${meeting.id}"`);
      const { storage, config } = ctx.state.services;
      await logAccess(ctx, { recordingId: recording.id, action: 'download', detail: 'cloud recording (MP4)' });
      ctx.status = 307;
      ctx.redirect(await storage.signedGetUrl(meeting.cloudRecordingKey, {
        expiresInSeconds: config.signedUrlTtlSeconds, contentType: 'video/mp4', downloadName: `${meeting.platformRoomName}.mp4`,
      }));
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/meetings/:id/end',
    summary: 'End the meeting (host only)',
    tag: 'meetings',
    access: rules.meetingHost,
    params: meetingParams,
    responses: { 202: { description: 'The workflow was told', schema: meetingSchema } },
    async handler(ctx, { params }) {
      const meeting = await loadMeeting(ctx, params.id, 'host');
      if (meeting.active) {
        const handle = ctx.state.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
        try {
          await handle.signal(endMeetingSignal, { reason: 'api' });
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      ctx.status = 202;
      ctx.body = meetingView(meeting, ctx.state.caller);
    },
  }),
  // "May we keep the audio?" — one answer per participant (their account, or their meeting token); the last answer wins.
  endpoint({
    method: 'post',
    path: '/v1/meetings/:id/consent',
    summary: "Your answer to the recording-consent question (tied to your account or your meeting token)",
    description: "When anyone refuses, the meeting's media (raw tracks, mixed audio, cloud MP4) is deleted: now for recordings already processed, at the end of their processing for the others, and on arrival for a cloud recording that comes later; transcripts are kept.",
    tag: 'meetings',
    access: rules.meetingParticipant,
    params: meetingParams,
    body: consentSchema,
    responses: { 200: { description: 'Recorded', schema: z.object({ meetingId: z.uuid(), participantKey: z.string(), consentGiven: z.boolean(), answeredAt: z.iso.datetime() }) } },
    async handler(ctx, { params, body }) {
      const { caller } = ctx.state;
      if (caller.kind === 'anonymous') throw unauthenticated();
      const meeting = await loadMeeting(ctx, params.id, 'participate');
      const participantKey = caller.kind === 'participant' ? caller.participantKey : `user:${caller.user.id}`;
      const answeredAt = new Date();
      await ctx.state.em.upsert(MeetingConsent, { meeting: meeting.id, participantKey, consentGiven: body.consentGiven, answeredAt }, { onConflictFields: ['meeting', 'participantKey'], onConflictAction: 'merge', onConflictMergeFields: ['consentGiven', 'answeredAt'] });
      // A refusal reaches what is already recorded and processed too; later recordings check it when they end.
      if (!body.consentGiven) await startConsentRefusal(ctx.state.services, meeting);
      ctx.body = { meetingId: meeting.id, participantKey, consentGiven: body.consentGiven, answeredAt: answeredAt.toISOString() };
    },
  }),
];

/** Deletes the media the meeting's settled recordings hold (workflows/consent.ts); one run per meeting at a time. */
async function startConsentRefusal(services: Services, meeting: Meeting): Promise<void> {
  await services.temporal.workflow.start(consentRefusalWorkflow, {
    workflowId: consentRefusalWorkflowId(meeting.id),
    taskQueue: services.config.temporal.taskQueue,
    args: [{ meetingId: meeting.id }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [{ key: MeetingIdAttribute, value: meeting.id }, { key: RoomNameAttribute, value: meeting.room.name }],
    staticSummary: `Consent refused in a meeting of room "${meeting.room.name}": delete its media`,
  });
}

/** `none` records nothing; `local` is recorded in a browser, if at all, never by us. */
function recordingNotAllowed(meeting: Pick<Meeting, 'recordingType'> & { room: { name: string } }): ApiError {
  const why = meeting.recordingType === 'local' ? 'is recorded locally in the browser, not by this server' : 'is not recorded';
  return new ApiError(409, 'recording_not_allowed', `Room "${meeting.room.name}" has recording type "${meeting.recordingType}": its meeting ${why}`);
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
  const { platforms, storage, config } = ctx.state.services;
  const platform = platforms.get(meeting.platform);
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
        // A platform that records by itself (Whereby) is told the room's trigger (none where the room records nothing
        // here) and its mode; locking stays ours (knocking is admitted by our API, then the room URL is handed out).
        created = await platform.createRoom({
          name, expiresAt: meeting.endDate, recordingsBucket, roomMode: meeting.room.roomMode,
          recordingTrigger: meeting.recordingType === 'cloud' ? meeting.recordingTrigger : 'none',
        });
        // The platform's own name for the room, which every later call and webhook uses (100ms: its room id).
        meeting.platformRoomName = created.platformRoomName;
        break;
      } catch (error) {
        if (attempt >= 5 || !(error instanceof PlatformApiError && error.nameTaken)) throw error;
      }
    }
    meeting.roomUrl = created.roomUrl;
    meeting.hostRoomUrl = created.hostRoomUrl ?? null;
    meeting.rawTracksInstanceId = speakerAudioInstanceId(meeting.id);
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

/** A platform that starts and stops recording itself (RecordingCapabilities.startedBy) has nothing we could ask. */
function refuseIfPlatformRecords(services: Services, meeting: Meeting): void {
  if (services.platforms.find(meeting.platform)?.recordingCapabilities.startedBy !== 'platform') return;
  throw new ApiError(409, 'recording_started_by_platform', "This meeting's platform starts and stops recording itself: by the room's recording trigger, or by a host in the platform's own call controls. It has no API to start or stop it, so the recording is seen (and processed) when the platform records");
}
