// A transcript's versions (issue 14 item 4): every rerun of its recording keeps the content it replaced
// (transcripts/versions.ts). Whoever may view the transcript lists its versions, reads one and sees what changed
// between two; reading a version's words is logged like viewing the transcript. Whoever may correct it (the
// recording's owner) picks the version shown by restoring one: logged as an edit, announced as `transcript.updated`.
import { z } from 'zod';
import { compareVersions, listVersions, restoreVersion, RestoreRefusedError, versionSegments } from '../transcripts/versions.ts';
import { StaleRevisionError } from '../transcripts/revisions.ts';
import { Transcript } from '../db/entities.ts';
import { ApiError, notFound } from './errors.ts';
import { loadTranscript, logAccess, rules } from './access.ts';
import { announceTranscriptUpdate } from './corrections.ts';
import { transcriptParams } from './transcripts.ts';
import { endpoint } from './endpoint.ts';

const versionSchema = z.object({
  number: z.number().int().describe('1 for the first; the current one is the last'),
  current: z.boolean().describe('The one the transcript shows (and its exports, search and corrections are of)'),
  madeAt: z.iso.datetime().describe('When its content was last written (by the pipeline or a correction)'),
  speechEngine: z.string().nullable(),
  summaryEngine: z.string().nullable(),
  language: z.string(),
  title: z.string().nullable(),
  shortSummary: z.string().nullable(),
  revision: z.number().int().describe("The transcript's revision it was kept at: its corrections are the edits up to it"),
  restoredFrom: z.number().int().nullable().describe('The version it is a restored copy of, if it is one'),
});
const versionParams = transcriptParams.extend({ number: z.coerce.number().int().min(1) });
const turnSchema = z.object({ speaker: z.number().int(), speakerName: z.string(), start: z.number(), end: z.number(), text: z.string() });

export const transcriptVersionEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/versions',
    summary: "A transcript's versions: one kept per rerun of its recording (another engine, model or language), and the current one",
    tag: 'transcripts',
    access: rules.recordingViewer,
    params: transcriptParams,
    responses: { 200: { description: 'Oldest first, the current one last', schema: z.object({ items: z.array(versionSchema) }) } },
    async handler(ctx, { params }) {
      const t = await loadTranscript(ctx, params.id, 'view');
      ctx.body = { items: await listVersions(ctx.state.em, t) };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/versions/:number',
    summary: "One version of a transcript, with its speaker turns",
    tag: 'transcripts',
    access: rules.recordingViewer,
    params: versionParams,
    responses: { 200: { description: 'The version', schema: versionSchema.extend({ segments: z.array(turnSchema) }) }, 404: { description: 'No such version' } },
    async handler(ctx, { params }) {
      const t = await loadTranscript(ctx, params.id, 'view');
      const version = (await listVersions(ctx.state.em, t)).find((v) => v.number === params.number);
      if (!version) throw notFound(`Version ${params.number} of this transcript`);
      const segments = await versionSegments(ctx.state.services.storage, t, version);
      await logAccess(ctx, { recordingId: t.recording.id, transcriptId: t.id, action: 'view', detail: `version ${params.number}` });
      ctx.body = { ...version, segments: segments.map(({ speaker, speakerName, start, end, text }) => ({ speaker, speakerName, start, end, text })) };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/versions/:number/changes',
    summary: 'What changed in a version\'s words since another (by default the one before it): runs of words kept, removed and added, turn by turn as "Speaker: text" lines',
    tag: 'transcripts',
    access: rules.recordingViewer,
    params: versionParams,
    query: z.object({ from: z.coerce.number().int().min(1).optional().describe('The version compared with (default: the one before)') }),
    responses: {
      200: {
        description: 'The changes',
        schema: z.object({
          from: z.number().int(), to: z.number().int(), wordsRemoved: z.number().int(), wordsAdded: z.number().int(),
          parts: z.array(z.object({ change: z.enum(['same', 'removed', 'added']), text: z.string() })),
        }),
      },
      404: { description: 'No such version (or none before the first)' },
    },
    async handler(ctx, { params, query }) {
      const t = await loadTranscript(ctx, params.id, 'view');
      const from = query.from ?? params.number - 1;
      const versions = await listVersions(ctx.state.em, t);
      const [older, newer] = [versions.find((v) => v.number === from), versions.find((v) => v.number === params.number)];
      if (!older) throw notFound(`Version ${from} of this transcript`);
      if (!newer) throw notFound(`Version ${params.number} of this transcript`);
      const { storage } = ctx.state.services;
      const [before, after] = await Promise.all([versionSegments(storage, t, older), versionSegments(storage, t, newer)]);
      await logAccess(ctx, { recordingId: t.recording.id, transcriptId: t.id, action: 'view', detail: `changes from version ${from} to ${params.number}` });
      ctx.body = { from, to: params.number, ...compareVersions(before, after) };
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/transcripts/:id/versions/:number/restore',
    summary: 'Show an earlier version again: it becomes the current one (exported, searched, corrected), and the one it replaces is kept as a version',
    description: 'Nothing is lost: the content shown until now is kept as the newest earlier version, so switching back is another restore. The revision advances (corrections based on the one before are stale, and the edits before are no longer revertible, as after a rerun); action items stay as they are. Refused while the recording is being processed.',
    tag: 'transcripts',
    access: rules.recordingOwner,
    params: versionParams,
    body: z.strictObject({ revision: z.number().int().min(0).describe('The revision the caller saw (GET /v1/transcripts/:id answers the current one)') }),
    responses: {
      200: {
        description: 'Restored',
        schema: z.object({
          revision: z.number().int().describe("The transcript's revision now"),
          current: z.number().int().describe("The current version's number now (a copy of the restored one)"),
          kept: z.number().int().describe('The number the content shown until now was kept as'),
          webhook: z.enum(['scheduled', 'no-webhook', 'not-scheduled']).describe("`transcript.updated` to the room's webhook"),
        }),
      },
      404: { description: 'No such version' },
      409: { description: 'revision_conflict: changed since `revision` (details: the current revision); transcript_not_ready: being processed; version_current: the one shown already' },
    },
    async handler(ctx, { params, body }) {
      const t = await loadTranscript(ctx, params.id, 'own');
      const { services } = ctx.state;
      let restored;
      try {
        restored = await restoreVersion(services.db.em.fork(), services.storage, t.id, params.number, body.revision);
      } catch (error) {
        if (error instanceof RestoreRefusedError) throw error.status === 404 ? notFound(`Version ${params.number} of this transcript`) : new ApiError(409, error.code, error.message);
        if (!(error instanceof StaleRevisionError)) throw error;
        const now = await services.db.em.fork().findOneOrFail(Transcript, t.id);
        throw new ApiError(409, 'revision_conflict', `Changed by someone else: the transcript is at revision ${now.revision}, not ${body.revision}; reload and choose again`, { revision: now.revision, turn: null });
      }
      await logAccess(ctx, { recordingId: t.recording.id, transcriptId: t.id, action: 'edit', detail: `revision ${restored.revision}: restored version ${params.number} (the one before kept as version ${restored.kept})` });
      ctx.body = {
        ...restored,
        webhook: await announceTranscriptUpdate(ctx, t, { transcriptId: t.id, restored: { version: params.number, revision: restored.revision } }, restored.revision),
      };
    },
  }),
];
