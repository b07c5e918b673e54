// Activities of the transcription pipeline. Audio and words travel through storage, never through the
// workflow: each activity reads what the previous one wrote and returns only keys and counts.
// Storage layout, per transcript:
//   work/<recordingId>/track-<i>/manifest.json, chunk-<n>.wav   (scratch, removed when the transcript ends)
//   transcripts/<transcriptId>/words/track-<i>.json, segments.json, transcript.{vtt,srt,txt,json},
//   transcript-timestamps.txt, audio.mp3, waveform.json
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Context, ApplicationFailure } from '@temporalio/activity';
import { Meeting, ParticipantSession, Recording, Room, Transcript, TranscriptEdit, type TranscriptParticipant } from '../db/entities.ts';
import { readObjectJson, type ObjectStorage } from '../storage/object-storage.ts';
import type { Speaker, TimedWord, Segment } from '../transcripts/words.ts';
import { placeTrack, probeMedia, MediaError, type TrackPlacement } from '../audio/tracks.ts';
import { decodeToPcm16k } from '../audio/decode.ts';
import { splitAtSilences, wordToTrack, type ChunkPiece } from '../audio/chunks.ts';
import { mixdownToMp3, waveformPeaks } from '../audio/mixdown.ts';
import { mergeIntoSegments } from '../transcripts/merge.ts';
import { indexTranscript } from '../transcripts/search-index.ts';
import { keepCurrentVersion } from '../transcripts/versions.ts';
import { transcriptFiles } from '../transcripts/exports.ts';
import { SpeechServiceError, speechEngineLabel } from '../speech/recognizer.ts';
import { metrics } from '../runtime/metrics.ts';
import type { SpeechRecognizer } from '../speech/index.ts';
import type { Summarizer } from '../summaries/index.ts';
import { recordingWorkPrefix, trackWorkKey, transcriptKey } from '../recordings/keys.ts';
import { classifyServiceError } from './errors.ts';
import { assertPublicDestination, DestinationRefusedError, postSignedWebhook } from './outgoing-webhooks.ts';
import { deleteRefusedMedia } from './consent.ts';
import { deriveActionItems } from '../transcripts/action-items.ts';
import { actionItemTexts, replaceSummaryActionItems } from '../transcripts/action-item-records.ts';
import { platformOf, type ActivityDependencies } from './index.ts';
import type { Platform, TrackFacts } from '../platforms/platform.ts';

export interface TrackPlan {
  index: number;
  key: string;
  sessionId: string;
  speaker: number;
  speakerName: string;
  /** The platform's mixed (composite) recording standing in for every speaker: it starts the recording's timeline. */
  composite?: true;
}

export interface TranscriptPlan {
  transcriptId: string;
  tracks: TrackPlan[];
  speakers: Speaker[];
}

interface TrackManifest {
  offsetSeconds: number;
  durationSeconds: number;
  /** `pieces`: where the chunk's stretches of speech sit in its file and in the track (see audio/chunks.ts); absent in
   * manifests written before chunks were packed: then the chunk is one stretch from `start` to `end`. */
  chunks: Array<{ key: string; start: number; end: number; durationSeconds?: number; pieces?: ChunkPiece[] }>;
  warning?: string;
}

export type TranscriptWebhookEvent = 'transcript.completed' | 'transcript.updated';

export interface TranscriptionDependencies {
  /** The default engine; `otherRecognizers`: those a rerun may choose instead (runtime/engines.ts). */
  recognizer: SpeechRecognizer;
  otherRecognizers?: SpeechRecognizer[];
  summarizer: Summarizer;
  language: string;
  publicUrl: string;
  allowPrivateWebhooks: boolean;
}


