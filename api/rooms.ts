// Rooms: persistent, named templates from which meetings are held.
import { z } from 'zod';
import { Room, Meeting, PLATFORMS, RECORDING_TRIGGERS, RECORDING_TYPES, ROOM_DEFAULTS, ROOM_MODES, type PlatformName, type RoomMode } from '../db/entities.ts';
import { ApiError } from './errors.ts';
import type { ApiContext } from './app.ts';
import { endpoint } from './endpoint.ts';
import { callerUserId, loadRoom, ownsRoom, rules, visibleRoomsWhere } from './access.ts';
import { assertPublicDestination, DestinationRefusedError } from '../activities/outgoing-webhooks.ts';

/** Lower-case letters, digits and single hyphens; it becomes part of the platform's room name and our URLs. */
export const roomNameSchema = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(50, 'must be at most 50 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case letters, digits and single hyphens, e.g. "weekly-sync"')
  .refine((name) => !RESERVED_ROOM_NAMES.includes(name), { message: 'is the address of one of the app\'s pages; choose another name' });

/** A room's page is `/<name>`: these names are the app's own pages (web/src/App.tsx APP_PATHS) and the API's. */
export const RESERVED_ROOM_NAMES: readonly string[] = ['signin', 'rooms', 'meetings', 'recordings', 'transcripts', 'account', 'admin', 'healthz', 'readyz', 'metrics', 'assets'];

const roomSettings = {
  platform: z.enum(PLATFORMS),
  recordingType: z.enum(RECORDING_TYPES),
  recordingTrigger: z.enum(RECORDING_TRIGGERS),
  locked: z.boolean(),
  roomMode: z.enum(ROOM_MODES),
  shared: z.boolean(),
  skipConsent: z.boolean(),
  allowAnonymous: z.boolean(),
  webhookUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048).nullable(),
  webhookSecret: z.string().min(16, 'must be at least 16 characters').max(256).nullable(),
  retentionDays: z.number().int().min(1).max(3650).nullable(),
  vocabulary: z
    .array(z.string().trim().min(1, 'a term may not be empty').max(64, 'a term is at most 64 characters'))
    .max(100, 'at most 100 terms')
    .transform((terms) => [...new Set(terms)])
    .describe("Names and terms said in the room's meetings (product names, jargon): the recognizer is told them so they come out as written, and so is the summary engine"),
  background: z.string().trim().max(4000).nullable().transform((text) => text || null)
    .describe('Who the team is and what the meeting series is for: given to the summary engine (a service engine; the offline summary cannot use it)'),
  emailParticipants: z.boolean()
    .describe("When a transcript of its meetings ends, mail its title, summary, action items and link to the meeting's participants who have an account (the server needs SMTP_URL)"),
  zulipStream: z.string().trim().min(1).max(128).nullable()
    .describe("When a transcript of its meetings ends, post its notes to this Zulip stream, and edit that message when the transcript is corrected or rerun (the server needs its Zulip bot); null: none"),
  zulipTopic: z.string().trim().min(1).max(128).nullable().describe("The Zulip topic the notes go to; null: the room's name"),
};

const updateRoomSchema = z.strictObject(roomSettings).partial();
const createRoomSchema = updateRoomSchema.extend({ name: roomNameSchema });
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** What anyone who may join the room sees: enough to show the room page. */
export function roomGuestView(room: Room) {
  return {
    name: room.name,
    platform: room.platform,
    recordingType: room.recordingType,
    recordingTrigger: room.recordingTrigger,
    skipConsent: room.skipConsent,
    allowAnonymous: room.allowAnonymous,
    locked: room.locked,
  };
}

export function roomView(room: Room) {
  return {
    id: room.id,
    name: room.name,
    ownerId: room.ownerId,
    platform: room.platform,
    recordingType: room.recordingType,
    recordingTrigger: room.recordingTrigger,
    locked: room.locked,
    roomMode: room.roomMode,
    shared: room.shared,
    skipConsent: room.skipConsent,
    allowAnonymous: room.allowAnonymous,
    webhookUrl: room.webhookUrl ?? null,
    hasWebhookSecret: Boolean(room.webhookSecret),
    retentionDays: room.retentionDays ?? null,
    vocabulary: room.vocabulary ?? [],
    background: room.background ?? null,
    emailParticipants: room.emailParticipants,
    zulipStream: room.zulipStream ?? null,
    zulipTopic: room.zulipTopic ?? null,
    createdAt: room.createdAt.toISOString(),
    updatedAt: room.updatedAt.toISOString(),
  };
}

