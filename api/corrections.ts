// Corrections of an ended transcript: rename a speaker, merge one speaker into another, move a turn to another
// speaker, edit a turn's text; the history of edits, and reverting one. Who may correct is who owns the recording
// (rule recording-owner: the room's owner and admins). Every correction names the revision it was based on
// (`revision` in the body); a stale one is refused with 409 `revision_conflict`, whose details carry the current
// revision and the current turn, so nothing is lost. Each correction is one transaction (transcripts/revisions.ts),
// written to the access log (action `edit`), and sent to the room's webhook as `transcript.updated`.
import { z } from 'zod';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { Transcript, TranscriptEdit } from '../db/entities.ts';
import { CORRECTION_KINDS, CorrectionError, editText, mergeSpeakers, moveTurn, renameSpeaker, revertCorrection, type Correction, type ContentPart, type TranscriptContent } from '../transcripts/corrections.ts';
import { commitCorrection, readContent, StaleRevisionError } from '../transcripts/revisions.ts';
import { transcriptRestoredWorkflowId, transcriptUpdatedWorkflow, transcriptUpdatedWorkflowId, type TranscriptUpdatedInput } from '../workflows/transcript-updated.ts';
import { RecordingIdAttribute } from '../workflows/search-attributes.ts';
import { ApiError, notFound } from './errors.ts';
import { pageAnswer, pageOf, pageQuerySchema } from './rooms.ts';
import { callerUserId, loadTranscript, logAccess, rules } from './access.ts';
import { segmentSchema, transcriptParams } from './transcripts.ts';
import { endpoint } from './endpoint.ts';
import type { ApiContext } from './app.ts';

const revision = z.number().int().min(0).describe('The revision the correction is based on (GET /v1/transcripts/:id answers the current one)');
const speakerIndex = z.coerce.number().int().min(0).max(10_000);
const turnText = z.string().min(1).max(10_000);

const speakerParams = transcriptParams.extend({ speaker: speakerIndex.describe("The speaker's index (`speaker` of a turn and of a participant)") });
const turnParams = transcriptParams.extend({ index: z.coerce.number().int().min(0).max(1_000_000).describe("The turn's index in `segments`") });
const editParams = transcriptParams.extend({ editId: z.string() });

const renameBody = z.strictObject({ revision, name: z.string().trim().min(1).max(256).describe("The speaker's new name, in every turn") });
const mergeBody = z.strictObject({ revision, into: speakerIndex.describe('The speaker who takes over every turn of the one in the path; the one in the path leaves the participants') });
const turnBody = z
  .strictObject({
    revision,
    speaker: speakerIndex.optional().describe('Move the turn to this speaker'),
    text: turnText.optional().describe("The turn's corrected text: unchanged words keep their times, new words are placed between their neighbours"),
  })
  .refine((b) => (b.speaker === undefined) !== (b.text === undefined), { message: 'Give exactly one of "speaker" and "text"' });
const revertBody = z.strictObject({ revision });

const participantSchema = z.object({ speaker: z.number(), name: z.string(), platformParticipantId: z.string().nullable(), userId: z.string().nullable() });
const editSchema = z.object({
  id: z.uuid(),
  revision: z.number().int().describe('The revision this edit made'),
  kind: z.enum(CORRECTION_KINDS),
  summary: z.string(),
  userId: z.string().nullable().describe('Who made it'),
  at: z.iso.datetime(),
  revertOf: z.string().nullable().describe('The edit this one reverted'),
  revertible: z.boolean().describe('Whether POST …/revert applies (not for an edit made before the transcript was made again)'),
  before: z.object({}).loose().describe('The parts it changed, as they were: `participants` (all) and/or `turns` ({ index, speaker, start, end, text, words })'),
  after: z.object({}).loose().describe('The same parts, as it left them'),
});
const correctedSchema = z.object({
  revision: z.number().int(),
  edit: editSchema,
  participants: z.array(participantSchema),
  segments: z.array(segmentSchema),
  webhook: z.enum(['scheduled', 'no-webhook', 'not-scheduled']).describe("`transcript.updated` to the room's webhook: scheduled (delivered and retried by the worker), none configured, or could not be scheduled"),
});
const conflictSchema = z.object({
  error: z.object({
    code: z.enum(['revision_conflict', 'transcript_not_ready', 'not_revertible']),
    message: z.string(),
    details: z.object({ revision: z.number().int(), turn: segmentSchema.nullable().describe('The turn as it is now (turn edits)') }).optional(),
  }),
});

const correctionResponses = {
  200: { description: 'Corrected: the new revision, the edit, and the content now', schema: correctedSchema },
  409: { description: 'revision_conflict: changed by someone else since `revision` (details: the current revision and turn); transcript_not_ready: not ended; not_revertible', schema: conflictSchema },
};