export function createTranscriptionActivities({ db, storage, platforms, transcription: engines }: ActivityDependencies) {
  const transcription = new Proxy({} as TranscriptionDependencies, {
    get(_target, key) {
      if (!engines) throw ApplicationFailure.nonRetryable('this worker has no transcription engines configured', 'EnginesMissing');
      return engines[key as keyof TranscriptionDependencies];
    },
  });
  /** The engine a run asked for by its label (absent: the default), one of those this worker holds. */
  const recognizerFor = (label: string | undefined): SpeechRecognizer => {
    const all = [transcription.recognizer, ...(transcription.otherRecognizers ?? [])];
    const found = label === undefined ? transcription.recognizer : all.find((r) => speechEngineLabel(r) === label);
    if (!found) throw ApplicationFailure.nonRetryable(`the speech engine ${label} is not configured on this worker (it has ${all.map(speechEngineLabel).join(', ')})`, 'SpeechEngineMissing');
    return found;
  };
  /** What is known of one of a recording's tracks (from its platform's events, or its key on its meeting's platform). */
  async function trackFactsOf(recordingId: string, key: string): Promise<TrackFacts | null> {
    const recording = await db.em.fork().findOneOrFail(Recording, recordingId, { populate: ['meeting'] });
    return describeTrack(recording, platformOf(platforms, recording.meeting?.platform), key);
  }
  return {
    /** Tracks and people: audio tracks only; one speaker per participant, even across a rejoin. */
    async planTranscript(input: { recordingId: string; meetingId: string; platformMeetingId: string | null; composite?: { key: string; speakerName: string }; language?: string; speechEngine?: string }): Promise<TranscriptPlan> {
      const em = db.em.fork();
      // A rerun (reprocess): the content it replaces is kept as a version first (transcripts/versions.ts).
      await keepCurrentVersion(em, storage, input.recordingId);
      // The language this run hears (a rerun may ask another), kept on the transcript for its tracks and summary.
      const language = input.language ?? transcription.language;
      const speechEngine = speechEngineLabel(recognizerFor(input.speechEngine));
      const recording = await em.findOneOrFail(Recording, input.recordingId);
      // Composite only (no per-speaker audio on the platform): the mixed audio is one track, one speaker for the whole
      // room, since no diarization model is available offline.
      if (input.composite) {
        const tracks: TrackPlan[] = [{ index: 0, key: input.composite.key, sessionId: 'room', speaker: 0, speakerName: input.composite.speakerName, composite: true }];
        const transcriptId = await openTranscript(em, input.recordingId, tracks, [{ speaker: 0, platformParticipantId: null, name: input.composite.speakerName, userId: null }], speechEngine, language);
        return { transcriptId, tracks, speakers: [{ index: 0, name: input.composite.speakerName }] };
      }
      const meeting = await em.findOne(Meeting, input.meetingId);
      const platform = platformOf(platforms, meeting?.platform);
      const describe = (key: string) => describeTrack(recording, platform, key);
      const keys = (recording.trackKeys ?? []).filter((key) => describe(key)?.speakerAudio === true);
      const sessions = await em.find(ParticipantSession, { meeting: input.meetingId });
      const byId = new Map(sessions.map((s) => [s.sessionId, { userId: s.userId ?? null, name: s.userName ?? null }]));
      const platformMeetingId = input.platformMeetingId ?? meeting?.platformMeetingId ?? null;
      const needPlatform = keys.some((key) => !byId.has(describe(key)!.sessionId));
      if (needPlatform && platformMeetingId) {
        try {
          for (const p of await platform.getMeetingParticipants(platformMeetingId)) {
            if (!byId.has(p.sessionId)) byId.set(p.sessionId, { userId: p.userId, name: p.userName });
          }
        } catch {
          // Names are a nicety: without them the speakers are "Speaker N".
        }
      }

      const speakers: Array<Speaker & { identity: string; userId: string | null; sessionIds: string[] }> = [];
      const tracks: TrackPlan[] = keys
        .map((key) => ({ key, parsed: describe(key)! }))
        .sort((a, b) => a.parsed.trackStartMs - b.parsed.trackStartMs)
        .map(({ key, parsed }, index) => {
          const who = byId.get(parsed.sessionId);
          // A rejoin keeps the user id and the name; two people sharing one account (or an anonymous id) keep their names apart.
          const identity = who?.userId || who?.name ? `user:${who.userId ?? ''}|name:${who.name ?? ''}` : `session:${parsed.sessionId}`;
          let speaker = speakers.find((s) => s.identity === identity);
          if (!speaker) {
            speaker = { index: speakers.length, name: who?.name ?? `Speaker ${speakers.length + 1}`, identity, userId: who?.userId ?? null, sessionIds: [] };
            speakers.push(speaker);
          }
          speaker.sessionIds.push(parsed.sessionId);
          return { index, key, sessionId: parsed.sessionId, speaker: speaker.index, speakerName: speaker.name };
        });

      const participants: TranscriptParticipant[] = speakers.map((s) => ({ speaker: s.index, platformParticipantId: s.sessionIds[0] ?? null, name: s.name, userId: s.userId }));
      const transcriptId = await openTranscript(em, input.recordingId, tracks, participants, speechEngine, language);
      return { transcriptId, tracks, speakers: speakers.map((s) => ({ index: s.index, name: s.name })) };
    },

    /** CPU work: decode one track to 16 kHz mono, place it on the timeline, cut it at silences into chunks in storage. */
    async prepareTrack(input: { recordingId: string; track: TrackPlan }): Promise<{ manifestKey: string; chunks: number; offsetSeconds: number }> {
      return withScratch(async (dir) => {
        const source = path.join(dir, 'track.webm');
        await download(storage, input.track.key, source);
        Context.current().heartbeat({ stage: 'downloaded' });
        const probe = await asFinalMediaError(() => probeMedia(source));
        const placed: TrackPlacement = input.track.composite ? { offsetSeconds: 0, source: 'key' } : placeTrack(input.track.key, await trackFactsOf(input.recordingId, input.track.key), probe);
        const wav = path.join(dir, 'track.wav');
        await asFinalMediaError(() => decodeToPcm16k(source, wav, { signal: Context.current().cancellationSignal, onProgress: (fraction: number) => Context.current().heartbeat({ stage: 'decode', fraction }) }));
        const chunks = await splitAtSilences(wav, { outDir: path.join(dir, 'chunks') });
        const key = (file: string) => trackWorkKey(input.recordingId, input.track.index, file);
        const manifest: TrackManifest = { offsetSeconds: placed.offsetSeconds, durationSeconds: probe.durationSeconds, chunks: [], ...(placed.warning ? { warning: placed.warning } : {}) };
        for (const chunk of chunks) {
          const chunkKey = key(`chunk-${chunk.index}.wav`);
          await storage.put(chunkKey, await readFile(chunk.wavPath), { contentType: 'audio/wav' });
          manifest.chunks.push({ key: chunkKey, start: chunk.start, end: chunk.end, durationSeconds: chunk.durationSeconds, pieces: chunk.pieces });
          Context.current().heartbeat({ stage: 'upload', chunk: chunk.index });
        }
        const manifestKey = key('manifest.json');
        await storage.put(manifestKey, JSON.stringify(manifest), { contentType: 'application/json' });
        return { manifestKey, chunks: manifest.chunks.length, offsetSeconds: manifest.offsetSeconds };
      });
    },

    /** Speech work: transcribe a track's chunks; resumes after the last chunk a previous attempt finished. */
    async transcribeTrack(input: { transcriptId: string; recordingId: string; track: TrackPlan; manifestKey: string }): Promise<{ wordsKey: string; wordCount: number }> {
      const manifest = await readObjectJson<TrackManifest>(storage, input.manifestKey);
      // Everyone in the meeting, not only this track's speaker: people say each other's names.
      const em = db.em.fork();
      const transcript = await em.findOneOrFail(Transcript, input.transcriptId, { populate: ['recording.meeting.room'] });
      const meetingId = transcript.recording.meeting?.id;
      const sessions = meetingId ? await em.find(ParticipantSession, { meeting: meetingId }) : [];
      const participantNames = [...(transcript.participants ?? []).map((p) => p.name), ...sessions.map((s) => s.userName)].filter((name): name is string => Boolean(name));
      const vocabulary = transcript.recording.meeting?.room.vocabulary ?? [];
      const recognizer = recognizerFor(transcript.speechEngine ?? undefined);
      const engine = speechEngineLabel(recognizer);
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as { done: number; partialKey: string } | undefined;
      const partialKey = trackWorkKey(input.recordingId, input.track.index, 'words-partial.json');
      const words: TimedWord[] = resumed ? await readObjectJson<TimedWord[]>(storage, resumed.partialKey).catch(() => []) : [];
      let done = resumed?.done ?? 0;
      if (done > 0 && words.length === 0 && resumed) done = 0; // partial words lost: start over rather than skip
      await withScratch(async (dir) => {
        for (let n = done; n < manifest.chunks.length; n++) {
          const chunk = manifest.chunks[n]!;
          const wav = path.join(dir, `chunk-${n}.wav`);
          await download(storage, chunk.key, wav);
          let recognized;
          const heard = performance.now();
          try {
            recognized = await recognizer.transcribe({ wavPath: wav, durationSeconds: chunk.durationSeconds ?? chunk.end - chunk.start }, { language: transcript.language, participantNames, vocabulary, signal: context.cancellationSignal });
          } catch (error) {
            if (!context.cancellationSignal.aborted) metrics.speechFailures.inc({ engine, retryable: String(!(error instanceof SpeechServiceError) || error.retryable) });
            return classifyServiceError(error);
          }
          const audioSeconds = chunk.durationSeconds ?? chunk.end - chunk.start;
          if (audioSeconds > 0) {
            metrics.speechRealtimeRatio.observe({ engine }, (performance.now() - heard) / 1000 / audioSeconds);
            metrics.speechAudioSeconds.inc({ engine }, audioSeconds);
          }
          const pieces = chunk.pieces ?? [{ at: 0, start: chunk.start, end: chunk.end }];
          for (const w of recognized) {
            const inTrack = wordToTrack(pieces, w.start, w.end);
            words.push({ ...w, start: round(manifest.offsetSeconds + inTrack.start), end: round(manifest.offsetSeconds + inTrack.end), speaker: input.track.speaker });
          }
          await rm(wav, { force: true });
          await storage.put(partialKey, JSON.stringify(words), { contentType: 'application/json' });
          context.heartbeat({ done: n + 1, partialKey });
          await recordChunkProgress(db, input.transcriptId, input.track.index, n + 1, manifest.chunks.length);
        }
      });
      const wordsKey = transcriptKey(input.transcriptId, `words/track-${input.track.index}.json`);
      await storage.put(wordsKey, JSON.stringify(words), { contentType: 'application/json' });
      return { wordsKey, wordCount: words.length };
    },

    /** CPU work: one MP3 of all tracks aligned (streamed by ffmpeg, bounded memory), plus waveform peaks. */
    async mixdownRecording(input: { transcriptId: string; recordingId: string; durationSeconds: number; tracks: Array<{ track: TrackPlan; manifestKey: string }> }): Promise<{ audioKey: string; waveformKey: string }> {
      return withScratch(async (dir) => {
        const inputs = [];
        for (const { track, manifestKey } of input.tracks) {
          const manifest = await readObjectJson<TrackManifest>(storage, manifestKey);
          const file = path.join(dir, `track-${track.index}.webm`);
          await download(storage, track.key, file);
          inputs.push({ path: file, offsetSeconds: manifest.offsetSeconds });
        }
        const context = Context.current();
        const mp3 = path.join(dir, 'audio.mp3');
        await mixdownToMp3(inputs, mp3, { durationSeconds: input.durationSeconds, signal: context.cancellationSignal, onProgress: (fraction: number) => context.heartbeat({ stage: 'mixdown', fraction }) });
        const audioKey = transcriptKey(input.transcriptId, 'audio.mp3');
        const { size } = await stat(mp3);
        await storage.put(audioKey, (await import('node:fs')).createReadStream(mp3), { contentType: 'audio/mpeg', size });
        const peaks = await waveformPeaks(mp3, { peaks: 1000 });
        const waveformKey = transcriptKey(input.transcriptId, 'waveform.json');
        await storage.put(waveformKey, JSON.stringify({ peaks, durationSeconds: input.durationSeconds }), { contentType: 'application/json' });
        await db.em.fork().nativeUpdate(Transcript, { id: input.transcriptId }, { audioKey, waveformKey });
        return { audioKey, waveformKey };
      });
    },

    /** Merge the tracks' words by time into speaker turns; write WebVTT, SRT, text (with and without times) and JSON. */
    async assembleTranscript(input: { transcriptId: string; recordingId: string; wordKeys: string[]; speakers: Speaker[]; durationSeconds: number }): Promise<{ segments: number; words: number }> {
      const words = (await Promise.all(input.wordKeys.map((key) => readObjectJson<TimedWord[]>(storage, key)))).flat();
      const segments = mergeIntoSegments(words, input.speakers, {});
      const meta = { id: input.transcriptId, recordingId: input.recordingId, durationSeconds: input.durationSeconds, speakers: input.speakers };
      const files = transcriptFiles(meta, segments);
      await Promise.all(files.map(({ file, body, contentType }) => storage.put(transcriptKey(input.transcriptId, file), body, { contentType })));
      // The content is the pipeline's again (a rerun drops corrections): a correction based on what was there before is stale.
      await db.em.getConnection().execute(
        `update transcript set webvtt = ?, duration_seconds = ?, content_version = null, restored_from = null, revision = revision + 1, updated_at = now() where id = ?`,
        [files.find((f) => f.file === 'transcript.vtt')!.body, input.durationSeconds, input.transcriptId],
      );
      return { segments: segments.length, words: words.length };
    },

    /** Title, summaries, topics and action items, from the transcript with speaker names. */
    async summarizeTranscript(input: { transcriptId: string; recordingId: string }): Promise<{ engine: string; topics: number }> {
      const segments = await readObjectJson<Segment[]>(storage, transcriptKey(input.transcriptId, 'segments.json'));
      const transcript = await db.em.fork().findOneOrFail(Transcript, input.transcriptId, { populate: ['recording.meeting.room'] });
      const room = transcript.recording.meeting?.room;
      const context = Context.current();
      let summary;
      try {
        summary = await transcription.summarizer.summarize(
          { segments, language: transcript.language, durationSeconds: Number(transcript.durationSeconds ?? 0), context: { background: room?.background, vocabulary: room?.vocabulary ?? [] } },
          { signal: context.cancellationSignal, onProgress: (done: number, total: number) => context.heartbeat({ done, total }) },
        );
      } catch (error) {
        return classifyServiceError(error);
      }
      await db.em.fork().nativeUpdate(Transcript, { id: input.transcriptId }, {
        title: summary.title.slice(0, 512), shortSummary: summary.shortSummary, longSummary: summary.longSummary,
        topics: summary.topics, actionItems: summary.actionItems, summaryEngine: transcription.summarizer.name,
      });
      const names = (transcript.participants ?? []).map((p) => p.name);
      await replaceSummaryActionItems(db.em.fork(), input.transcriptId, deriveActionItems(summary.actionItems, segments, names, transcript.recording.recordedAt));
      return { engine: transcription.summarizer.name, topics: summary.topics.length };
    },

    /** Ended; then the consent rule (activities/consent.ts): if anyone refused, the meeting's media goes now (the transcript stays). */
    async finishTranscript(input: { transcriptId: string; meetingId: string; recordingId: string; warnings: string[]; startedAt?: number }): Promise<{ audioDeleted: boolean }> {
      const em = db.em.fork();
      await deletePrefix(storage, recordingWorkPrefix(input.recordingId));
      // Searchable from the moment it has ended: the index is written before the status says so.
      await indexTranscript(em, storage, input.transcriptId);
      // The end state first, then the refusals: a refusal recorded meanwhile is seen here or by its own run.
      await em.nativeUpdate(Transcript, { id: input.transcriptId }, {
        status: 'ended', error: input.warnings.length ? `warnings: ${input.warnings.join('; ')}` : null,
        progress: { step: 'done', tracksDone: 0, tracksTotal: 0, percent: 100 },
      });
      await em.nativeUpdate(Recording, { id: input.recordingId }, { status: 'completed' });
      const finished = await em.findOne(Transcript, input.transcriptId, { populate: ['recording'] });
      if (input.startedAt && finished?.durationSeconds) {
        metrics.transcriptSecondsPerAudioMinute.observe({ kind: finished.recording.type }, (Date.now() - input.startedAt) / 1000 / (Number(finished.durationSeconds) / 60));
      }
      const consent = await deleteRefusedMedia(db, storage, input.meetingId);
      return { audioDeleted: consent.refused };
    },

    /** Failed; the consent rule applies to a failed recording too (its tracks and the scratch are audio). */
    async failTranscript(input: { transcriptId: string; reason: string }): Promise<void> {
      const em = db.em.fork();
      const transcript = await em.findOneOrFail(Transcript, input.transcriptId, { populate: ['recording'] });
      await em.nativeUpdate(Transcript, { id: input.transcriptId }, { status: 'error', error: input.reason });
      await em.nativeUpdate(Recording, { id: transcript.recording.id }, { status: 'failed', error: input.reason });
      const meetingId = transcript.recording.meeting?.id;
      if (meetingId) await deleteRefusedMedia(db, storage, meetingId);
    },

    async recordTranscriptProgress(input: { transcriptId: string; step: string; tracksDone: number; tracksTotal: number }): Promise<void> {
      const percent = stepPercent(input.step, input.tracksDone, input.tracksTotal);
      await db.em.getConnection().execute(
        `update transcript set progress = coalesce(progress, '{}'::jsonb) || ?::jsonb, updated_at = now() where id = ?`,
        [JSON.stringify({ step: input.step, tracksDone: input.tracksDone, tracksTotal: input.tracksTotal, percent }), input.transcriptId],
      );
    },

    /**
     * The room's outgoing webhook, HMAC-signed with the room's secret; retried by Temporal. `transcript.completed` when
     * the pipeline has ended; `transcript.updated` after a correction (`editId`): the transcript as it is now, and the
     * edit; or after a version was restored (`restored`): the transcript as it is now, and which version.
     */
    async sendTranscriptWebhook(input: { transcriptId: string; event?: TranscriptWebhookEvent; editId?: string; restored?: { version: number; revision: number } }): Promise<{ sent: boolean; status?: number }> {
      const event = input.event ?? 'transcript.completed';
      const em = db.em.fork();
      const transcript = await em.findOneOrFail(Transcript, input.transcriptId, { populate: ['recording'] });
      const recording = await em.findOneOrFail(Recording, transcript.recording.id, { populate: ['meeting'] });
      const meeting = recording.meeting ? await em.findOne(Meeting, recording.meeting.id, { populate: ['room'] }) : null;
      const room = meeting ? await em.findOne(Room, meeting.room.id) : null;
      if (!room?.webhookUrl) return { sent: false };
      const edit = input.editId ? await em.findOne(TranscriptEdit, { id: input.editId, transcript: transcript.id }) : null;
      const restored = input.restored ?? null;
      if (event === 'transcript.updated' && !edit && !restored) throw ApplicationFailure.nonRetryable(`edit ${input.editId} of transcript ${transcript.id} not found`, 'WebhookRefused');
      try {
        await assertPublicDestination(room.webhookUrl, { allowPrivate: transcription.allowPrivateWebhooks });
      } catch (error) {
        if (error instanceof DestinationRefusedError) throw ApplicationFailure.nonRetryable(error.message, 'WebhookRefused');
        throw error;
      }
      const body = JSON.stringify({
        event,
        transcript: {
          id: transcript.id, recordingId: recording.id, meetingId: meeting?.id ?? null, roomName: room.name, title: transcript.title ?? null,
          shortSummary: transcript.shortSummary ?? null, longSummary: transcript.longSummary ?? null, topics: transcript.topics ?? [],
          actionItems: await actionItemTexts(em, transcript.id), participants: transcript.participants ?? [], durationSeconds: transcript.durationSeconds ?? null,
          webvtt: transcript.webvtt ?? '', url: `${transcription.publicUrl}/v1/transcripts/${transcript.id}`,
          ...(edit || restored ? { revision: transcript.revision } : {}),
        },
        ...(edit ? { edit: { id: edit.id, revision: edit.revision, kind: edit.kind, summary: edit.summary, userId: edit.userId ?? null, at: edit.at.toISOString(), revertOf: edit.revertOf ?? null } } : {}),
        ...(restored ? { restored: { version: restored.version, revision: restored.revision } } : {}),
      });
      const status = await postSignedWebhook(room.webhookUrl, {
        event, body, secret: room.webhookSecret, attempt: Context.current().info.attempt,
        id: edit ? edit.id : restored ? `${transcript.id}/revision-${restored.revision}` : transcript.id,
      });
      return { sent: true, status };
    },
  };
}

