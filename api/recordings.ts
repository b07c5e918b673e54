// Recording management: list, get, status, download, delete (through a workflow), sharing (recordings and
// transcripts), access log. Who may do what is decided in api/access.ts; every view, download, share and
// delete is written to the recording's access log.
//
// Media is reachable only through a short-lived signed link, minted when someone allowed asks for it
// (GET /v1/recordings/:id/download, logged as a download): a recording's view carries the download
// endpoint's address, never a live link.
import { z } from 'zod';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import {
  RECORDING_KINDS,
  RECORDING_STATUSES,
  Recording,
  RecordingAccessLog,
  RecordingShare,
  SHARE_MODES,
  TRANSCRIPT_SHARE_MODES,
  TRANSCRIPT_STATUSES,
  Transcript,
  type Room,
} from '../db/entities.ts';
import { User } from '../auth/entities.ts';
import { findUserByEmail } from '../auth/users.ts';
import { recordingDeletionWorkflow, recordingDeletionWorkflowId } from '../workflows/recording-deletion.ts';
import { MeetingIdAttribute, RecordingIdAttribute, RoomNameAttribute } from '../workflows/search-attributes.ts';
import { ApiError, notFound } from './errors.ts';
import { pageAnswer, pageOf, pageQuerySchema } from './rooms.ts';
import { participantNamesByMeeting } from './meetings.ts';
import { callerUserId, isAdmin, loadRecording, loadTranscript, logAccess, newShareLink, ownsRoom, rules, visibleRecordingsWhere } from './access.ts';
import { endpoint } from './endpoint.ts';
import type { ApiContext } from './app.ts';

const DAY_MS = 86_400_000;
/** A public link lives 7 days unless its owner says otherwise, and at most 90. */
export const PUBLIC_LINK_DEFAULT_DAYS = 7;
export const PUBLIC_LINK_MAX_DAYS = 90;

// ---- Views --------------------------------------------------------------------------------------------

/** When retention deletes it: recordedAt + the room's retentionDays, else the default; null when kept. */
export function recordingExpiresAt(recording: Pick<Recording, 'recordedAt'>, room: Pick<Room, 'retentionDays'> | null | undefined, defaultDays: number | undefined): Date | null {
  const days = room?.retentionDays ?? defaultDays ?? null;
  return days === null ? null : new Date(recording.recordedAt.getTime() + days * DAY_MS);
}

function roomOf(recording: Recording): Room | null {
  return (recording.meeting?.room as Room | undefined) ?? null;
}

function ownsThis(ctx: ApiContext, recording: Recording): boolean {
  const room = roomOf(recording);
  return isAdmin(ctx.state.caller) || (room !== null && ownsRoom(ctx.state.caller, room));
}

/** Links inside an answer carry the caller's public link along, so a page opened through one keeps working. */
function withShare(ctx: ApiContext, url: string): string {
  const share = ctx.state.caller.kind === 'anonymous' ? ctx.state.shareLink : undefined;
  return share ? `${url}${url.includes('?') ? '&' : '?'}share=${encodeURIComponent(share)}` : url;
}

/** What a list shows beside a recording: the meeting's title (its transcript's) and who took part. */
interface RecordingContext {
  title: string | null;
  participants: string[];
}

function recordingItem(ctx: ApiContext, recording: Recording, transcript: Transcript | null, context: RecordingContext) {
  const room = roomOf(recording);
  return {
    id: recording.id,
    type: recording.type,
    status: recording.status,
    title: context.title,
    participants: context.participants,
    roomName: room?.name ?? null,
    meetingId: recording.meeting?.id ?? null,
    recordedAt: recording.recordedAt.toISOString(),
    durationSeconds: recording.durationSeconds ?? null,
    sizeBytes: recording.sizeBytes ?? null,
    transcriptId: transcript?.id ?? null,
    transcriptStatus: transcript?.status ?? null,
    shareMode: recording.shareMode,
    mediaDeleted: recording.mediaDeleted,
    // The owner's folder is theirs to see: whoever else may see the recording is not shown where it was copied.
    ownerCopy: ownsThis(ctx, recording) ? recording.ownerCopy ?? null : null,
    expiresAt: recordingExpiresAt(recording, room, ctx.state.services.config.defaultRetentionDays)?.toISOString() ?? null,
    isOwner: ownsThis(ctx, recording),
  };
}

