// Action items as things (issue 14 item 6): a transcript's items (its viewers read them; its owner ticks, edits,
// adds and deletes them), a room's open items across its meetings, both exported as CSV or Markdown. Who sees a
// room's items is who may see each transcript (the lists' rule); every change is written to the access log.
import { z } from 'zod';
import { ActionItem, type Transcript } from '../db/entities.ts';
import { actionItemsCsv, actionItemsMarkdown, type ExportedActionItem } from '../transcripts/action-items.ts';
import { ACTION_ITEM_ORDER, listActionItems } from '../transcripts/action-item-records.ts';
import { indexTranscript } from '../transcripts/search-index.ts';
import { ApiError, notFound } from './errors.ts';
import { pageAnswer, pageOf, pageQuerySchema } from './rooms.ts';
import { callerUserId, loadRoom, loadTranscript, logAccess, rules, visibleTranscriptsWhere } from './access.ts';
import { transcriptParams } from './transcripts.ts';
import { endpoint } from './endpoint.ts';
import type { ApiContext } from './app.ts';

const FORMATS = {
  json: { type: 'application/json', extension: 'json' },
  csv: { type: 'text/csv; charset=utf-8', extension: 'csv' },
  markdown: { type: 'text/markdown; charset=utf-8', extension: 'md' },
} as const;
const formatQuery = z.enum(Object.keys(FORMATS) as [keyof typeof FORMATS]).default('json').describe('json (the default), or a file: csv, markdown');
const MAX_EXPORTED = 5_000;

const dueDay = z.iso.date().describe('The day it is due, YYYY-MM-DD');
const ownerName = z.string().trim().min(1).max(256).describe('Who does it (a participant, or anyone named)');
const itemText = z.string().trim().min(1).max(2_000);

