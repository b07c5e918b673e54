// Transcripts: status and progress while processing, then the speaker turns, summaries, exports, the
// mixed-down audio (range requests) and its waveform. Who may see what is decided in api/access.ts.
import Router from '@koa/router';
import { z } from 'zod';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Recording, Transcript, Meeting } from '../db/entities.ts';
import { ObjectNotFoundError, RangeNotSatisfiableError } from '../storage/object-storage.ts';
import type { Segment } from '../transcripts/words.ts';
import { recordingWorkflow, recordingWorkflowId, transcriptionProgressQuery } from '../workflows/recording.ts';
import { MeetingIdAttribute, RecordingIdAttribute, RoomNameAttribute } from '../workflows/search-attributes.ts';
import { ApiError, notFound, parseInput } from './errors.ts';
import { pageQuerySchema } from './rooms.ts';
import { assertCanView } from './access.ts';
import type { ApiContext, ApiState } from './app.ts';
import type { Services } from '../runtime/services.ts';

export const EXPORT_FORMATS = {
  vtt: { file: 'transcript.vtt', type: 'text/vtt; charset=utf-8', extension: 'vtt' },
  srt: { file: 'transcript.srt', type: 'application/x-subrip; charset=utf-8', extension: 'srt' },
  txt: { file: 'transcript.txt', type: 'text/plain; charset=utf-8', extension: 'txt' },
  'txt-timestamps': { file: 'transcript-timestamps.txt', type: 'text/plain; charset=utf-8', extension: 'txt' },
  json: { file: 'transcript.json', type: 'application/json', extension: 'json' },
} as const;
const exportQuerySchema = z.object({ format: z.enum(Object.keys(EXPORT_FORMATS) as [keyof typeof EXPORT_FORMATS]) });
const listQuerySchema = pageQuerySchema.extend({
  status: z.enum(['idle', 'processing', 'ended', 'error']).optional(),
  recordingId: z.string().min(1).max(128).optional(),
});

const transcriptKey = (id: string, file: string) => `transcripts/${id}/${file}`;

