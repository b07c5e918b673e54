// Transcripts: status and progress while processing, then the speaker turns, summaries, exports, the
// mixed-down audio (range requests) and its waveform. Who may see what is decided in api/access.ts;
// every view and download is written to the recording's access log.
import { z } from 'zod';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Recording, Transcript, Meeting, TRANSCRIPT_STATUSES, TRANSCRIPT_SHARE_MODES } from '../db/entities.ts';
import { ObjectNotFoundError, RangeNotSatisfiableError, readObjectText } from '../storage/object-storage.ts';
import type { Segment } from '../transcripts/words.ts';
import { transcriptionProgressQuery } from '../workflows/recording.ts';
import { compositeTranscriptFor, recordingWorkflowId } from '../recordings/messages.ts';
import { COMPOSITE } from '../meetings/messages.ts';
import { transcriptContentKey } from '../recordings/keys.ts';
import { startRecordingPipeline } from '../recordings/pipeline.ts';
import { ApiError, notFound } from './errors.ts';
import { pageAnswer, pageOf, pageQuerySchema } from './rooms.ts';
import { loadRecording, loadTranscript, logAccess, rules, visibleTranscriptsWhere } from './access.ts';
import { endpoint } from './endpoint.ts';
import { WHISPER_LANGUAGES } from '../speech/recognizer.ts';
import { configuredSpeechEngines } from '../speech/index.ts';
import { actionItemTexts } from '../transcripts/action-item-records.ts';
import type { ApiContext } from './app.ts';
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