const recordingItemSchema = z.object({
  id: z.string(),
  type: z.enum(RECORDING_KINDS),
  status: z.enum(RECORDING_STATUSES),
  title: z.string().nullable().describe("The meeting's title, from its transcript once made"),
  participants: z.array(z.string()).describe("Who took part in the recording's meeting, by the name they joined with"),
  roomName: z.string().nullable(),
  meetingId: z.string().nullable(),
  recordedAt: z.iso.datetime(),
  durationSeconds: z.number().nullable(),
  sizeBytes: z.number().nullable(),
  transcriptId: z.string().nullable(),
  transcriptStatus: z.enum(TRANSCRIPT_STATUSES).nullable(),
  shareMode: z.enum(SHARE_MODES),
  mediaDeleted: z.boolean().describe('Its media (tracks, MP4, mixed audio) was deleted because someone in the meeting refused consent'),
  ownerCopy: z.object({
    status: z.enum(['copied', 'failed']), at: z.iso.datetime(), url: z.string(),
    files: z.array(z.object({ name: z.string(), bytes: z.number(), outcome: z.enum(['sent', 'already-there', 'failed']) })),
    error: z.string().optional(),
  }).nullable().describe("The copy to the room owner's WebDAV folder (PUT /v1/me/webdav); null when none was set when it finished, and for anyone but the owner"),
  expiresAt: z.iso.datetime().nullable().describe('When retention deletes it (room retentionDays, else RECORDING_RETENTION_DAYS); null: kept until deleted'),
  isOwner: z.boolean(),
});

const progressSchema = z.object({ step: z.string(), percent: z.number(), tracksDone: z.number(), tracksTotal: z.number() });

const recordingSchema = recordingItemSchema.extend({
  error: z.string().nullable(),
  trackCount: z.number().nullable(),
  meeting: z.object({ id: z.string(), roomName: z.string(), startDate: z.iso.datetime() }).nullable(),
  transcript: z.object({ id: z.string(), status: z.enum(TRANSCRIPT_STATUSES), url: z.string() }).nullable(),
  download: z.object({
    url: z.string().describe('GET it for a 307 to a short-lived signed link (logged as a download); add ?redirect=false for {url, expiresAt}'),
    kind: z.enum(['mp4', 'mp3', 'tracks']),
    tracks: z.array(z.object({ index: z.number(), url: z.string() })),
  }).nullable().describe('Present once the recording is completed and its media still exists'),
});

// ---- Downloads ----------------------------------------------------------------------------------------

interface DownloadTarget {
  key: string;
  contentType: string;
  fileName: string;
  detail: string;
}

/** What "download this recording" means: cloud → its MP4; raw tracks → the transcript's mixed MP3, else its tracks one by one. */
function downloadPlan(recording: Recording, transcript: Transcript | null): { kind: 'mp4' | 'mp3' | 'tracks'; main: DownloadTarget | null; tracks: string[] } | null {
  if (recording.status !== 'completed' || !recording.objectKey) return null;
  // Consent refused: the tracks, the MP3 and the MP4 were deleted (activities/consent.ts).
  if (recording.mediaDeleted || transcript?.audioDeleted) return null;
  if (recording.type === 'cloud') {
    return { kind: 'mp4', main: { key: recording.objectKey, contentType: 'video/mp4', fileName: `recording-${recording.id}.mp4`, detail: 'MP4' }, tracks: [] };
  }
  const tracks = recording.trackKeys ?? [];
  if (transcript?.audioKey) {
    return { kind: 'mp3', main: { key: transcript.audioKey, contentType: 'audio/mpeg', fileName: `recording-${recording.id}.mp3`, detail: 'mixed audio (MP3)' }, tracks };
  }
  return tracks.length ? { kind: 'tracks', main: null, tracks } : null;
}

