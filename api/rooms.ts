// Rooms: persistent, named templates from which meetings are held.
import Router from '@koa/router';
import { z } from 'zod';
import { Room, Meeting, PLATFORMS, RECORDING_TRIGGERS, RECORDING_TYPES, ROOM_MODES } from '../db/entities.ts';
import { ApiError, notFound, parseInput } from './errors.ts';
import { readJsonBody } from './body.ts';
import type { ApiContext, ApiState } from './app.ts';
import { assertPublicDestination, DestinationRefusedError } from '../activities/outgoing-webhooks.ts';

/** Lower-case letters, digits and single hyphens; it becomes part of the platform's room name and our URLs. */
export const roomNameSchema = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(50, 'must be at most 50 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case letters, digits and single hyphens, e.g. "weekly-sync"');

const roomSettings = {
  platform: z.enum(PLATFORMS),
  recordingType: z.enum(RECORDING_TYPES),
  recordingTrigger: z.enum(RECORDING_TRIGGERS),
  locked: z.boolean(),
  roomMode: z.enum(ROOM_MODES),
  shared: z.boolean(),
  skipConsent: z.boolean(),
  webhookUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048).nullable(),
  webhookSecret: z.string().min(16, 'must be at least 16 characters').max(256).nullable(),
  retentionDays: z.number().int().min(1).max(3650).nullable(),
};

const createRoomSchema = z.strictObject({ name: roomNameSchema, ...roomSettings }).partial({
  platform: true, recordingType: true, recordingTrigger: true, locked: true, roomMode: true, shared: true,
  skipConsent: true, webhookUrl: true, webhookSecret: true, retentionDays: true,
});
const updateRoomSchema = z.strictObject(roomSettings).partial();
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

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
    webhookUrl: room.webhookUrl ?? null,
    hasWebhookSecret: Boolean(room.webhookSecret),
    retentionDays: room.retentionDays ?? null,
    createdAt: room.createdAt.toISOString(),
    updatedAt: room.updatedAt.toISOString(),
  };
}

export async function findRoomByName(ctx: ApiContext, name: string): Promise<Room> {
  const room = await ctx.state.em.findOne(Room, { name });
  if (!room) throw notFound(`Room "${name}"`);
  return room;
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

export function roomsRouter() {
  const router = new Router<ApiState>({ prefix: '/v1/rooms' });

  router.post('/', async (ctx) => {
    const input = parseInput(createRoomSchema, await readJsonBody(ctx));
    await assertWebhookAllowed(ctx, input.webhookUrl);
    const em = ctx.state.em;
    if (await em.count(Room, { name: input.name })) throw new ApiError(409, 'room_exists', `A room named "${input.name}" already exists`);
    const room = em.create(Room, { ...input, ownerId: ctx.state.caller.userId });
    await em.flush();
    ctx.status = 201;
    ctx.set('Location', `/v1/rooms/${room.name}`);
    ctx.body = roomView(room);
  });

  router.get('/', async (ctx) => {
    const page = parseInput(pageQuerySchema, ctx.query, 'query');
    const [rooms, total] = await ctx.state.em.findAndCount(Room, {}, { orderBy: { createdAt: 'desc', id: 'asc' }, limit: page.limit, offset: page.offset });
    ctx.body = { items: rooms.map(roomView), total, limit: page.limit, offset: page.offset, hasMore: page.offset + rooms.length < total };
  });

  router.get('/:name', async (ctx) => {
    ctx.body = roomView(await findRoomByName(ctx, ctx.params.name!));
  });

  router.patch('/:name', async (ctx) => {
    const input = parseInput(updateRoomSchema, await readJsonBody(ctx));
    await assertWebhookAllowed(ctx, input.webhookUrl);
    const room = await findRoomByName(ctx, ctx.params.name!);
    ctx.state.em.assign(room, input);
    await ctx.state.em.flush();
    ctx.body = roomView(room);
  });

  router.delete('/:name', async (ctx) => {
    const room = await findRoomByName(ctx, ctx.params.name!);
    if (await ctx.state.em.count(Meeting, { room, active: true })) {
      throw new ApiError(409, 'room_has_active_meeting', `Room "${room.name}" has an active meeting; end it first`);
    }
    await ctx.state.em.remove(room).flush();
    ctx.status = 204;
  });

  return router;
}
