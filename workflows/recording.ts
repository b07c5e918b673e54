// recordingWorkflow: one platform recording, processed once. Workflow id `recording/<platform recording id>`,
// so whichever path finds a recording first (webhook, reconciliation, a late webhook after the meeting's
// run) starts it, and the others find it already there.
//
// A raw-tracks recording becomes one Transcript: tracks and people → per track, in parallel: prepare the
// audio (CPU queue) and transcribe it (speech queue) → merge into speaker turns and exports → mixdown and
// waveform (in parallel with transcription) → title, summaries, topics → finish (consent, outgoing webhook).
// Large data (audio, words) lives in storage; only keys and counts travel through the workflow.
import {
  ApplicationFailure,
  defineQuery,
  log,
  proxyActivities,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import { SPEAKER_AUDIO } from '../meetings/messages.ts';
import { OUTGOING_WEBHOOK_ACTIVITY } from './outgoing-webhooks.ts';
import { compositeSpeakerName, type RecordingWorkflowInput, type RecordingWorkflowResult, type TranscriptionProgress, type TranscriptionStep } from '../recordings/messages.ts';
import type { OwnerCopyOutcome } from '../db/entities.ts';
import { failureMessage } from './failure-message.ts';
import { deliverNotes } from './deliveries.ts';

export const transcriptionProgressQuery = defineQuery<TranscriptionProgress>('progress');

type Activities = ReturnType<typeof activities.createActivities>;

/** Task queues by kind of work: this workflow's queue for light work, `-audio` for CPU, `-speech` for recognition. */
export const audioQueue = (base: string) => `${base}-audio`;
export const speechQueue = (base: string) => `${base}-speech`;

export async function recordingWorkflow(given: RecordingWorkflowInput): Promise<RecordingWorkflowResult> {
  const base = workflowInfo().taskQueue;
  const light = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: FINAL_ERRORS },
  });
  const progressWriter = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });
  const webhook = proxyActivities<Activities>(OUTGOING_WEBHOOK_ACTIVITY);
  const audio = proxyActivities<Activities>({
    taskQueue: audioQueue(base),
    startToCloseTimeout: '2 hours',
    // A worker that dies mid-track is noticed within this; the retry resumes on another worker.
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5, nonRetryableErrorTypes: FINAL_ERRORS },
  });
  const speech = proxyActivities<Activities>({
    taskQueue: speechQueue(base),
    startToCloseTimeout: '4 hours',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8, nonRetryableErrorTypes: FINAL_ERRORS },
  });
  const summary = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    // One summary call may take (reflection retries + 1) × the request timeout before it reports progress.
    heartbeatTimeout: '7 minutes',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 6, nonRetryableErrorTypes: FINAL_ERRORS },
  });

  const progress: TranscriptionProgress = { step: 'storing', tracksTotal: 0, tracksDone: 0, tracksFailed: 0, warnings: [] };
  setHandler(transcriptionProgressQuery, () => progress);

  // Known once the transcript row exists; progress is written to it from then on.
  const current: { transcriptId?: string } = {};
  const step = async (name: TranscriptionStep, details: string) => {
    progress.step = name;
    setCurrentDetails(`${details}\nTracks: ${progress.tracksDone}/${progress.tracksTotal} done${progress.tracksFailed ? `, ${progress.tracksFailed} failed` : ''}.`);
    if (current.transcriptId) await progressWriter.recordTranscriptProgress({ transcriptId: current.transcriptId, step: name, tracksDone: progress.tracksDone, tracksTotal: progress.tracksTotal });
  };

  // Last: a copy of the recording's files to the room owner's own WebDAV folder, when they set one; each file its own
  // activity (retried; a refusal is final), the outcome kept on the recording. A failed copy is a warning, never a failure.
  const copyToOwner = async (recordingId: string, transcriptId?: string): Promise<string | null> => {
    const plan = await light.planOwnerCopy({ recordingId, ...(transcriptId ? { transcriptId } : {}) });
    if (!plan || plan.files.length === 0) return null;
    setCurrentDetails(`Copying ${plan.files.length} file(s) to the room owner's WebDAV folder.`);
    const upload = proxyActivities<Activities>({
      startToCloseTimeout: '2 hours',
      heartbeatTimeout: '2 minutes',
      retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 6, nonRetryableErrorTypes: ['OwnerCopyRefused'] },
    });
    const files: OwnerCopyOutcome['files'] = [];
    let error: string | undefined;
    for (const file of plan.files) {
      const name = file.path.split('/').at(-1)!;
      try {
        const sent = await upload.copyFileToOwner.executeWithOptions({ summary: `copy ${name} to the owner's WebDAV folder` }, [{ recordingId, file }]);
        if (sent === 'not-configured') return null;
        files.push({ name, bytes: file.size, outcome: sent });
      } catch (failure) {
        error = failureMessage(failure);
        files.push({ name, bytes: file.size, outcome: 'failed' });
        break;
      }
    }
    await light.recordOwnerCopy({ recordingId, outcome: { status: error ? 'failed' : 'copied', at: new Date().toISOString(), url: plan.url, files, ...(error ? { error } : {}) } });
    return error ? `copy to the owner's WebDAV folder failed: ${error}` : null;
  };

  // Files the platform keeps in its own storage (100ms) are copied into ours first; from then on the recording is ours.
  let input = given;
  if (patched(COPY_PLATFORM_FILE)) {
    const transfer = proxyActivities<Activities>({
      startToCloseTimeout: '1 hour',
      heartbeatTimeout: '1 minute',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8, nonRetryableErrorTypes: FINAL_ERRORS },
    });
    setCurrentDetails(`Copying ${given.kind} recording ${given.recordingId} from the platform's storage into ours.`);
    const copied = await transfer.copyPlatformFiles({ meetingId: given.meetingId, recordingId: given.recordingId, kind: given.kind, objectKey: given.objectKey, tracks: given.tracks });
    if (copied) input = { ...given, ...copied };
  }

  setCurrentDetails(`Storing ${input.kind} recording ${input.recordingId} of meeting ${input.meetingId}.`);
  const stored = await light.persistRecording(input);
  // A platform that does not say how long its recording is (Whereby): its file said.
  if (stored.durationSeconds !== undefined && patched(DURATION_FROM_FILE)) input = { ...input, durationSeconds: stored.durationSeconds };
  // Composite only (the platform records no per-speaker audio): the composite is the one track, the room its speaker.
  const composite = input.kind !== SPEAKER_AUDIO && input.compositeTranscript && input.objectKey && patched(COMPOSITE_TRANSCRIPT)
    ? { key: input.objectKey, speakerName: compositeSpeakerName(input.roomName) } : undefined;
  if (input.kind !== SPEAKER_AUDIO && !composite) {
    setCurrentDetails(`Cloud recording stored on the meeting (${input.durationSeconds} s).`);
    const copyWarning = patched(COPIED_TO_OWNER_WEBDAV) ? await copyToOwner(input.recordingId) : null;
    return { recordingId: input.recordingId, kind: input.kind, audioTracks: 0, ...(copyWarning ? { warnings: [copyWarning] } : {}) };
  }

  // 1. Tracks and people.
  const plan = await light.planTranscript({ recordingId: input.recordingId, meetingId: input.meetingId, platformMeetingId: input.platformMeetingId, ...(composite ? { composite } : {}), ...(input.language ? { language: input.language } : {}), ...(input.speechEngine ? { speechEngine: input.speechEngine } : {}) });
  current.transcriptId = plan.transcriptId;
  progress.tracksTotal = plan.tracks.length;
  await step('tracks', `${plan.tracks.length} audio track(s), ${plan.speakers.length} speaker(s): ${plan.speakers.map((s) => s.name).join(', ')}.`);

  try {
    if (plan.tracks.length === 0) throw ApplicationFailure.nonRetryable('the recording has no audio tracks', 'NoAudio');

    // 2. Per track, in parallel: prepare (CPU) then transcribe (speech). A failed track is a warning, not the end.
    await step('transcribing', `Transcribing ${plan.tracks.length} track(s) in parallel.`);
    const prepared = plan.tracks.map((track) =>
      audio.prepareTrack.executeWithOptions({ summary: `prepare track ${track.index} (${track.speakerName})` }, [{ recordingId: input.recordingId, track }]),
    );
    const transcribed = prepared.map(async (preparing, i) => {
      const track = plan.tracks[i]!;
      try {
        const ready = await preparing;
        const words = await speech.transcribeTrack.executeWithOptions({ summary: `transcribe track ${track.index} (${track.speakerName}), ${ready.chunks} chunk(s)` }, [{ transcriptId: plan.transcriptId, recordingId: input.recordingId, track, manifestKey: ready.manifestKey }]);
        progress.tracksDone++;
        await step('transcribing', `Transcribing: track ${track.index} (${track.speakerName}) done with ${words.wordCount} word(s).`);
        return { track, ready, words };
      } catch (error) {
        progress.tracksFailed++;
        progress.warnings.push(`track ${track.index} (${track.speakerName}): ${failureMessage(error)}`);
        log.warn('track failed', { track: track.index, error: failureMessage(error) });
        return null;
      }
    });

    // 4. Mixdown starts once every track is prepared (offsets known), alongside transcription.
    const mixed = Promise.allSettled(prepared).then(async (results) => {
      const usable = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ track: plan.tracks[i]!, manifestKey: r.value.manifestKey }] : []));
      if (usable.length === 0) return null;
      return audio.mixdownRecording.executeWithOptions({ summary: `mix ${usable.length} track(s) into one MP3` }, [{ transcriptId: plan.transcriptId, recordingId: input.recordingId, durationSeconds: input.durationSeconds, tracks: usable }]);
    });

    const tracks = (await Promise.all(transcribed)).filter((t) => t !== null);
    if (tracks.length === 0) throw ApplicationFailure.nonRetryable(`every track failed: ${progress.warnings.join('; ')}`, 'AllTracksFailed');

    // 3. Merge by time into speaker turns; exports.
    await step('merging', 'Merging the tracks\' words into speaker turns; writing WebVTT, SRT, text and JSON.');
    const merged = await light.assembleTranscript({ transcriptId: plan.transcriptId, recordingId: input.recordingId, wordKeys: tracks.map((t) => t.words.wordsKey), speakers: plan.speakers, durationSeconds: input.durationSeconds });

    await step('mixdown', 'Waiting for the mixed-down audio and its waveform.');
    const mix = await mixed;
    if (!mix) progress.warnings.push('no audio could be mixed');

    // 5. Title, summaries, topics, action items.
    await step('summarizing', `Summarizing ${merged.segments} speaker turn(s).`);
    await summary.summarizeTranscript({ transcriptId: plan.transcriptId, recordingId: input.recordingId });

    // 6. Finish: ended; consent; the room's outgoing webhook.
    await step('finishing', 'Finishing: consent, outgoing webhook.');
    await light.finishTranscript({ transcriptId: plan.transcriptId, meetingId: input.meetingId, recordingId: input.recordingId, warnings: progress.warnings, startedAt: workflowInfo().runStartTime.getTime() });
  } catch (error) {
    const reason = failureMessage(error);
    progress.step = 'failed';
    setCurrentDetails(`Transcript failed: ${reason}`);
    await light.failTranscript({ transcriptId: plan.transcriptId, reason });
    return { recordingId: input.recordingId, kind: input.kind, audioTracks: stored.audioTracks, transcriptId: plan.transcriptId, transcriptStatus: 'error', warnings: [...progress.warnings, reason] };
  }

  // The transcript has ended whatever the integrator's endpoint answers: a refused or undeliverable
  // webhook is a warning, never a failed transcript.
  try {
    await webhook.sendTranscriptWebhook({ transcriptId: plan.transcriptId });
  } catch (error) {
    progress.warnings.push(`room webhook not delivered: ${failureMessage(error)}`);
  }
  if (patched(DELIVERED_NOTES)) {
    await step('delivering', "Delivering the notes where the room sends them: mail to the participants, its Zulip topic.");
    progress.warnings.push(...await deliverNotes(plan.transcriptId));
  }
  if (patched(COPIED_TO_OWNER_WEBDAV)) {
    await step('copying', "Copying the recording's files to the room owner's WebDAV folder.");
    const copyWarning = await copyToOwner(input.recordingId, plan.transcriptId);
    if (copyWarning) progress.warnings.push(copyWarning);
  }
  await step('done', `Transcript ${plan.transcriptId} ended${progress.warnings.length ? ` with ${progress.warnings.length} warning(s)` : ''}.`);
  return { recordingId: input.recordingId, kind: input.kind, audioTracks: stored.audioTracks, transcriptId: plan.transcriptId, transcriptStatus: 'ended', warnings: progress.warnings };
}

/** patched(): files a platform keeps in its own storage are copied into ours before anything reads them. */
const COPY_PLATFORM_FILE = 'copy-platform-file';

/** patched(): a finished transcript's notes are mailed to the participants and posted to Zulip, where the room says. */
const DELIVERED_NOTES = 'delivered-notes';

/** patched(): each finished recording's files are copied to the room owner's WebDAV folder, when they set one. */
const COPIED_TO_OWNER_WEBDAV = 'copied-to-owner-webdav';

/** patched(): a composite recording of a platform without per-speaker audio gets a single-speaker transcript. */
const COMPOSITE_TRANSCRIPT = 'composite-transcript';
/** A recording whose platform gave no duration takes its stored file's (patch id). */
const DURATION_FROM_FILE = 'duration-from-file';

/** Failures retrying cannot fix (see activities/errors.ts): corrupt media, 4xx from a service, bad credentials. */
const FINAL_ERRORS = ['MediaError', 'SpeechRequestRefused', 'SummaryRequestRefused', 'PlatformRequestRefused', 'NoAudio'];
