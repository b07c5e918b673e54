// Who may do what, in one place. Every endpoint declares one of the rules below (api/endpoint.ts refuses
// to mount one without); the rule's door is checked before anything is loaded, and the resource checks
// here run when the handler loads its room, meeting, recording or transcript. The matrix test
// (test/authorization-matrix.test.ts) walks every endpoint × every role.
//
// Status codes, always the same way:
//   401  no credential where one is needed, or a credential we refuse (expired, revoked, malformed…);
//   403  the caller may know the thing exists but may not do this to it (a viewer deleting, a guest
//        stopping the recording, a meeting token anywhere but its meeting);
//   404  the thing does not exist, or the caller may not know that it does (no IDOR through ids or names).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/sql';
import { Meeting, Recording, RecordingAccessLog, RecordingShare, Room, Transcript, type AccessAction } from '../db/entities.ts';
import type { Caller } from '../auth/caller.ts';
import type { User } from '../auth/entities.ts';
import { ApiError, notFound } from './errors.ts';
import type { ApiContext } from './app.ts';

export type CallerKind = Caller['kind'];

export interface AccessRule {
  name: string;
  /** One sentence for the OpenAPI document and the README. */
  description: string;
  /** Who gets past the door, before anything is loaded; anonymous callers refused here get 401, others 403. */
  admits: readonly CallerKind[];
  /** Admins only (checked at the door: 403 for other users). */
  adminOnly?: boolean;
  /** Anonymous callers pass the door only with a public link (`?share=`). */
  anonymousNeedsShareLink?: boolean;
  /**
   * Needs no credential at all, so a refused one (a stale cookie, an expired key) is ignored and the caller
   * treated as anonymous. Everywhere else a credential that is present but refused is a 401.
   */
  credentialIgnored?: boolean;
}

const everyone = ['anonymous', 'participant', 'user'] as const;

export const rules = {
  public: { name: 'public', description: 'Anyone; no credential needed.', admits: everyone, credentialIgnored: true },
  platformSignature: { name: 'platform-signature', description: "The video platform, proven by the webhook's signature (no user credential).", admits: everyone, credentialIgnored: true },
  signedIn: { name: 'signed-in', description: 'Any signed-in user (session cookie, API key in X-API-Key or as a bearer token, or OIDC bearer token); each sees only their own things.', admits: ['user'] },
  admin: { name: 'admin', description: 'Admins only.', admits: ['user'], adminOnly: true },
  roomGuest: {
    name: 'room-guest',
    description: 'Whoever may join the room: its owner, admins, every signed-in user when the room is shared, and anyone (even without an account) when the room allows anonymous participants.',
    admits: everyone,
  },
  roomViewer: { name: 'room-viewer', description: "The room's owner, admins, and every signed-in user when the room is shared.", admits: ['user'] },
  roomOwner: { name: 'room-owner', description: "The room's owner and admins.", admits: ['user'] },
  meetingParticipant: {
    name: 'meeting-participant',
    description: "Whoever may join the meeting's room (see room-guest), and holders of this meeting's participant token.",
    admits: everyone,
  },
  meetingHost: { name: 'meeting-host', description: "The host: the room's owner, and admins.", admits: ['user'] },
  recordingViewer: {
    name: 'recording-viewer',
    description: "The room's owner, admins, users the recording is shared with, and anyone holding a valid public link (`?share=`). Never a meeting participant as such.",
    admits: ['anonymous', 'user'],
    anonymousNeedsShareLink: true,
  },
  recordingOwner: { name: 'recording-owner', description: "The room's owner and admins.", admits: ['user'] },
} as const satisfies Record<string, AccessRule>;