const turnView = (segment: TranscriptContent['segments'][number] | undefined) => {
  if (!segment) return null;
  const { words: _words, ...turn } = segment;
  return turn;
};

function editView(edit: TranscriptEdit, revertible = true) {
  return {
    id: edit.id, revision: edit.revision, kind: edit.kind, summary: edit.summary, userId: edit.userId ?? null, at: edit.at.toISOString(),
    revertOf: edit.revertOf ?? null, revertible, before: edit.before as Record<string, unknown>, after: edit.after as Record<string, unknown>,
  };
}

/** Loads the transcript for a correction and refuses a stale or early one. */
async function loadForCorrection(ctx: ApiContext, id: string, basedOn: number, turn?: number): Promise<{ transcript: Transcript; content: TranscriptContent }> {
  const transcript = await loadTranscript(ctx, id, 'own');
  if (transcript.status !== 'ended') throw new ApiError(409, 'transcript_not_ready', `The transcript is ${transcript.status}; it can be corrected once it has ended`);
  const content = await readContent(ctx.state.services.storage, transcript);
  if (transcript.revision !== basedOn) throw revisionConflict(basedOn, transcript.revision, turn === undefined ? undefined : content.segments[turn]);
  return { transcript, content };
}

function revisionConflict(basedOn: number, current: number, turn: TranscriptContent['segments'][number] | undefined): ApiError {
  return new ApiError(409, 'revision_conflict', `Changed by someone else: the transcript is at revision ${current}, not ${basedOn}; reload and correct again`, {
    revision: current,
    turn: turnView(turn),
  });
}

/** Commits, logs and announces a correction; answers the content now. */
async function correct(ctx: ApiContext, transcript: Transcript, make: () => Correction, options: { basedOn: number; turn?: number; revertOf?: string }): Promise<void> {
  let correction: Correction;
  try {
    correction = make();
  } catch (error) {
    if (error instanceof CorrectionError) throw new ApiError(error.status, error.code, error.message);
    throw error;
  }
  const { services } = ctx.state;
  let edit: TranscriptEdit;
  try {
    edit = await commitCorrection(services.db.em.fork(), services.storage, transcript, correction, { basedOn: options.basedOn, userId: callerUserId(ctx.state.caller), revertOf: options.revertOf ?? null });
  } catch (error) {
    if (!(error instanceof StaleRevisionError)) throw error;
    // Someone else's correction committed between our read and our write.
    const now = await services.db.em.fork().findOneOrFail(Transcript, transcript.id);
    const content = await readContent(services.storage, now);
    throw revisionConflict(options.basedOn, now.revision, options.turn === undefined ? undefined : content.segments[options.turn]);
  }
  await logAccess(ctx, { recordingId: transcript.recording.id, transcriptId: transcript.id, action: 'edit', detail: `revision ${edit.revision}: ${edit.summary}` });
  ctx.body = {
    revision: edit.revision,
    edit: editView(edit),
    participants: correction.content.participants,
    segments: correction.content.segments.map((s) => turnView(s)!),
    webhook: await announceTranscriptUpdate(ctx, transcript, { transcriptId: transcript.id, editId: edit.id }, edit.revision),
  };
}

/**
 * Starts the delivery of `transcript.updated` after a correction or a restored version (after the commit: an
 * integrator never hears of a change that was not made), and the edit of the room's Zulip message, when it has one
 * of them. The answer is about the webhook.
 */
export async function announceTranscriptUpdate(ctx: ApiContext, transcript: Transcript, change: TranscriptUpdatedInput, revision: number): Promise<'scheduled' | 'no-webhook' | 'not-scheduled'> {
  const room = transcript.recording.meeting?.room;
  if (!room?.webhookUrl && !room?.zulipStream) return 'no-webhook';
  const { services } = ctx.state;
  try {
    await services.temporal.workflow.start(transcriptUpdatedWorkflow, {
      workflowId: change.editId ? transcriptUpdatedWorkflowId(change.editId) : transcriptRestoredWorkflowId(transcript.id, revision),
      taskQueue: services.config.temporal.taskQueue,
      args: [change],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [{ key: RecordingIdAttribute, value: transcript.recording.id }],
      staticSummary: `transcript.updated for transcript ${transcript.id} (revision ${revision}) to room "${room.name}"${room.zulipStream ? ' and its Zulip message' : ''}`,
    });
    return room.webhookUrl ? 'scheduled' : 'no-webhook';
  } catch {
    // The change stands; the answer says the integrator was not told.
    return room.webhookUrl ? 'not-scheduled' : 'no-webhook';
  }
}