async function readText(services: Services, key: string): Promise<string | null> {
  try {
    return await readObjectText(services.storage, key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return null;
    throw error;
  }
}

export const transcriptParams = z.object({ id: z.string() });
const transcriptSummarySchema = z.object({
  id: z.uuid(),
  recordingId: z.string(),
  status: z.enum(TRANSCRIPT_STATUSES),
  progress: z.object({ step: z.string(), tracksDone: z.number(), tracksTotal: z.number(), percent: z.number() }).nullable(),
  title: z.string().nullable(),
  durationSeconds: z.number().nullable(),
  participants: z.array(z.object({ speaker: z.number(), name: z.string(), platformParticipantId: z.string().nullable(), userId: z.string().nullable() })),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const segmentSchema = z.object({ speaker: z.number(), name: z.string().optional(), start: z.number(), end: z.number(), text: z.string() }).loose();
const transcriptSchema = transcriptSummarySchema.extend({
  error: z.string().nullable(),
  workflow: z.object({}).loose().nullable().describe('Live progress from the recording workflow while processing'),
  shortSummary: z.string().nullable(),
  longSummary: z.string().nullable(),
  topics: z.array(z.object({ title: z.string(), summary: z.string(), start: z.number(), end: z.number() })),
  actionItems: z.array(z.string()),
  language: z.string(),
  speakers: z.enum(['per-speaker-audio', 'mixed-audio']).describe('per-speaker-audio: each speaker recorded on their own. mixed-audio: the platform records only the room mix (composite), so the transcript has one speaker, the whole room: no diarization model is available offline'),
  engines: z.object({ speech: z.string().nullable(), summary: z.string().nullable(), offline: z.boolean() }),
  segments: z.array(segmentSchema),
  audio: z.object({ url: z.string(), waveformUrl: z.string() }).nullable(),
  audioDeleted: z.boolean(),
  exports: z.record(z.string(), z.string()),
  shareMode: z.enum(TRANSCRIPT_SHARE_MODES),
  isOwner: z.boolean(),
  revision: z.number().int().describe('Advances with every correction; a correction names the revision it was based on (409 when it is not the current one)'),
  meetingId: z.string().nullable(),
  hasCloudRecording: z.boolean(),
  delivery: z.object({
    email: z.object({ status: z.enum(['sent', 'failed', 'no-recipients']), at: z.iso.datetime(), sent: z.number().int(), failed: z.number().int(), error: z.string().nullable() }).nullable(),
    zulip: z.object({ status: z.enum(['posted', 'edited', 'failed']), at: z.iso.datetime(), stream: z.string(), topic: z.string(), error: z.string().nullable() }).nullable(),
  }).nullable().describe("Where its notes were delivered when it ended, as its room asked (mail to the participants, a Zulip message), and how it went; shown to the room's owner (null for others, and when nothing was sent)"),
});

function deliveryView(delivery: Transcript['delivery']) {
  if (!delivery || (!delivery.email && !delivery.zulip)) return null;
  const { email, zulip } = delivery;
  return {
    email: email ? { status: email.status, at: email.at, sent: email.sentTo.length, failed: email.failed.length, error: email.error ?? null } : null,
    zulip: zulip ? { status: zulip.status, at: zulip.at, stream: zulip.stream, topic: zulip.topic, error: zulip.error ?? null } : null,
  };
}

/** Links inside an answer carry the caller's public link along, so a page opened through one keeps working. */
function withShare(ctx: ApiContext, url: string): string {
  const share = ctx.state.caller.kind === 'anonymous' ? ctx.state.shareLink : undefined;
  return share ? `${url}${url.includes('?') ? '&' : '?'}share=${encodeURIComponent(share)}` : url;
}

export const transcriptEndpoints = [
  endpoint({
    method: 'get',
    path: '/v1/transcripts',
    summary: 'Transcripts you may see (yours, and those shared with you), newest first',
    tag: 'transcripts',
    access: rules.signedIn,
    query: listQuerySchema,
    responses: { 200: { description: 'A page of transcripts', schema: pageOf(transcriptSummarySchema) } },
    async handler(ctx, { query }) {
      const where = {
        $and: [
          await visibleTranscriptsWhere(ctx),
          { ...(query.status ? { status: query.status } : {}), ...(query.recordingId ? { recording: query.recordingId } : {}) },
        ],
      };
      const [items, total] = await ctx.state.em.findAndCount(Transcript, where, { orderBy: { createdAt: 'desc', id: 'asc' }, limit: query.limit, offset: query.offset, populate: ['recording'] });
      ctx.body = pageAnswer(items.map(transcriptSummaryView), total, query);
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id',
    summary: 'A transcript: progress while processing, then speaker turns, summaries and links',
    tag: 'transcripts',
    access: rules.recordingViewer,
    params: transcriptParams,
    rateLimit: 'public',
    responses: { 200: { description: 'The transcript', schema: transcriptSchema } },
    async handler(ctx, { params }) {
      const t = await loadTranscript(ctx, params.id, 'view');
      const { services, caller } = ctx.state;
      const segmentsJson = t.status === 'ended' ? await readText(services, transcriptContentKey(t, 'segments.json')) : null;
      const segments = segmentsJson ? (JSON.parse(segmentsJson) as Segment[]).map(({ words: _words, ...turn }) => turn) : [];
      let live = null;
      if (t.status === 'processing') {
        live = await services.temporal.workflow.getHandle(recordingWorkflowId(t.recording.id)).query(transcriptionProgressQuery).catch(() => null);
      }
      const base = `/v1/transcripts/${t.id}`;
      const meeting = t.recording.meeting ?? null;
      await logAccess(ctx, { recordingId: t.recording.id, transcriptId: t.id, action: 'view' });
      ctx.body = {
        ...transcriptSummaryView(t),
        error: t.error ?? null,
        workflow: live,
        shortSummary: t.shortSummary ?? null,
        longSummary: t.longSummary ?? null,
        topics: t.topics ?? [],
        actionItems: await actionItemTexts(ctx.state.em, t.id),
        language: t.language,
        speakers: t.recording.type === COMPOSITE ? 'mixed-audio' : 'per-speaker-audio',
        engines: {
          speech: t.speechEngine ?? null,
          summary: t.summaryEngine ?? null,
          // Made on this machine alone: Whisper here and the extractive summary, no outside service.
          offline: (t.speechEngine ?? '').startsWith('whisper:') && t.summaryEngine === 'offline-extractive',
        },
        segments,
        audio: t.audioKey && !t.audioDeleted ? { url: withShare(ctx, `${base}/audio.mp3`), waveformUrl: withShare(ctx, `${base}/waveform`) } : null,
        audioDeleted: t.audioDeleted,
        exports: t.status === 'ended' ? Object.fromEntries(Object.keys(EXPORT_FORMATS).map((f) => [f, withShare(ctx, `${base}/export?format=${f}`)])) : {},
        shareMode: t.shareMode,
        isOwner: caller.kind === 'user' && (caller.user.role === 'admin' || meeting?.room.ownerId === caller.user.id),
        revision: t.revision,
        meetingId: meeting?.id ?? null,
        hasCloudRecording: Boolean(meeting?.cloudRecordingKey),
        delivery: caller.kind === 'user' && (caller.user.role === 'admin' || meeting?.room.ownerId === caller.user.id) ? deliveryView(t.delivery) : null,
      };
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/export',
    summary: 'Download the transcript as WebVTT, SRT, text or JSON',
    tag: 'transcripts',
    access: rules.recordingViewer,
    params: transcriptParams,
    query: exportQuerySchema,
    rateLimit: 'public',
    responses: { 200: { description: 'The file (Content-Disposition: attachment)', contentType: 'text/vtt' }, 409: { description: 'Not ended yet' } },
    async handler(ctx, { params, query }) {
      const { format } = query;
      const t = await loadTranscript(ctx, params.id, 'view');
      if (t.status !== 'ended') throw new ApiError(409, 'transcript_not_ready', `The transcript is ${t.status}; exports exist once it has ended`);
      const spec = EXPORT_FORMATS[format];
      const text = await readText(ctx.state.services, transcriptContentKey(t, spec.file));
      if (text === null) throw notFound(`Export "${format}"`);
      await logAccess(ctx, { recordingId: t.recording.id, transcriptId: t.id, action: 'download', detail: `export ${format}` });
      ctx.type = spec.type;
      ctx.set('Content-Disposition', `attachment; filename="transcript-${t.id}.${spec.extension}"`);
      ctx.body = text;
    },
  }),
  // The mixed-down audio, with range requests so players can seek.
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/audio.mp3',
    summary: 'The mixed-down audio (MP3), with range requests for seeking',
    tag: 'transcripts',
    access: rules.recordingViewer,
    params: transcriptParams,
    rateLimit: 'public',
    responses: { 200: { description: 'The whole file', contentType: 'audio/mpeg' }, 206: { description: 'A range', contentType: 'audio/mpeg' }, 416: { description: 'Range outside the file' } },
    async handler(ctx, { params }) {
      const t = await loadTranscript(ctx, params.id, 'view');
      if (!t.audioKey || t.audioDeleted) throw notFound('Audio of this transcript');
      const range = parseRange(ctx.get('range'));
      // One log entry per listening, not one per seek: players ask for many ranges.
      if (!range || range.start === 0) await logAccess(ctx, { recordingId: t.recording.id, transcriptId: t.id, action: 'download', detail: 'audio (MP3)' });
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
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/transcripts/:id/waveform',
    summary: "The audio's waveform (peaks), for drawing",
    tag: 'transcripts',
    access: rules.recordingViewer,
    params: transcriptParams,
    rateLimit: 'public',
    responses: { 200: { description: 'Peaks and duration', schema: z.object({ peaks: z.array(z.number()), durationSeconds: z.number() }).loose() } },
    async handler(ctx, { params }) {
      const t = await loadTranscript(ctx, params.id, 'view');
      const text = t.waveformKey ? await readText(ctx.state.services, t.waveformKey) : null;
      if (text === null) throw notFound('Waveform of this transcript');
      ctx.type = 'application/json';
      ctx.body = text;
    },
  }),
  endpoint({
    method: 'get',
    path: '/v1/speech',
    summary: 'The speech recognition this deployment runs: its default engine and the others a rerun of a recording may choose, the languages it hears, the default one',
    tag: 'recordings',
    access: rules.signedIn,
    responses: {
      200: {
        description: 'What a rerun may choose',
        schema: z.object({
          engine: z.string().describe('The default engine, as transcripts name it: `whisper:whisper-base` is Whisper base on this machine'),
          engines: z.array(z.string()).describe('Every engine a rerun may choose, the default first (SPEECH_OTHER_MODEL_DIRS and a SPEECH_API_URL service add others)'),
          languages: z.array(z.string()).describe('ISO 639-1 codes a rerun may ask for'),
          defaultLanguage: z.string().describe("TRANSCRIPT_LANGUAGE: what a rerun hears when it names none"),
        }),
      },
    },
    async handler(ctx) {
      const { transcription } = ctx.state.services.config;
      const engines = configuredSpeechEngines(transcription);
      ctx.body = { engine: engines[0], engines, languages: [...WHISPER_LANGUAGES], defaultLanguage: transcription.language };
    },
  }),
  endpoint({
    method: 'post',
    path: '/v1/recordings/:id/reprocess',
    summary: "Run the recording's pipeline again (same workflow id: refused while one runs); the transcript it replaces is kept as a version",
    tag: 'recordings',
    access: rules.recordingOwner,
    params: z.object({ id: z.string() }),
    body: z.strictObject({
      language: z.enum(WHISPER_LANGUAGES).optional().describe("The language to hear this time (ISO 639-1, one Whisper knows); default: the deployment's TRANSCRIPT_LANGUAGE"),
      engine: z.string().max(64).optional().describe('The speech engine to hear with this time, one of `GET /v1/speech` engines; default: the default engine'),
    }),
    responses: { 202: { description: 'Started', schema: z.object({ workflowId: z.string(), runId: z.string() }) }, 409: { description: 'Already processing, or nothing to process' } },
    async handler(ctx, { params, body }) {
      const recording = await loadRecording(ctx, params.id, 'own');
      ctx.status = 202;
      ctx.body = await reprocessRecording(ctx.state.services, recording.id, { ...(body.language && { language: body.language }), ...(body.engine && { speechEngine: body.engine }) });
    },
  }),
];

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
export async function reprocessRecording(services: Services, recordingId: string, options: { language?: string; speechEngine?: string } = {}): Promise<{ workflowId: string; runId: string }> {
  const engines = configuredSpeechEngines(services.config.transcription);
  if (options.speechEngine !== undefined && !engines.includes(options.speechEngine)) {
    throw new ApiError(400, 'invalid_input', `Invalid input: engine "${options.speechEngine}" is not a speech engine of this deployment (${engines.join(', ')})`, { field: 'engine', engines });
  }
  const em = services.db.em.fork();
  const recording = await em.findOne(Recording, recordingId, { populate: ['meeting'] });
  if (!recording) throw notFound(`Recording "${recordingId}"`);
  if (!recording.meeting) throw new ApiError(409, 'recording_unmatched', 'The recording is not matched to a meeting');
  if (recording.status === 'missing' || !recording.objectKey) throw new ApiError(409, 'recording_missing', 'The recording has no media to process');
  const meeting = await em.findOneOrFail(Meeting, recording.meeting.id, { populate: ['room'] });
  const workflowId = recordingWorkflowId(recording.id);
  try {
    const handle = await startRecordingPipeline(services.temporal, services.config.temporal.taskQueue, {
      meetingId: meeting.id, roomName: meeting.room.name, recordingId: recording.id, kind: recording.type,
      startedAt: recording.recordedAt.toISOString(), durationSeconds: recording.durationSeconds ?? 0, objectKey: recording.objectKey,
      // The tracks as stored: their keys and what the platform's events stated of them (so the rerun places them
      // on the timeline as the first run did); their sizes are the recording's, already stored.
      tracks: recording.trackKeys?.map((key) => ({ type: 'audio' as const, key, size: 0, ...recording.trackFacts?.[key] })) ?? null,
      platformMeetingId: meeting.platformMeetingId ?? null,
      ...compositeTranscriptFor(services.platforms.find(meeting.platform)?.recordingCapabilities.perSpeakerAudio),
      ...(options.language && { language: options.language }),
      ...(options.speechEngine && { speechEngine: options.speechEngine }),
    }, {
      runs: 'again',
      summary: `Reprocess ${recording.type} recording ${recording.id} of room "${meeting.room.name}"`,
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new ApiError(409, 'already_processing', 'This recording is being processed now');
    throw error;
  }
}