function trackTarget(recording: Recording, index: number): DownloadTarget {
  const key = recording.trackKeys?.[index];
  if (key === undefined) throw notFound(`Track ${index} of recording "${recording.id}"`);
  return { key, contentType: 'audio/webm', fileName: `recording-${recording.id}-track-${index}.webm`, detail: `track ${index}` };
}

async function findTranscriptOf(ctx: ApiContext, recordingId: string): Promise<Transcript | null> {
  return ctx.state.em.findOne(Transcript, { recording: recordingId });
}

/** Title and participants for each recording: the title of its own transcript, else of its meeting's. */
async function recordingContexts(ctx: ApiContext, recordings: readonly Recording[]): Promise<Map<string, RecordingContext>> {
  const meetingIds = [...new Set(recordings.flatMap((r) => (r.meeting ? [r.meeting.id] : [])))];
  const [names, transcripts] = meetingIds.length
    ? await Promise.all([
      participantNamesByMeeting(ctx, meetingIds),
      ctx.state.em.find(Transcript, { recording: { meeting: { $in: meetingIds } }, title: { $ne: null } }, { populate: ['recording'], orderBy: { createdAt: 'asc', id: 'asc' } }),
    ])
    : [new Map<string, string[]>(), []];
  // A transcript its owner made private lends its title to nobody else.
  const titleFor = (r: Recording) => {
    const visible = transcripts.filter((t) => ownsThis(ctx, r) || t.shareMode !== 'private');
    const own = visible.find((t) => t.recording.id === r.id);
    return (own ?? visible.find((t) => r.meeting && t.recording.meeting?.id === r.meeting.id))?.title ?? null;
  };
  return new Map(recordings.map((r) => [r.id, {
    title: titleFor(r),
    participants: r.meeting ? (names.get(r.meeting.id) ?? []) : [],
  }]));
}

// ---- Inputs -------------------------------------------------------------------------------------------

const recordingParams = z.object({ id: z.string().min(1).max(128) });
const transcriptParams = z.object({ id: z.string().min(1).max(64) });
const dateTime = z.iso.datetime({ offset: true });

const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(RECORDING_STATUSES).optional(),
  room: z.string().min(1).max(64).optional().describe("The room's name"),
  type: z.enum(RECORDING_KINDS).optional(),
  from: dateTime.optional().describe('Recorded at or after (ISO 8601 date-time)'),
  to: dateTime.optional().describe('Recorded at or before (ISO 8601 date-time)'),
}).refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'must not be after "to"', path: ['from'] });

const downloadQuerySchema = z.object({
  track: z.coerce.number().int().min(0).max(999).optional().describe('A raw-tracks recording: one track (0-based)'),
  redirect: z.stringbool().default(true).describe('false: answer {url, expiresAt} instead of a 307'),
});

const publicLinkExpiry = dateTime.optional().describe(`When the public link stops working; default ${PUBLIC_LINK_DEFAULT_DAYS} days, at most ${PUBLIC_LINK_MAX_DAYS}`);

const recordingSharingBody = z.object({
  mode: z.enum(SHARE_MODES),
  userEmails: z.array(z.string().min(1).max(320)).max(100).optional().describe('mode "shared": exactly these users (replaces the list); omitted: the list is kept'),
  publicLinkExpiresAt: publicLinkExpiry,
}).superRefine((body, issues) => {
  if (body.userEmails !== undefined && body.mode !== 'shared') issues.addIssue({ code: 'custom', path: ['userEmails'], message: 'only with mode "shared"' });
  if (body.publicLinkExpiresAt !== undefined && body.mode !== 'public') issues.addIssue({ code: 'custom', path: ['publicLinkExpiresAt'], message: 'only with mode "public"' });
});

