// Locked rooms: only the room's owner, and those the owner lets in, get a platform token for its meeting.
// Everyone else knocks (POST /v1/meetings/:id/knock); the owner sees the knocks and admits people; the
// platform room is private, so its URL alone lets nobody in.
import { z } from 'zod';
import { MeetingAdmission, type Meeting } from '../db/entities.ts';
import { ApiError, notFound } from './errors.ts';
import type { ApiContext } from './app.ts';
import { endpoint } from './endpoint.ts';
import { loadMeeting, ownsRoom, rules } from './access.ts';
import { issueMeetingToken } from '../auth/meeting-tokens.ts';

export const userNameSchema = z.string().trim().min(1).max(100).default('Guest');

/** Who is asking, as a participant of this meeting: their account, or a meeting token (kept, or issued now). */
export function participantIdentity(ctx: ApiContext, meeting: Meeting, userName: string): { participantKey: string; meetingToken: string | null } {
  const { caller, services } = ctx.state;
  if (caller.kind === 'user') return { participantKey: `user:${caller.user.id}`, meetingToken: null };
  const ttlSeconds = Math.max(60, Math.min(24 * 3600, Math.ceil((meeting.endDate.getTime() - Date.now()) / 1000) + 3600));
  const issued = issueMeetingToken({
    appSecret: services.config.appSecret, meetingId: meeting.id, name: userName, ttlSeconds,
    ...(caller.kind === 'participant' ? { participantKey: caller.participantKey } : {}),
  });
  return { participantKey: issued.claims.participantKey, meetingToken: issued.token };
}

/** A locked room's meeting: refused (403) unless the caller owns the room or was let in by its owner. */
export async function assertAdmitted(ctx: ApiContext, meeting: Meeting, participantKey: string): Promise<void> {
  if (!meeting.room.locked || ownsRoom(ctx.state.caller, meeting.room)) return;
  const admission = await ctx.state.em.findOne(MeetingAdmission, { meeting: meeting.id, participantKey });
  if (admission?.admittedAt) return;
  throw new ApiError(403, 'not_admitted', `Room "${meeting.room.name}" is locked: knock (POST /v1/meetings/${meeting.id}/knock) and wait for its owner to let you in`);
}

const meetingParams = z.object({ id: z.string() });
const admissionSchema = z.object({ participantKey: z.string(), userName: z.string(), knockedAt: z.iso.datetime(), admittedAt: z.iso.datetime().nullable() });
const admissionView = (a: MeetingAdmission) => ({ participantKey: a.participantKey, userName: a.userName, knockedAt: a.knockedAt.toISOString(), admittedAt: a.admittedAt?.toISOString() ?? null });

export const admissionEndpoints = [
  endpoint({
    method: 'post',
    path: '/v1/meetings/:id/knock',
    summary: "Ask to enter a locked room's meeting (its owner lets you in)",
    description: 'Answers whether you are admitted already (the owner, an unlocked room, or let in); callers without an account also get `meetingToken`, to knock again and join with.',
    tag: 'meetings',
    access: rules.meetingParticipant,
    params: meetingParams,
    body: z.strictObject({ userName: userNameSchema }),
    rateLimit: 'public',
    responses: {
      200: { description: 'Your knock', schema: z.object({ admitted: z.boolean(), participantKey: z.string(), meetingToken: z.string().nullable() }) },
      409: { description: 'The meeting has ended' },
    },
    async handler(ctx, { params, body }) {
      const meeting = await loadMeeting(ctx, params.id, 'participate');
      if (!meeting.active) throw new ApiError(409, 'meeting_ended', 'This meeting has ended');
      const { participantKey, meetingToken } = participantIdentity(ctx, meeting, body.userName);
      let admitted = !meeting.room.locked || ownsRoom(ctx.state.caller, meeting.room);
      if (!admitted) {
        await ctx.state.em.upsert(MeetingAdmission, { meeting: meeting.id, participantKey, userName: body.userName, knockedAt: new Date() }, {
          onConflictFields: ['meeting', 'participantKey'], onConflictAction: 'merge', onConflictMergeFields: ['userName'],
        });
        admitted = Boolean((await ctx.state.em.fork().findOne(MeetingAdmission, { meeting: meeting.id, participantKey }))?.admittedAt);
      }
      ctx.body = { admitted, participantKey, meetingToken };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/meetings/:id/knocks',
    summary: 'Who knocked on the meeting of your locked room, and whom you let in',
    tag: 'meetings',
    access: rules.meetingHost,
    params: meetingParams,
    responses: { 200: { description: 'Oldest first', schema: z.object({ items: z.array(admissionSchema) }) } },
    async handler(ctx, { params }) {
      const meeting = await loadMeeting(ctx, params.id, 'host');
      const knocks = await ctx.state.em.find(MeetingAdmission, { meeting: meeting.id }, { orderBy: { knockedAt: 'asc', id: 'asc' } });
      ctx.body = { items: knocks.map(admissionView) };
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/meetings/:id/knocks/admit',
    summary: 'Let someone who knocked into the meeting',
    tag: 'meetings',
    access: rules.meetingHost,
    params: meetingParams,
    body: z.strictObject({ participantKey: z.string().min(1).max(256) }),
    responses: { 200: { description: 'Admitted', schema: admissionSchema }, 404: { description: 'Nobody with that key knocked' } },
    async handler(ctx, { params, body }) {
      const meeting = await loadMeeting(ctx, params.id, 'host');
      const knock = await ctx.state.em.findOne(MeetingAdmission, { meeting: meeting.id, participantKey: body.participantKey });
      if (!knock) throw notFound(`A knock by "${body.participantKey}" on meeting "${meeting.id}"`);
      knock.admittedAt ??= new Date();
      await ctx.state.em.flush();
      ctx.body = admissionView(knock);
    },
  }),
];