/** No SSRF through a room's webhook URL: checked here for a clear 400, and again at each delivery. */
async function assertWebhookAllowed(ctx: ApiContext, url: string | null | undefined): Promise<void> {
  if (!url) return;
  try {
    await assertPublicDestination(url, { allowPrivate: ctx.state.services.config.outgoingWebhooksAllowPrivate });
  } catch (error) {
    if (!(error instanceof DestinationRefusedError)) throw error;
    throw new ApiError(400, 'invalid_input', `Invalid body: webhookUrl: ${error.message}`, [{ field: 'webhookUrl', message: error.message }]);
  }
}

/**
 * What this server can honour: a platform that is not configured, or a room mode the platform gives no
 * meaning to, is refused with a 400 naming what is possible, instead of being stored and silently ignored.
 * Only the fields the request sets are checked (a room stored before keeps working as it did).
 */
function assertHonourable(ctx: ApiContext, input: { name?: string; platform?: PlatformName | undefined; roomMode?: RoomMode | undefined; emailParticipants?: boolean | undefined; zulipStream?: string | null | undefined }, room?: Room): void {
  const configured = ctx.state.services.platforms;
  const platform = configured.find(input.platform ?? room?.platform ?? configured.forNewRoom(input.name ?? ''));
  const refuse = (field: string, message: string) => {
    throw new ApiError(400, 'invalid_input', `Invalid body: ${field}: ${message}`, [{ field, message }]);
  };
  if (input.platform !== undefined && !platform) {
    refuse('platform', `"${input.platform}" is not configured on this server; configured: ${configured.names.join(', ')}`);
  }
  if (input.roomMode !== undefined && platform && !platform.roomModes.includes(input.roomMode)) {
    refuse('roomMode', `"${input.roomMode}" has no meaning on ${platform.name}; it takes: ${platform.roomModes.join(', ')}`);
  }
  const { delivery } = ctx.state.services.config;
  if (input.emailParticipants && !delivery.mail) refuse('emailParticipants', 'this server sends no mail (SMTP_URL is not set)');
  if (input.zulipStream && !delivery.zulip) refuse('zulipStream', 'this server has no Zulip bot (ZULIP_SITE, ZULIP_BOT_EMAIL and ZULIP_API_KEY are not set)');
}

/** What the settings of a new room are unless set, and what each configured platform takes. */
const roomDefaultsSchema = z.object({
  defaults: z.object({ ...roomSettings, webhookUrl: z.null(), retentionDays: z.null(), vocabulary: z.array(z.string()).max(0), background: z.null(), zulipStream: z.null(), zulipTopic: z.null() }).omit({ webhookSecret: true }),
  delivery: z.object({
    email: z.boolean().describe('This server sends mail: a room may set emailParticipants'),
    zulip: z.boolean().describe('This server has a Zulip bot: a room may set zulipStream'),
  }),
  platforms: z.array(z.object({ name: z.enum(PLATFORMS), roomModes: z.array(z.enum(ROOM_MODES)) })),
  rollout: z.object({
    enabled: z.boolean().describe('The master switch'),
    legacy: z.enum(PLATFORMS).describe('Every new room while the switch is off'),
    target: z.enum(PLATFORMS).describe('Switch on: the rooms named in `rooms`'),
    rooms: z.array(z.string()),
    default: z.enum(PLATFORMS).describe('Switch on: every other room'),
  }).describe("The rule that gives a new room its platform when its owner does not choose; `defaults.platform` is the rule's answer for a room not in `rooms`"),
});

// What a room looks like in answers: its settings, but never its webhook secret (only whether it has one).
const { webhookSecret: _secret, ...shownSettings } = roomSettings;
const roomSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  ownerId: z.string(),
  ...shownSettings,
  hasWebhookSecret: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  isOwner: z.boolean(),
});
const roomGuestSchema = roomSchema.pick({ name: true, platform: true, recordingType: true, recordingTrigger: true, skipConsent: true, allowAnonymous: true, locked: true }).extend({ guest: z.literal(true) });
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int(), hasMore: z.boolean() });
/** The answer of a paged list (see pageOf): these items of `total`, at the query's limit and offset. */
export const pageAnswer = <T>(items: T[], total: number, query: { limit: number; offset: number }) => ({ items, total, limit: query.limit, offset: query.offset, hasMore: query.offset + items.length < total });
const roomNameParams = z.object({ name: z.string() });