/** The door: runs before the handler. `shareLink` is the request's `?share=` value, if any. */
export function checkDoor(rule: AccessRule, caller: Caller, shareLink: string | undefined): void {
  if (!rule.admits.includes(caller.kind)) throw refusedAtDoor(caller);
  if (caller.kind === 'anonymous' && rule.anonymousNeedsShareLink && !shareLink) throw unauthenticated();
  if (rule.adminOnly && !isAdmin(caller)) throw new ApiError(403, 'forbidden', 'Only admins may do this');
}

function refusedAtDoor(caller: Caller): ApiError {
  if (caller.kind === 'anonymous') return unauthenticated();
  if (caller.kind === 'participant') return new ApiError(403, 'forbidden', 'A meeting token only lets its holder take part in its own meeting');
  return new ApiError(403, 'forbidden', 'Not allowed');
}

export const unauthenticated = () => new ApiError(401, 'unauthenticated', 'Sign in, or send an API key (X-API-Key) or a bearer token');

export function isAdmin(caller: Caller): boolean {
  return caller.kind === 'user' && caller.user.role === 'admin';
}

export function callerUser(caller: Caller): User | null {
  return caller.kind === 'user' ? caller.user : null;
}

/** The id written as a room's owner and in access logs. */
export function callerUserId(caller: Caller): string | null {
  return caller.kind === 'user' ? caller.user.id : null;
}

// ---- Rooms and meetings ----------------------------------------------------------------------------

export function ownsRoom(caller: Caller, room: Pick<Room, 'ownerId'>): boolean {
  return isAdmin(caller) || (caller.kind === 'user' && room.ownerId === caller.user.id);
}

export function canSeeRoom(caller: Caller, room: Pick<Room, 'ownerId' | 'shared'>): boolean {
  return ownsRoom(caller, room) || (caller.kind === 'user' && room.shared);
}

export function canJoinRoom(caller: Caller, room: Pick<Room, 'ownerId' | 'shared' | 'allowAnonymous'>): boolean {
  return canSeeRoom(caller, room) || room.allowAnonymous;
}

/** The rooms a caller may list: admins all, users their own and the shared ones. */
export function visibleRoomsWhere(caller: Caller): object {
  if (isAdmin(caller)) return {};
  const user = callerUser(caller);
  if (!user) return { id: null };
  return { $or: [{ ownerId: user.id }, { shared: true }] };
}

export type RoomNeed = 'join' | 'see' | 'own';

/** Loads a room by name for what the caller wants to do with it; 404 when they may not know it, 403 when they may only see it. */
export async function loadRoom(ctx: ApiContext, name: string, need: RoomNeed): Promise<Room> {
  const room = await ctx.state.em.findOne(Room, { name });
  const { caller } = ctx.state;
  const visible = room && (need === 'join' ? canJoinRoom(caller, room) : canSeeRoom(caller, room));
  if (!room || !visible) {
    if (caller.kind === 'anonymous' && need !== 'join') throw unauthenticated();
    throw notFound(`Room "${name}"`);
  }
  if (need === 'own' && !ownsRoom(caller, room)) throw new ApiError(403, 'forbidden', "Only the room's owner may do this");
  return room;
}

export type MeetingNeed = 'participate' | 'host';

/** Loads a meeting (with its room) for a participant or for its host. */
export async function loadMeeting(ctx: ApiContext, id: string, need: MeetingNeed): Promise<Meeting> {
  const { caller } = ctx.state;
  const meeting = isUuid(id) ? await ctx.state.em.findOne(Meeting, id, { populate: ['room'] }) : null;
  const holdsToken = caller.kind === 'participant' && meeting !== null && caller.meetingId === meeting.id;
  if (!meeting || !(holdsToken || canJoinRoom(caller, meeting.room))) {
    if (caller.kind === 'participant') throw new ApiError(403, 'forbidden', 'A meeting token only lets its holder take part in its own meeting');
    throw notFound(`Meeting "${id}"`);
  }
  if (need === 'host' && !ownsRoom(caller, meeting.room)) {
    if (caller.kind === 'anonymous') throw unauthenticated();
    throw new ApiError(403, 'forbidden', "Only the meeting's host (the room's owner) may do this");
  }
  return meeting;
}