function stepPercent(step: string, done: number, total: number): number {
  const base: Record<string, number> = { storing: 0, tracks: 5, transcribing: 10, merging: 75, mixdown: 80, summarizing: 85, finishing: 95, delivering: 96, copying: 97, done: 100 };
  if (step === 'transcribing' && total > 0) return Math.round(10 + (65 * done) / total);
  return base[step] ?? 0;
}

async function recordChunkProgress(db: ActivityDependencies['db'], transcriptId: string, track: number, done: number, total: number): Promise<void> {
  await db.em.getConnection().execute(
    `update transcript set progress = jsonb_set(coalesce(progress, '{}'::jsonb), ?::text[], ?::jsonb, true), updated_at = now() where id = ?`,
    [`{chunks,${track}}`, JSON.stringify({ done, total }), transcriptId],
  );
}

async function deletePrefix(storage: ObjectStorage, prefix: string): Promise<void> {
  for await (const object of storage.list(prefix)) await storage.delete(object.key);
}

async function download(storage: ObjectStorage, key: string, file: string): Promise<void> {
  const object = await storage.get(key);
  await pipeline(object.body, createWriteStream(file));
}


async function withScratch<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'transcription-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Corrupt or empty media is final: retrying cannot repair a file. */
async function asFinalMediaError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof MediaError) throw ApplicationFailure.nonRetryable(error.message, 'MediaError', { kind: error.kind });
    throw error;
  }
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