const transcriptSharingBody = z.object({
  mode: z.enum(TRANSCRIPT_SHARE_MODES),
  publicLinkExpiresAt: publicLinkExpiry,
}).superRefine((body, issues) => {
  if (body.publicLinkExpiresAt !== undefined && body.mode !== 'public') issues.addIssue({ code: 'custom', path: ['publicLinkExpiresAt'], message: 'only with mode "public"' });
});

const publicLinkSchema = z.object({
  url: z.string().nullable().describe('Shown once, in the answer that made the link; null afterwards'),
  expiresAt: z.iso.datetime().nullable(),
}).nullable();
const sharingSchema = z.object({
  mode: z.enum(SHARE_MODES),
  users: z.array(z.object({ id: z.string(), email: z.string(), displayName: z.string() })),
  publicLink: publicLinkSchema,
});
const transcriptSharingSchema = z.object({ mode: z.enum(TRANSCRIPT_SHARE_MODES), publicLink: publicLinkSchema });

/** The expiry of a new public link: given (in the future, within the maximum) or the default. */
function publicLinkExpiresAt(given: string | undefined, now: Date): Date {
  if (given === undefined) return new Date(now.getTime() + PUBLIC_LINK_DEFAULT_DAYS * DAY_MS);
  const at = new Date(given);
  if (at.getTime() <= now.getTime()) throw invalidField('publicLinkExpiresAt', 'must be in the future');
  if (at.getTime() > now.getTime() + PUBLIC_LINK_MAX_DAYS * DAY_MS) throw invalidField('publicLinkExpiresAt', `must be within ${PUBLIC_LINK_MAX_DAYS} days`);
  return at;
}

function invalidField(field: string, message: string): ApiError {
  return new ApiError(400, 'invalid_input', `Invalid body: ${field}: ${message}`, [{ field, message }]);
}

async function sharingView(ctx: ApiContext, recording: Recording, token?: string) {
  const shares = recording.shareMode === 'shared' ? await ctx.state.em.find(RecordingShare, { recording: recording.id }, { populate: ['user'], orderBy: { createdAt: 'asc', id: 'asc' } }) : [];
  const { publicUrl } = ctx.state.services.config.api;
  return {
    mode: recording.shareMode,
    users: shares.map((s) => ({ id: s.user.id, email: s.user.email, displayName: s.user.displayName })),
    publicLink: recording.shareMode === 'public' && recording.publicLinkHash
      ? { url: token ? `${publicUrl}/v1/recordings/${encodeURIComponent(recording.id)}?share=${token}` : null, expiresAt: recording.publicLinkExpiresAt?.toISOString() ?? null }
      : null,
  };
}

function transcriptSharingView(ctx: ApiContext, transcript: Transcript, token?: string) {
  const { publicUrl } = ctx.state.services.config.api;
  return {
    mode: transcript.shareMode,
    publicLink: transcript.shareMode === 'public' && transcript.publicLinkHash
      ? { url: token ? `${publicUrl}/v1/transcripts/${transcript.id}?share=${token}` : null, expiresAt: transcript.publicLinkExpiresAt?.toISOString() ?? null }
      : null,
  };
}

// ---- Endpoints ----------------------------------------------------------------------------------------

