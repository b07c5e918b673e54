// A transcript's versions (issue 14 item 4): every rerun of its recording keeps the content it replaced
// (transcripts/versions.ts). Whoever may view the transcript lists its versions, reads one and sees what changed
// between two; reading a version's words is logged like viewing the transcript.
import { z } from 'zod';
import { compareVersions, listVersions, versionSegments } from '../transcripts/versions.ts';
import { notFound } from './errors.ts';
import { loadTranscript, logAccess, rules } from './access.ts';
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
];