export const roomEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/room-defaults',
    summary: "A new room's settings unless set (the web's form starts from them), and the platforms configured here",
    tag: 'rooms',
    access: rules.signedIn,
    responses: { 200: { description: 'The defaults and the configured platforms', schema: roomDefaultsSchema } },
    async handler(ctx) {
      const { rollout } = ctx.state.services.platforms;
      ctx.body = {
        defaults: { ...ROOM_DEFAULTS, platform: rollout.enabled ? rollout.default : rollout.legacy },
        rollout,
        delivery: { email: Boolean(ctx.state.services.config.delivery.mail), zulip: Boolean(ctx.state.services.config.delivery.zulip) },
        platforms: ctx.state.services.platforms.all.map((p) => ({ name: p.name, roomModes: p.roomModes })),
      };
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/rooms',
    summary: 'Create a room (you own it)',
    tag: 'rooms',
    access: rules.signedIn,
    body: createRoomSchema,
    responses: { 201: { description: 'Created', schema: roomSchema }, 409: { description: 'The name is taken' } },
    async handler(ctx, { body: input }) {
      assertHonourable(ctx, input);
      await assertWebhookAllowed(ctx, input.webhookUrl);
      const em = ctx.state.em;
      if (await em.count(Room, { name: input.name })) throw new ApiError(409, 'room_exists', `A room named "${input.name}" already exists`);
      // The owner's choice of platform, else the rollout rule's for this name (platforms/rollout.ts).
      const platform = input.platform ?? ctx.state.services.platforms.forNewRoom(input.name);
      const room = em.create(Room, { ...ROOM_DEFAULTS, ...input, platform, ownerId: callerUserId(ctx.state.caller)! });
      await em.flush();
      ctx.status = 201;
      ctx.set('Location', `/v1/rooms/${room.name}`);
      ctx.body = { ...roomView(room), isOwner: true };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/rooms',
    summary: 'Your rooms and the shared ones (admins: all)',
    tag: 'rooms',
    access: rules.signedIn,
    query: pageQuerySchema,
    responses: { 200: { description: 'A page of rooms, newest first', schema: pageOf(roomSchema) } },
    async handler(ctx, { query: page }) {
      const [rooms, total] = await ctx.state.em.findAndCount(Room, visibleRoomsWhere(ctx.state.caller), { orderBy: { createdAt: 'desc', id: 'asc' }, limit: page.limit, offset: page.offset });
      ctx.body = pageAnswer(rooms.map((room) => ({ ...roomView(room), isOwner: ownsRoom(ctx.state.caller, room) })), total, page);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/rooms/:name',
    summary: 'A room: all its settings for those who may see it, the public part for guests',
    tag: 'rooms',
    access: rules.roomGuest,
    params: roomNameParams,
    rateLimit: 'public',
    responses: { 200: { description: 'The room', schema: z.union([roomSchema, roomGuestSchema]) } },
    async handler(ctx, { params }) {
      const room = await loadRoom(ctx, params.name, 'join');
      const { caller } = ctx.state;
      const seesAll = ownsRoom(caller, room) || (caller.kind === 'user' && room.shared);
      ctx.body = seesAll ? { ...roomView(room), isOwner: ownsRoom(caller, room) } : { ...roomGuestView(room), guest: true };
    },
  }),
  endpoint({
    method: 'patch',
    path: '/v1/rooms/:name',
    summary: "Change a room's settings",
    tag: 'rooms',
    access: rules.roomOwner,
    params: roomNameParams,
    body: updateRoomSchema,
    responses: { 200: { description: 'The room as saved', schema: roomSchema } },
    async handler(ctx, { params, body: input }) {
      await assertWebhookAllowed(ctx, input.webhookUrl);
      const room = await loadRoom(ctx, params.name, 'own');
      assertHonourable(ctx, input, room);
      ctx.state.em.assign(room, input);
      await ctx.state.em.flush();
      ctx.body = { ...roomView(room), isOwner: true };
    },
  }),
  endpoint({
    method: 'delete',
    path: '/v1/rooms/:name',
    summary: 'Delete a room (not while it has an active meeting)',
    tag: 'rooms',
    access: rules.roomOwner,
    params: roomNameParams,
    responses: { 204: { description: 'Deleted' }, 409: { description: 'The room has an active meeting' } },
    async handler(ctx, { params }) {
      const room = await loadRoom(ctx, params.name, 'own');
      if (await ctx.state.em.count(Meeting, { room, active: true })) {
        throw new ApiError(409, 'room_has_active_meeting', `Room "${room.name}" has an active meeting; end it first`);
      }
      await ctx.state.em.remove(room).flush();
      ctx.status = 204;
    },
  }),
];