export const correctionEndpoints = [
  endpoint({
    method: 'patch',
    path: '/v1/transcripts/:id/speakers/:speaker',
    summary: 'Rename a speaker (in every turn, the participants, the exports and the search index)',
    tag: 'transcripts',
    access: rules.recordingOwner,
    params: speakerParams,
    body: renameBody,
    responses: correctionResponses,
    async handler(ctx, { params, body }) {
      const { transcript, content } = await loadForCorrection(ctx, params.id, body.revision);
      await correct(ctx, transcript, () => renameSpeaker(content, params.speaker, body.name), { basedOn: body.revision });
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/transcripts/:id/speakers/:speaker/merge',
    summary: 'Merge a speaker into another: every turn of the speaker in the path becomes `into`\'s',
    description: 'Turns keep their places (two turns in a row may then be the same speaker\'s); the merged speaker leaves the participants until the merge is reverted.',
    tag: 'transcripts',
    access: rules.recordingOwner,
    params: speakerParams,
    body: mergeBody,
    responses: correctionResponses,
    async handler(ctx, { params, body }) {
      const { transcript, content } = await loadForCorrection(ctx, params.id, body.revision);
      await correct(ctx, transcript, () => mergeSpeakers(content, params.speaker, body.into), { basedOn: body.revision });
    },
  }),
  endpoint({
    method: 'patch',
    path: '/v1/transcripts/:id/turns/:index',
    summary: "Correct one turn: move it to another speaker (`speaker`) or correct its text (`text`)",
    description: "A text correction keeps the times of the words it leaves alone (a longest common subsequence of the old and new words); new words are spread over the time between their unchanged neighbours, within the turn.",
    tag: 'transcripts',
    access: rules.recordingOwner,
    params: turnParams,
    body: turnBody,
    responses: correctionResponses,
    async handler(ctx, { params, body }) {
      const { transcript, content } = await loadForCorrection(ctx, params.id, body.revision, params.index);
      const make = body.text !== undefined ? () => editText(content, params.index, body.text!) : () => moveTurn(content, params.index, body.speaker!);
      await correct(ctx, transcript, make, { basedOn: body.revision, turn: params.index });
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/edits',
    summary: "The transcript's corrections, newest first: who, when, what before and after",
    tag: 'transcripts',
    access: rules.recordingOwner,
    params: transcriptParams,
    query: pageQuerySchema,
    responses: { 200: { description: 'A page of edits', schema: pageOf(editSchema).extend({ revision: z.number().int().describe("The transcript's current revision") }) } },
    async handler(ctx, { params, query }) {
      const transcript = await loadTranscript(ctx, params.id, 'own');
      const [edits, total] = await ctx.state.em.findAndCount(TranscriptEdit, { transcript: transcript.id }, { orderBy: { revision: 'desc' }, limit: query.limit, offset: query.offset });
      const since = await pipelineRevisionFloor(ctx, transcript);
      ctx.body = { ...pageAnswer(edits.map((edit) => editView(edit, edit.revision > since)), total, query), revision: transcript.revision };
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/transcripts/:id/edits/:editId/revert',
    summary: 'Revert a correction: a new correction that puts back what it changed',
    tag: 'transcripts',
    access: rules.recordingOwner,
    params: editParams,
    body: revertBody,
    responses: correctionResponses,
    async handler(ctx, { params, body }) {
      const { transcript, content } = await loadForCorrection(ctx, params.id, body.revision);
      const earlier = /^[0-9a-f-]{36}$/i.test(params.editId) ? await ctx.state.em.findOne(TranscriptEdit, { id: params.editId, transcript: transcript.id }) : null;
      if (!earlier) throw notFound(`Edit "${params.editId}" of this transcript`);
      if (earlier.revision <= (await pipelineRevisionFloor(ctx, transcript))) {
        throw new ApiError(409, 'not_revertible', 'The transcript was made again after this edit; its edits before that no longer apply');
      }
      await correct(ctx, transcript, () => revertCorrection(content, { before: earlier.before as ContentPart, summary: earlier.summary }), { basedOn: body.revision, revertOf: earlier.id });
    },
  }),
];

/**
 * Edits up to this revision were made to content the pipeline has since written again (a reprocess advances the
 * revision without an edit): the newest edit before a gap in the revisions, or the revision itself with no edits.
 */
async function pipelineRevisionFloor(ctx: ApiContext, transcript: Transcript): Promise<number> {
  const last = await ctx.state.em.findOne(TranscriptEdit, { transcript: transcript.id }, { orderBy: { revision: 'desc' } });
  // The content is a correction's (contentVersion set) exactly when no rerun came after the last edit.
  if (last && transcript.contentVersion === last.id) {
    const edits = await ctx.state.em.find(TranscriptEdit, { transcript: transcript.id }, { orderBy: { revision: 'desc' }, fields: ['revision'] });
    let expected = last.revision;
    for (const edit of edits) {
      if (edit.revision !== expected) return expected;
      expected--;
    }
    return expected;
  }
  return transcript.revision;
}