/**
 * A track's speaker session and place on the recording's clock: as the platform's events stated them for a track
 * recorded on its own (the recording starts at its earliest track), else as the platform's key layout tells.
 */
/** The recording's transcript row, (re)opened as processing with its participants; the recording is processing too. */
async function openTranscript(em: ReturnType<ActivityDependencies['db']['em']['fork']>, recordingId: string, tracks: TrackPlan[], participants: TranscriptParticipant[], speechEngine: string, language: string): Promise<string> {
  const progress = { step: 'tracks', tracksDone: 0, tracksTotal: tracks.length, percent: 0 };
  await em.upsert(Transcript, { recording: recordingId, status: 'processing', participants, progress, error: null, speechEngine, language }, {
    onConflictFields: ['recording'], onConflictAction: 'merge', onConflictMergeFields: ['status', 'participants', 'progress', 'error', 'speechEngine', 'language', 'updatedAt'],
  });
  await em.nativeUpdate(Recording, { id: recordingId }, { status: 'processing' });
  return (await em.findOneOrFail(Transcript, { recording: recordingId })).id;
}

function describeTrack(recording: Recording, platform: Platform, key: string): TrackFacts | null {
  const stated = recording.trackFacts?.[key];
  if (!stated) return platform.describeTrack(key);
  return { sessionId: stated.sessionId, speakerAudio: true, recordingStartMs: recording.recordedAt.getTime(), trackStartMs: Date.parse(stated.startedAt) };
}