const itemSchema = z.object({
  id: z.uuid(),
  transcriptId: z.uuid(),
  text: z.string(),
  owner: z.string().nullable(),
  due: z.string().nullable().describe('YYYY-MM-DD'),
  startSeconds: z.number().nullable().describe('Its moment in the recording, when it could be told'),
  link: z.string().describe('The transcript page, at its moment'),
  done: z.boolean(),
  doneAt: z.iso.datetime().nullable(),
  doneBy: z.string().nullable().describe('The user who ticked it'),
  source: z.enum(['summary', 'person']).describe("summary: found in the meeting by the summary; person: added by someone"),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const roomItemSchema = itemSchema.extend({
  transcript: z.object({ id: z.uuid(), title: z.string().nullable(), recordedAt: z.iso.datetime(), meetingId: z.string().nullable() }),
});

const itemParams = transcriptParams.extend({ itemId: z.string() });
const addBody = z.strictObject({ text: itemText, owner: ownerName.optional(), due: dueDay.optional(), startSeconds: z.number().min(0).max(7 * 86_400).optional() });
const changeBody = z
  .strictObject({ text: itemText.optional(), owner: ownerName.nullable().optional(), due: dueDay.nullable().optional(), done: z.boolean().optional() })
  .refine((b) => Object.keys(b).length > 0, { message: 'Give at least one of "text", "owner", "due" and "done"' });

const secondsOf = (item: ActionItem) => (item.startSeconds === null || item.startSeconds === undefined ? null : Number(item.startSeconds));
const linkOf = (item: ActionItem, transcriptId: string) => `/transcripts/${transcriptId}${secondsOf(item) === null ? '' : `?t=${Math.floor(secondsOf(item)!)}`}`;

function itemView(item: ActionItem, transcriptId: string) {
  return {
    id: item.id, transcriptId, text: item.text, owner: item.owner ?? null, due: item.due ?? null, startSeconds: secondsOf(item),
    link: linkOf(item, transcriptId), done: item.done, doneAt: item.doneAt?.toISOString() ?? null, doneBy: item.doneBy ?? null,
    source: item.source, createdAt: item.createdAt.toISOString(), updatedAt: item.updatedAt.toISOString(),
  };
}

function exported(ctx: ApiContext, item: ActionItem, transcript: Transcript): ExportedActionItem {
  return {
    text: item.text, owner: item.owner ?? null, due: item.due ?? null, done: item.done,
    meeting: transcript.title ?? 'Untitled meeting', recordedAt: transcript.recording.recordedAt.toISOString(),
    link: `${ctx.state.services.config.api.publicUrl}${linkOf(item, transcript.id)}`,
  };
}

/** Answers a file of items, named after what they are of. */
function sendFile(ctx: ApiContext, format: 'csv' | 'markdown', name: string, title: string, items: ExportedActionItem[]): void {
  ctx.type = FORMATS[format].type;
  ctx.set('Content-Disposition', `attachment; filename="${name}.${FORMATS[format].extension}"`);
  ctx.body = format === 'csv' ? actionItemsCsv(items) : actionItemsMarkdown(title, items);
}

async function loadItem(ctx: ApiContext, transcript: Transcript, itemId: string): Promise<ActionItem> {
  const item = z.uuid().safeParse(itemId).success ? await ctx.state.em.findOne(ActionItem, { id: itemId, transcript: transcript.id, deletedAt: null }) : null;
  if (!item) throw notFound(`Action item "${itemId}"`);
  return item;
}

async function loadOwnEnded(ctx: ApiContext, id: string): Promise<Transcript> {
  const transcript = await loadTranscript(ctx, id, 'own');
  if (transcript.status !== 'ended') throw new ApiError(409, 'transcript_not_ready', `The transcript is ${transcript.status}; its action items exist once it has ended`);
  return transcript;
}

/** After a change: logged, and the search index rebuilt (an item's words are found as they are now). */
async function changed(ctx: ApiContext, transcript: Transcript, what: string): Promise<void> {
  await logAccess(ctx, { recordingId: transcript.recording.id, transcriptId: transcript.id, action: 'edit', detail: `action item ${what}`.slice(0, 500) });
  await indexTranscript(ctx.state.services.db.em.fork(), ctx.state.services.storage, transcript.id);
}

const fileResponses = { 200: { description: 'The items (json: { items }; csv and markdown: a file, Content-Disposition: attachment)', schema: z.object({ items: z.array(itemSchema) }) } };

export const actionItemEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/action-items',
    summary: "A transcript's action items, in order (owner, due day, moment, done), or exported as CSV or Markdown",
    tag: 'action items',
    access: rules.recordingViewer,
    params: transcriptParams,
    query: z.object({ format: formatQuery }),
    rateLimit: 'public',
    responses: fileResponses,
    async handler(ctx, { params, query }) {
      const transcript = await loadTranscript(ctx, params.id, 'view');
      const items = await listActionItems(ctx.state.em, transcript.id);
      if (query.format === 'json') {
        ctx.body = { items: items.map((item) => itemView(item, transcript.id)) };
        return;
      }
      await logAccess(ctx, { recordingId: transcript.recording.id, transcriptId: transcript.id, action: 'download', detail: `action items ${query.format}` });
      sendFile(ctx, query.format, `action-items-${transcript.id}`, `Action items: ${transcript.title ?? 'Untitled meeting'}`, items.map((item) => exported(ctx, item, transcript)));
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/transcripts/:id/action-items',
    summary: 'Add an action item to a transcript (after its last one)',
    tag: 'action items',
    access: rules.recordingOwner,
    params: transcriptParams,
    body: addBody,
    bodyLimit: 16 * 1024,
    responses: { 201: { description: 'Added', schema: itemSchema }, 409: { description: 'The transcript has not ended' } },
    async handler(ctx, { params, body }) {
      const transcript = await loadOwnEnded(ctx, params.id);
      const { em } = ctx.state;
      const last = await em.findOne(ActionItem, { transcript: transcript.id }, { orderBy: { position: 'desc' } });
      const item = em.create(ActionItem, {
        transcript: transcript.id, position: (last?.position ?? -1) + 1, text: body.text, owner: body.owner ?? null, due: body.due ?? null,
        startSeconds: body.startSeconds ?? null, source: 'person', touched: true, createdBy: callerUserId(ctx.state.caller),
      });
      await em.flush();
      await changed(ctx, transcript, `added: ${item.text}`);
      ctx.status = 201;
      ctx.body = itemView(item, transcript.id);
    },
  }),
  endpoint({
    method: 'patch',
    path: '/v1/transcripts/:id/action-items/:itemId',
    summary: 'Tick an action item done or undone, or change its text, owner or due day (null clears them)',
    tag: 'action items',
    access: rules.recordingOwner,
    params: itemParams,
    body: changeBody,
    bodyLimit: 16 * 1024,
    responses: { 200: { description: 'Changed', schema: itemSchema } },
    async handler(ctx, { params, body }) {
      const transcript = await loadOwnEnded(ctx, params.id);
      const item = await loadItem(ctx, transcript, params.itemId);
      if (body.text !== undefined) item.text = body.text;
      if (body.owner !== undefined) item.owner = body.owner;
      if (body.due !== undefined) item.due = body.due;
      if (body.done !== undefined && body.done !== item.done) {
        item.done = body.done;
        item.doneAt = body.done ? new Date() : null;
        item.doneBy = body.done ? callerUserId(ctx.state.caller) : null;
      }
      item.touched = true;
      await ctx.state.em.flush();
      await changed(ctx, transcript, `changed (${Object.keys(body).join(', ')}): ${item.text}`);
      ctx.body = itemView(item, transcript.id);
    },
  }),
  endpoint({
    method: 'delete',
    path: '/v1/transcripts/:id/action-items/:itemId',
    summary: 'Delete an action item (one the summary found is not brought back by a rerun of the pipeline)',
    tag: 'action items',
    access: rules.recordingOwner,
    params: itemParams,
    responses: { 204: { description: 'Deleted' } },
    async handler(ctx, { params }) {
      const transcript = await loadOwnEnded(ctx, params.id);
      const item = await loadItem(ctx, transcript, params.itemId);
      // The summary's item leaves its mark, so that a rerun of the pipeline does not bring it back.
      if (item.source === 'summary') item.deletedAt = new Date();
      else ctx.state.em.remove(item);
      await ctx.state.em.flush();
      await changed(ctx, transcript, `deleted: ${item.text}`);
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/rooms/:name/action-items',
    summary: "A room's action items across its meetings (the transcripts you may see), newest meeting first: open ones unless `status` says; or exported as CSV or Markdown",
    tag: 'action items',
    access: rules.roomViewer,
    params: z.object({ name: z.string() }),
    query: pageQuerySchema.extend({ status: z.enum(['open', 'done', 'all']).default('open'), format: formatQuery }),
    responses: {
      200: { description: 'A page of items with their transcript (csv and markdown: every item, up to 5,000, as a file)', schema: pageOf(roomItemSchema) },
    },
    async handler(ctx, { params, query }) {
      const room = await loadRoom(ctx, params.name, 'see');
      const { em } = ctx.state;
      const where = {
        deletedAt: null,
        transcript: { $and: [await visibleTranscriptsWhere(ctx), { status: 'ended', recording: { meeting: { room: room.id } } }] },
        ...(query.status === 'all' ? {} : { done: query.status === 'done' }),
      };
      const options = { populate: ['transcript', 'transcript.recording'] as const, orderBy: [{ transcript: { recording: { recordedAt: 'desc' } } }, ACTION_ITEM_ORDER] };
      if (query.format !== 'json') {
        const items = await em.find(ActionItem, where, { ...options, limit: MAX_EXPORTED });
        sendFile(ctx, query.format, `action-items-${room.name}`, `Action items: ${room.name} (${query.status})`, items.map((item) => exported(ctx, item, item.transcript as Transcript)));
        return;
      }
      const [items, total] = await em.findAndCount(ActionItem, where, { ...options, limit: query.limit, offset: query.offset });
      ctx.body = pageAnswer(items.map((item) => roomItemView(item)), total, query);
    },
  }),
];

function roomItemView(item: ActionItem) {
  const transcript = item.transcript as Transcript;
  return {
    ...itemView(item, transcript.id),
    transcript: { id: transcript.id, title: transcript.title ?? null, recordedAt: transcript.recording.recordedAt.toISOString(), meetingId: transcript.recording.meeting?.id ?? null },
  };
}