export const recordingEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/recordings',
    summary: 'Recordings you may see (yours, and those shared with you by name; admins: all), newest first',
    tag: 'recordings',
    access: rules.signedIn,
    query: listQuerySchema,
    responses: { 200: { description: 'A page of recordings', schema: pageOf(recordingItemSchema) } },
    async handler(ctx, { query }) {
      const { em } = ctx.state;
      const recordedAt = { ...(query.from ? { $gte: new Date(query.from) } : {}), ...(query.to ? { $lte: new Date(query.to) } : {}) };
      const filters = {
        ...(query.status ? { status: query.status } : {}),
        ...(query.type ? { type: query.type } : {}),
        ...(query.room ? { meeting: { room: { name: query.room } } } : {}),
        ...(query.from || query.to ? { recordedAt } : {}),
      };
      const where = { $and: [await visibleRecordingsWhere(ctx), filters] };
      const [items, total] = await em.findAndCount(Recording, where, {
        orderBy: { recordedAt: 'desc', id: 'asc' }, limit: query.limit, offset: query.offset, populate: ['meeting', 'meeting.room'],
      });
      const transcripts = items.length ? await em.find(Transcript, { recording: { $in: items.map((r) => r.id) } }) : [];
      const byRecording = new Map(transcripts.map((t) => [t.recording.id, t]));
      const contexts = await recordingContexts(ctx, items);
      ctx.body = pageAnswer(items.map((r) => recordingItem(ctx, r, byRecording.get(r.id) ?? null, contexts.get(r.id)!)), total, query);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/recordings/:id',
    summary: 'A recording: status, duration, size, meeting, transcript, expiry, and where to download it once completed',
    tag: 'recordings',
    access: rules.recordingViewer,
    params: recordingParams,
    rateLimit: 'public',
    responses: { 200: { description: 'The recording (logged as a view)', schema: recordingSchema } },
    async handler(ctx, { params }) {
      const recording = await loadRecording(ctx, params.id, 'view');
      const transcript = await findTranscriptOf(ctx, recording.id);
      await logAccess(ctx, { recordingId: recording.id, action: 'view' });
      const owner = ownsThis(ctx, recording);
      const room = roomOf(recording);
      const plan = downloadPlan(recording, transcript);
      const base = `/v1/recordings/${encodeURIComponent(recording.id)}/download`;
      ctx.body = {
        ...recordingItem(ctx, recording, transcript, (await recordingContexts(ctx, [recording])).get(recording.id)!),
        error: recording.error ?? null,
        trackCount: recording.trackKeys?.length ?? null,
        meeting: recording.meeting && room ? { id: recording.meeting.id, roomName: room.name, startDate: recording.meeting.startDate.toISOString() } : null,
        // A transcript its owner made private is not shown to the recording's other viewers.
        transcript: transcript && (owner || transcript.shareMode !== 'private')
          ? { id: transcript.id, status: transcript.status, url: withShare(ctx, `/v1/transcripts/${transcript.id}`) }
          : null,
        download: plan
          ? { url: withShare(ctx, base), kind: plan.kind, tracks: plan.tracks.map((_key, index) => ({ index, url: withShare(ctx, `${base}?track=${index}`) })) }
          : null,
      };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/recordings/:id/download',
    summary: "A short-lived signed link to the recording's media (cloud: MP4; raw tracks: the mixed MP3, or ?track=N)",
    description: 'Each request mints a new link (valid SIGNED_URL_TTL_SECONDS) and is logged as a download.',
    tag: 'recordings',
    access: rules.recordingViewer,
    params: recordingParams,
    query: downloadQuerySchema,
    rateLimit: 'public',
    responses: {
      200: { description: 'With redirect=false: the link', schema: z.object({ url: z.string(), expiresAt: z.iso.datetime() }) },
      307: { description: 'Location: the signed link' },
      404: { description: 'No such track, or the media is no longer in storage' },
      409: { description: 'Not completed yet, or a raw-tracks recording without mixed audio and no ?track=' },
    },
    async handler(ctx, { params, query }) {
      const recording = await loadRecording(ctx, params.id, 'view');
      const transcript = await findTranscriptOf(ctx, recording.id);
      const plan = downloadPlan(recording, transcript);
      if (!plan) throw new ApiError(409, 'recording_not_ready', `The recording is ${recording.status}${recording.mediaDeleted || transcript?.audioDeleted ? ' and its media was deleted (a participant refused consent)' : ''}; nothing to download`);
      const target = query.track !== undefined ? trackTarget(recording, query.track) : plan.main;
      if (!target) throw new ApiError(409, 'track_required', `This recording has no mixed audio: download its ${plan.tracks.length} track(s) with ?track=0…${plan.tracks.length - 1}`);
      const { storage, config } = ctx.state.services;
      if (!(await storage.head(target.key))) throw new ApiError(404, 'media_deleted', 'This media is no longer in storage');
      const expiresAt = new Date(Date.now() + config.signedUrlTtlSeconds * 1000);
      const url = await storage.signedGetUrl(target.key, { expiresInSeconds: config.signedUrlTtlSeconds, contentType: target.contentType, downloadName: target.fileName });
      await logAccess(ctx, { recordingId: recording.id, transcriptId: target.key === transcript?.audioKey ? transcript.id : null, action: 'download', detail: target.detail });
      if (!query.redirect) {
        ctx.body = { url, expiresAt: expiresAt.toISOString() };
        return;
      }
      ctx.status = 307;
      ctx.set('Location', url);
      ctx.body = { url, expiresAt: expiresAt.toISOString() };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/recordings/:id/status',
    summary: "For polling: the recording's and its transcript's status and progress (not logged)",
    tag: 'recordings',
    access: rules.recordingViewer,
    params: recordingParams,
    rateLimit: 'public',
    responses: {
      200: {
        description: 'Status',
        schema: z.object({ id: z.string(), status: z.enum(RECORDING_STATUSES), transcriptStatus: z.enum(TRANSCRIPT_STATUSES).nullable(), progress: progressSchema.nullable() }),
      },
    },
    async handler(ctx, { params }) {
      const recording = await loadRecording(ctx, params.id, 'view');
      const transcript = await findTranscriptOf(ctx, recording.id);
      const done = recording.status === 'completed' ? { step: 'done', percent: 100, tracksDone: 0, tracksTotal: 0 } : null;
      const progress = transcript?.progress
        ? { step: transcript.progress.step, percent: transcript.progress.percent, tracksDone: transcript.progress.tracksDone, tracksTotal: transcript.progress.tracksTotal }
        : done;
      ctx.body = { id: recording.id, status: recording.status, transcriptStatus: transcript?.status ?? null, progress };
    },
  }),
  endpoint({
    method: 'delete',
    path: '/v1/recordings/:id',
    summary: 'Delete the recording: its media in storage and its rows, through the workflow recording-deletion/<id>',
    description: 'From this request on the recording is gone for every reader (404) and out of every list; the workflow finishes the job, retrying through failures. The access log is kept.',
    tag: 'recordings',
    access: rules.recordingOwner,
    params: recordingParams,
    responses: { 202: { description: 'Deletion under way', schema: z.object({ workflowId: z.string() }) } },
    async handler(ctx, { params }) {
      const recording = await loadRecording(ctx, params.id, 'own');
      const { services } = ctx.state;
      // Marked first: if the workflow cannot be started now, the daily retention run starts it later.
      await ctx.state.em.nativeUpdate(Recording, { id: recording.id, deletionRequestedAt: null }, { deletionRequestedAt: new Date() });
      await logAccess(ctx, { recordingId: recording.id, action: 'delete', detail: 'by owner' });
      const workflowId = await startRecordingDeletion(services, recording, callerUserId(ctx.state.caller));
      ctx.status = 202;
      ctx.body = { workflowId };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/recordings/:id/sharing',
    summary: 'Who the recording is shared with (private, named users, or a public link)',
    tag: 'recordings',
    access: rules.recordingOwner,
    params: recordingParams,
    responses: { 200: { description: 'Sharing', schema: sharingSchema } },
    async handler(ctx, { params }) {
      const recording = await loadRecording(ctx, params.id, 'own');
      ctx.body = await sharingView(ctx, recording);
    },
  }),
  endpoint({
    method: 'put',
    path: '/v1/recordings/:id/sharing',
    summary: 'Share the recording: private (only you), with named users, or through a public link with an expiry',
    description: 'Mode "public" issues a new link each time (shown only in this answer; the previous one stops working). Leaving "public" revokes the link; leaving "shared" removes the users. Logged as a share.',
    tag: 'recordings',
    access: rules.recordingOwner,
    params: recordingParams,
    body: recordingSharingBody,
    responses: { 200: { description: 'The sharing now in force', schema: sharingSchema }, 400: { description: 'An unknown email (named), or a bad expiry' } },
    async handler(ctx, { params, body }) {
      const recording = await loadRecording(ctx, params.id, 'own');
      const { em } = ctx.state;
      const now = new Date();
      const users = body.mode === 'shared' && body.userEmails !== undefined ? await usersByEmail(ctx, body.userEmails) : null;
      const expiresAt = body.mode === 'public' ? publicLinkExpiresAt(body.publicLinkExpiresAt, now) : null;
      const link = body.mode === 'public' ? newShareLink() : null;
      await em.transactional(async (tx) => {
        if (body.mode !== 'shared' || users !== null) {
          const keep = users?.map((u) => u.id) ?? [];
          await tx.nativeDelete(RecordingShare, { recording: recording.id, ...(keep.length ? { user: { $nin: keep } } : {}) });
          const existing = new Set((await tx.find(RecordingShare, { recording: recording.id }, { fields: ['user'] })).map((s) => s.user.id));
          for (const user of users ?? []) if (!existing.has(user.id)) tx.create(RecordingShare, { recording: recording.id, user: user.id });
        }
        const row = await tx.findOneOrFail(Recording, recording.id);
        row.shareMode = body.mode;
        row.publicLinkHash = link?.hash ?? null;
        row.publicLinkExpiresAt = expiresAt;
      });
      await em.refresh(recording);
      const detail = body.mode === 'shared'
        ? `shared with ${users ? users.map((u) => u.email).join(', ') || 'nobody' : 'the same users'}`
        : body.mode === 'public' ? `public link until ${expiresAt!.toISOString()}` : 'private';
      await logAccess(ctx, { recordingId: recording.id, action: 'share', detail });
      ctx.body = await sharingView(ctx, recording, link?.token);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/sharing',
    summary: "The transcript's own sharing rule ('inherit': its recording's)",
    tag: 'transcripts',
    access: rules.recordingOwner,
    params: transcriptParams,
    responses: { 200: { description: 'Sharing', schema: transcriptSharingSchema } },
    async handler(ctx, { params }) {
      const transcript = await loadTranscript(ctx, params.id, 'own');
      ctx.body = transcriptSharingView(ctx, transcript);
    },
  }),
  endpoint({
    method: 'put',
    path: '/v1/transcripts/:id/sharing',
    summary: "Set the transcript's own rule: inherit (its recording's), private (only the owner), or a public link of its own",
    description: 'Mode "public" issues a new link each time (shown only in this answer); viewers of the recording keep seeing the transcript. Logged as a share.',
    tag: 'transcripts',
    access: rules.recordingOwner,
    params: transcriptParams,
    body: transcriptSharingBody,
    responses: { 200: { description: 'The sharing now in force', schema: transcriptSharingSchema } },
    async handler(ctx, { params, body }) {
      const transcript = await loadTranscript(ctx, params.id, 'own');
      const now = new Date();
      const expiresAt = body.mode === 'public' ? publicLinkExpiresAt(body.publicLinkExpiresAt, now) : null;
      const link = body.mode === 'public' ? newShareLink() : null;
      transcript.shareMode = body.mode;
      transcript.publicLinkHash = link?.hash ?? null;
      transcript.publicLinkExpiresAt = expiresAt;
      await ctx.state.em.flush();
      const detail = `transcript ${body.mode === 'public' ? `public link until ${expiresAt!.toISOString()}` : body.mode}`;
      await logAccess(ctx, { recordingId: transcript.recording.id, transcriptId: transcript.id, action: 'share', detail });
      ctx.body = transcriptSharingView(ctx, transcript, link?.token);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/recordings/:id/access-log',
    summary: 'Who viewed, downloaded, shared or deleted the recording (and its transcript), newest first',
    tag: 'recordings',
    access: rules.recordingOwner,
    params: recordingParams,
    query: pageQuerySchema,
    responses: {
      200: {
        description: 'A page of entries',
        schema: pageOf(z.object({
          at: z.iso.datetime(),
          action: z.enum(['view', 'download', 'share', 'delete']),
          userId: z.string().nullable().describe('null: someone through a public link, or retention'),
          userEmail: z.string().nullable(),
          transcriptId: z.string().nullable(),
          detail: z.string().nullable(),
          ip: z.string().nullable(),
          userAgent: z.string().nullable(),
        })),
      },
    },
    async handler(ctx, { params, query }) {
      const recording = await loadRecording(ctx, params.id, 'own');
      const { em } = ctx.state;
      const [entries, total] = await em.findAndCount(RecordingAccessLog, { recordingId: recording.id }, { orderBy: { at: 'desc', id: 'desc' }, limit: query.limit, offset: query.offset });
      const userIds = [...new Set(entries.map((e) => e.userId).filter((id): id is string => id !== null && id !== undefined))];
      const users = userIds.length ? await em.find(User, { id: { $in: userIds.filter(isUuid) } }) : [];
      const emails = new Map(users.map((u) => [u.id, u.email]));
      ctx.body = pageAnswer(entries.map((e) => ({
          at: e.at.toISOString(),
          action: e.action,
          userId: e.userId ?? null,
          userEmail: e.userId ? (emails.get(e.userId) ?? null) : null,
          transcriptId: e.transcriptId ?? null,
          detail: e.detail ?? null,
          ip: e.ip ?? null,
          userAgent: e.userAgent ?? null,
        })), total, query);
    },
  }),
];

/** The users behind `emails`, in order, without duplicates; 400 naming the first unknown one. */
async function usersByEmail(ctx: ApiContext, emails: string[]): Promise<User[]> {
  const users: User[] = [];
  for (const [index, email] of emails.entries()) {
    const user = await findUserByEmail(ctx.state.em, email);
    if (!user) throw new ApiError(400, 'unknown_user', `No user with the email "${email}"`, [{ field: `userEmails.${index}`, message: `no user with the email "${email}"` }]);
    if (!users.some((u) => u.id === user.id)) users.push(user);
  }
  return users;
}

/**
 * Starts `recording-deletion/<id>`, or finds the one already running (a second request, retention):
 * deletion is idempotent, so a closed earlier run may be followed by a new one.
 */
export async function startRecordingDeletion(services: ApiContext['state']['services'], recording: Recording, requestedBy: string | null): Promise<string> {
  const workflowId = recordingDeletionWorkflowId(recording.id);
  const room = roomOf(recording);
  await services.temporal.workflow.start(recordingDeletionWorkflow, {
    workflowId,
    taskQueue: services.config.temporal.taskQueue,
    args: [{ recordingId: recording.id, reason: 'owner', requestedBy }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: RecordingIdAttribute, value: recording.id },
      ...(recording.meeting ? [{ key: MeetingIdAttribute, value: recording.meeting.id }] : []),
      ...(room ? [{ key: RoomNameAttribute, value: room.name }] : []),
    ],
    staticSummary: `Delete ${recording.type} recording ${recording.id}${room ? ` of room "${room.name}"` : ''} (asked by its owner)`,
  });
  return workflowId;
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