export function transcriptSummaryView(t: Transcript) {
  return {
    id: t.id,
    recordingId: t.recording.id,
    status: t.status,
    progress: t.progress ?? null,
    title: t.title ?? null,
    durationSeconds: t.durationSeconds ?? null,
    participants: t.participants ?? [],
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

async function findTranscript(ctx: ApiContext, id: string): Promise<Transcript> {
  if (!z.uuid().safeParse(id).success) throw notFound(`Transcript "${id}"`);
  const transcript = await ctx.state.em.findOne(Transcript, id, { populate: ['recording'] });
  if (!transcript) throw notFound(`Transcript "${id}"`);
  await assertCanView(ctx, transcript);
  return transcript;
}

async function readText(services: Services, key: string): Promise<string | null> {
  try {
    const object = await services.storage.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return null;
    throw error;
  }
}

export function transcriptsRouter() {
  const router = new Router<ApiState>({ prefix: '/v1' });

  router.get('/transcripts', async (ctx) => {
    const query = parseInput(listQuerySchema, ctx.query, 'query');
    const where = { ...(query.status ? { status: query.status } : {}), ...(query.recordingId ? { recording: query.recordingId } : {}) };
    const [items, total] = await ctx.state.em.findAndCount(Transcript, where, { orderBy: { createdAt: 'desc', id: 'asc' }, limit: query.limit, offset: query.offset, populate: ['recording'] });
    ctx.body = { items: items.map(transcriptSummaryView), total, limit: query.limit, offset: query.offset, hasMore: query.offset + items.length < total };
  });

  router.get('/transcripts/:id', async (ctx) => {
    const t = await findTranscript(ctx, ctx.params.id!);
    const { services } = ctx.state;
    const segmentsJson = t.status === 'ended' ? await readText(services, transcriptKey(t.id, 'segments.json')) : null;
    const segments = segmentsJson ? (JSON.parse(segmentsJson) as Segment[]).map(({ words: _words, ...turn }) => turn) : [];
    let live = null;
    if (t.status === 'processing') {
      live = await services.temporal.workflow.getHandle(recordingWorkflowId(t.recording.id)).query(transcriptionProgressQuery).catch(() => null);
    }
    const base = `/v1/transcripts/${t.id}`;
    ctx.body = {
      ...transcriptSummaryView(t),
      error: t.error ?? null,
      workflow: live,
      shortSummary: t.shortSummary ?? null,
      longSummary: t.longSummary ?? null,
      topics: t.topics ?? [],
      actionItems: t.actionItems ?? [],
      language: t.language,
      engines: {
        speech: t.speechEngine ?? null,
        summary: t.summaryEngine ?? null,
        // The offline engines exist so the product works with no service at all; their quality is poor.
        offline: t.speechEngine === 'pocketsphinx' || t.summaryEngine === 'offline-extractive',
      },
      segments,
      audio: t.audioKey && !t.audioDeleted ? { url: `${base}/audio.mp3`, waveformUrl: `${base}/waveform` } : null,
      audioDeleted: t.audioDeleted,
      exports: t.status === 'ended' ? Object.fromEntries(Object.keys(EXPORT_FORMATS).map((f) => [f, `${base}/export?format=${f}`])) : {},
      shareMode: t.shareMode,
    };
  });

  router.get('/transcripts/:id/export', async (ctx) => {
    const { format } = parseInput(exportQuerySchema, ctx.query, 'query');
    const t = await findTranscript(ctx, ctx.params.id!);
    if (t.status !== 'ended') throw new ApiError(409, 'transcript_not_ready', `The transcript is ${t.status}; exports exist once it has ended`);
    const spec = EXPORT_FORMATS[format];
    const text = await readText(ctx.state.services, transcriptKey(t.id, spec.file));
    if (text === null) throw notFound(`Export "${format}"`);
    ctx.type = spec.type;
    ctx.set('Content-Disposition', `attachment; filename="transcript-${t.id}.${spec.extension}"`);
    ctx.body = text;
  });

  // The mixed-down audio, with range requests so players can seek.
  router.get('/transcripts/:id/audio.mp3', async (ctx) => {
    const t = await findTranscript(ctx, ctx.params.id!);
    if (!t.audioKey || t.audioDeleted) throw notFound('Audio of this transcript');
    const range = parseRange(ctx.get('range'));
    try {
      const object = await ctx.state.services.storage.get(t.audioKey, range ?? undefined);
      ctx.set('Accept-Ranges', 'bytes');
      ctx.type = 'audio/mpeg';
      if (object.range) {
        ctx.status = 206;
        ctx.set('Content-Range', `bytes ${object.range.start}-${object.range.end}/${object.range.total}`);
        ctx.length = object.range.end - object.range.start + 1;
      } else {
        ctx.length = object.size;
      }
      ctx.body = object.body;
    } catch (error) {
      if (error instanceof RangeNotSatisfiableError) {
        const head = await ctx.state.services.storage.head(t.audioKey);
        ctx.set('Content-Range', `bytes */${head?.size ?? 0}`);
        throw new ApiError(416, 'range_not_satisfiable', 'The requested range is outside the audio');
      }
      if (error instanceof ObjectNotFoundError) throw notFound('Audio of this transcript');
      throw error;
    }
  });

  router.get('/transcripts/:id/waveform', async (ctx) => {
    const t = await findTranscript(ctx, ctx.params.id!);
    const text = t.waveformKey ? await readText(ctx.state.services, t.waveformKey) : null;
    if (text === null) throw notFound('Waveform of this transcript');
    ctx.type = 'application/json';
    ctx.body = text;
  });

  router.post('/recordings/:id/reprocess', async (ctx) => {
    const recording = await ctx.state.em.findOne(Recording, ctx.params.id!, { populate: ['meeting'] });
    if (!recording) throw notFound(`Recording "${ctx.params.id}"`);
    ctx.status = 202;
    ctx.body = await reprocessRecording(ctx.state.services, recording.id);
  });

  return router;
}

/** `bytes=start-end` or `bytes=start-`; anything else is ignored (the whole object is sent). */
function parseRange(header: string): { start: number; end?: number } | null {
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  return { start: Number(match[1]), ...(match[2] ? { end: Number(match[2]) } : {}) };
}

/**
 * Reruns a recording's pipeline (API and `npm run reprocess`). Same workflow id: refused while a run is in
 * progress; the transcript row and storage keys are the recording's own, so nothing is duplicated.
 */
export async function reprocessRecording(services: Services, recordingId: string): Promise<{ workflowId: string; runId: string }> {
  const em = services.db.em.fork();
  const recording = await em.findOne(Recording, recordingId, { populate: ['meeting'] });
  if (!recording) throw notFound(`Recording "${recordingId}"`);
  if (!recording.meeting) throw new ApiError(409, 'recording_unmatched', 'The recording is not matched to a meeting');
  if (recording.status === 'missing' || !recording.objectKey) throw new ApiError(409, 'recording_missing', 'The recording has no media to process');
  const meeting = await em.findOneOrFail(Meeting, recording.meeting.id, { populate: ['room'] });
  const workflowId = recordingWorkflowId(recording.id);
  try {
    const handle = await services.temporal.workflow.start(recordingWorkflow, {
      workflowId,
      taskQueue: services.config.temporal.taskQueue,
      args: [{
        meetingId: meeting.id, roomName: meeting.room.name, recordingId: recording.id, kind: recording.type,
        startedAt: recording.recordedAt.toISOString(), durationSeconds: recording.durationSeconds ?? 0, objectKey: recording.objectKey,
        tracks: recording.trackKeys?.map((key) => ({ type: 'audio' as const, key, size: 0 })) ?? null,
        platformMeetingId: meeting.platformMeetingId ?? null,
      }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [
        { key: MeetingIdAttribute, value: meeting.id },
        { key: RoomNameAttribute, value: meeting.room.name },
        { key: RecordingIdAttribute, value: recording.id },
      ],
      staticSummary: `Reprocess ${recording.type} recording ${recording.id} of room "${meeting.room.name}"`,
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new ApiError(409, 'already_processing', 'This recording is being processed now');
    throw error;
  }
}