// ---- Recordings and transcripts ---------------------------------------------------------------------

export type RecordingNeed = 'view' | 'own';

export function hashShareLink(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new public-link token: shown once, stored as its sha256. */
export function newShareLink(): { token: string; hash: string } {
  const token = `shr_${randomBytes(24).toString('base64url')}`;
  return { token, hash: hashShareLink(token) };
}

function linkValid(hash: string | null | undefined, expiresAt: Date | null | undefined, presented: string | undefined, now: Date): boolean {
  if (!hash || !presented) return false;
  if (expiresAt && expiresAt.getTime() <= now.getTime()) return false;
  return hashShareLink(presented) === hash;
}

function recordingOwnerId(recording: Recording): string | null {
  return (recording.meeting?.room as Room | undefined)?.ownerId ?? null;
}

async function recordingViewableBy(em: EntityManager, caller: Caller, recording: Recording, shareLink: string | undefined, now: Date): Promise<boolean> {
  if (recording.deletionRequestedAt) return false;
  if (caller.kind === 'participant') return false;
  if (isAdmin(caller)) return true;
  if (caller.kind === 'user' && recordingOwnerId(recording) === caller.user.id) return true;
  if (recording.shareMode === 'public' && linkValid(recording.publicLinkHash, recording.publicLinkExpiresAt, shareLink, now)) return true;
  if (recording.shareMode === 'shared' && caller.kind === 'user') {
    return (await em.count(RecordingShare, { recording: recording.id, user: caller.user.id })) > 0;
  }
  return false;
}

function ownsRecording(caller: Caller, recording: Recording): boolean {
  return isAdmin(caller) || (caller.kind === 'user' && recordingOwnerId(recording) === caller.user.id);
}

function refuseUnseen(caller: Caller, what: string): ApiError {
  if (caller.kind === 'participant') return new ApiError(403, 'forbidden', 'A meeting token does not reach recordings or transcripts');
  return notFound(what);
}

/** Loads a recording (with meeting and room) the caller may see; `own` also requires its owner (403 for a viewer). */
export async function loadRecording(ctx: ApiContext, id: string, need: RecordingNeed): Promise<Recording> {
  const { caller, em } = ctx.state;
  const recording = id.length <= 128 ? await em.findOne(Recording, id, { populate: ['meeting', 'meeting.room'] }) : null;
  if (!recording || !(await recordingViewableBy(em, caller, recording, ctx.state.shareLink, new Date()))) throw refuseUnseen(caller, `Recording "${id}"`);
  if (need === 'own' && !ownsRecording(caller, recording)) throw new ApiError(403, 'forbidden', "Only the recording's owner (the room's owner) may do this");
  return recording;
}

/**
 * The meeting's composed (cloud) recording is watched with its transcript: whoever may view it, or may view
 * one of the meeting's raw-tracks recordings (shared with them, or through its public link), may watch it.
 * Returns the cloud recording, or refuses like loadRecording.
 */
export async function loadCloudRecording(ctx: ApiContext, meetingId: string): Promise<Recording> {
  const { caller, em } = ctx.state;
  const what = `Cloud recording of meeting "${meetingId}"`;
  if (caller.kind === 'participant') throw refuseUnseen(caller, what);
  const recordings = isUuid(meetingId)
    ? await em.find(Recording, { meeting: meetingId, deletionRequestedAt: null }, { populate: ['meeting', 'meeting.room'], orderBy: { recordedAt: 'desc' } })
    : [];
  const cloud = recordings.find((r) => r.type === 'cloud');
  if (!cloud) throw notFound(what);
  const now = new Date();
  for (const recording of [cloud, ...recordings.filter((r) => r.type === 'raw-tracks')]) {
    if (await recordingViewableBy(em, caller, recording, ctx.state.shareLink, now)) return cloud;
  }
  throw notFound(what);
}

/** Loads a transcript the caller may see: its own rule when set, its recording's otherwise. */
export async function loadTranscript(ctx: ApiContext, id: string, need: RecordingNeed): Promise<Transcript> {
  const { caller, em } = ctx.state;
  const transcript = isUuid(id) ? await em.findOne(Transcript, id, { populate: ['recording', 'recording.meeting', 'recording.meeting.room'] }) : null;
  if (!transcript || !(await transcriptViewableBy(em, caller, transcript, ctx.state.shareLink, new Date()))) throw refuseUnseen(caller, `Transcript "${id}"`);
  if (need === 'own' && !ownsRecording(caller, transcript.recording)) throw new ApiError(403, 'forbidden', "Only the transcript's owner (the room's owner) may do this");
  return transcript;
}

async function transcriptViewableBy(em: EntityManager, caller: Caller, transcript: Transcript, shareLink: string | undefined, now: Date): Promise<boolean> {
  const recording = transcript.recording;
  if (recording.deletionRequestedAt || caller.kind === 'participant') return false;
  if (ownsRecording(caller, recording)) return true;
  switch (transcript.shareMode) {
    case 'private':
      return false;
    case 'public':
      if (linkValid(transcript.publicLinkHash, transcript.publicLinkExpiresAt, shareLink, now)) return true;
      return recordingViewableBy(em, caller, recording, shareLink, now);
    default:
      return recordingViewableBy(em, caller, recording, shareLink, now);
  }
}

/**
 * The recordings a caller may list (never via a public link: lists are for owners, admins and the users
 * things are shared with). Returns a MikroORM filter for Recording.
 */
export async function visibleRecordingsWhere(ctx: ApiContext): Promise<object> {
  const { caller, em } = ctx.state;
  const live = { deletionRequestedAt: null };
  if (isAdmin(caller)) return live;
  const user = callerUser(caller);
  if (!user) return { id: null };
  const shared = await em.find(RecordingShare, { user: user.id }, { fields: ['recording'] });
  const sharedIds = shared.map((s) => s.recording.id);
  return {
    ...live,
    $or: [{ meeting: { room: { ownerId: user.id } } }, ...(sharedIds.length ? [{ id: { $in: sharedIds }, shareMode: 'shared' }] : [])],
  };
}

/** The transcripts a caller may list: those of visible recordings, minus the ones their owner made private. */
export async function visibleTranscriptsWhere(ctx: ApiContext): Promise<object> {
  const { caller } = ctx.state;
  const recordings = await visibleRecordingsWhere(ctx);
  if (isAdmin(caller)) return { recording: recordings };
  const user = callerUser(caller);
  if (!user) return { id: null };
  return { recording: recordings, $or: [{ shareMode: { $ne: 'private' } }, { recording: { meeting: { room: { ownerId: user.id } } } }] };
}

// ---- Access log ----------------------------------------------------------------------------------------

/** Records a view, download, share or delete: who (user, or a public link), what, when, from where. */
export async function logAccess(ctx: ApiContext, entry: { recordingId: string; transcriptId?: string | null; action: AccessAction; detail?: string | null }): Promise<void> {
  const { caller } = ctx.state;
  const via = caller.kind === 'anonymous' && ctx.state.shareLink ? 'public link' : null;
  const detail = [entry.detail, via].filter(Boolean).join('; ') || null;
  // insert() skips onCreate hooks: the id is given here.
  await ctx.state.em.fork().insert(RecordingAccessLog, {
    id: randomUUID(),
    recordingId: entry.recordingId,
    transcriptId: entry.transcriptId ?? null,
    userId: callerUserId(caller),
    action: entry.action,
    detail: detail?.slice(0, 512) ?? null,
    at: new Date(),
    ip: ctx.ip.slice(0, 64) || null,
    userAgent: ctx.get('user-agent').slice(0, 512) || null,
  });
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
