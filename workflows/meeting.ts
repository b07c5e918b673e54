// meetingWorkflow: the single owner of one meeting's recording state, from creation until every
// recording it started has been handed to its own workflow `recording/<id>`.
// Workflow id `meeting/<meetingId>`. Deterministic code only (lint forbids I/O here).
//
// Browsers ask it to start recording (Update), the platform's webhooks signal it, it waits for every
// recording with a timeout, and on timeout asks the platform (reconciliation) exactly as if the webhook
// had come. What is still missing is marked `missing`; the rest proceeds.
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { context as traceContext, type Context as TraceContext } from '@opentelemetry/api';
import type * as activities from '../activities/index.ts';
import { MeetingIdAttribute, MeetingStateAttribute, RecordingIdAttribute, RoomNameAttribute } from './search-attributes.ts';
import { recordingWorkflow } from './recording.ts';
import { compositeTranscriptFor, recordingWorkflowId, type RecordingWorkflowInput } from '../recordings/messages.ts';
import {
  COMPOSITE,
  RECORDING_KINDS,
  SPEAKER_AUDIO,
  type KnownRecording,
  type MeetingEndReason,
  type MeetingEvent,
  type MeetingPhase,
  type MeetingState,
  type MeetingWorkflowInput,
  type ParticipantEvent,
  type ParticipantWrite,
  type ReadyRecording,
  type RecordingRequested,
  type RecordingKind,
  type RecordingRequestResult,
  type SpeakerTrackRecording,
} from '../meetings/messages.ts';

// The LiveKit adapter (platforms/livekit/) still imports MeetingEvent from here.
export type { MeetingEvent } from '../meetings/messages.ts';

/** A requested recording's id until the platform reports its own (and for good when it never does). */
export const requestedRecordingId = (meetingId: string, start: { kind: RecordingKind; at: string }) => `unreported:${meetingId}:${start.kind}:${start.at}`;
/** Recordings are `pending` when requested and `recording` when the platform confirms (patch id). */
const RECORDING_LIFE_VISIBLE = 'recording-life-visible';
/** A recording.started whose id only stands in is taken by the first new ready of its kind; where the platform records
 * by itself, the recording status follows its recordings (patch id). */
const PROVISIONAL_RECORDING_IDS = 'provisional-recording-ids';


export const meetingEventSignal = defineSignal<[MeetingEvent]>('meetingEvent');
/** Several events that waited together at the dispatcher, in their order: one signal instead of one each. */
export const meetingEventsSignal = defineSignal<[MeetingEvent[]]>('meetingEvents');
/** Ends the meeting now (API call). Later requests are harmless. */
export const endMeetingSignal = defineSignal<[{ reason: MeetingEndReason }]>('endMeeting');
/** A participant's browser asks to record (per the room's trigger). `manual` = the room owner's start button. */
export const requestRecordingUpdate = defineUpdate<RecordingRequestResult, [{ manual: boolean }]>('requestRecording');
export const stopRecordingUpdate = defineUpdate<RecordingRequestResult, []>('stopRecording');
export const meetingStateQuery = defineQuery<MeetingState>('state');

const meetingActivities = proxyActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
// "Not hosting a call yet" is retried with backoff: a platform may need a moment after the first join.
const recordingControl = proxyActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 1.5, maximumInterval: '10 seconds', maximumAttempts: 20, nonRetryableErrorTypes: ['PlatformRequestRefused'] },
});

// The presence sweep: a few quick tries; if the platform does not answer, the next sweep asks again.
const presenceCheck = proxyActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: ['PlatformRequestRefused'] },
});

// The next recording after a limit or an error: a few tries only (a call that has just ended is not waited for).
const recordingContinuation = proxyActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 1.5, maximumInterval: '5 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['PlatformRequestRefused'] },
});

const MAX_EVENT_IDS = 500;
/** A late leave may show that two "present" sessions never met: the second-participant trigger waits this long for it. */
const SECOND_PARTICIPANT_SETTLE_MS = 2_000;
/** After the meeting ends, the platform's last leaves may still be on their way: sessions still open then are closed. */
const PRESENCE_GRACE_MS = 10_000;
/** A recording's limit is reached at the platform: the next one is started this long after it (clocks differ a little). */
const RECORDING_LIMIT_MARGIN_MS = 1_000;
const MAX_RESTARTS_AFTER_ERROR = 5;
/** Participant events waiting together are written by one activity, at most this many (its payload stays small). */
const PARTICIPANT_WRITES_PER_ACTIVITY = 100;
/** Events waiting at a continue-as-new go with the state up to this many (the next run's input stays small). */
const MAX_CARRIED_EVENTS = 500;

const isParticipantEvent = (event: MeetingEvent | RecordingRequested): event is ParticipantEvent =>
  event.type === 'participant.joined' || event.type === 'participant.left';

export async function meetingWorkflow(input: MeetingWorkflowInput): Promise<MeetingState> {
  const state: MeetingState = input.carried ?? {
    meetingId: input.meetingId,
    phase: 'open',
    endDate: input.endDate,
    endReason: null,
    recording: { status: 'idle', startsIssued: 0, lastError: null },
    presentSessions: [],
    participantsSeen: 0,
    recordings: [],
    starts: [],
    appliedEventIds: [],
  };
  let endRequested: MeetingEndReason | null = state.endReason;
  let recordingWanted = state.recording.status === 'waiting-for-participant';
  /** The platform's own end time, when it ended the meeting: still-open sessions are closed then. */
  let platformEndedAt: string | null = null;
  const timesKept = patched('participants-in-platform-time');
  const recordingsContinue = input.recordingMaxDurationSeconds !== undefined && patched('recordings-continue-while-open');
  /** Participant events that wait together cost one activity and one workflow task, not one each. */
  const participantWritesBatched = patched('participant-events-batched');
  const historyMaxEvents = input.historyMaxEvents !== undefined && patched('history-bounded') ? input.historyMaxEvents : Infinity;
  /** Time for a fresh history: Temporal suggests it, or ours has reached its bound. */
  const historyFull = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyMaxEvents;
  /** Sessions that may be the trigger's two: present when recording was asked for, or heard of since. */
  const triggerCandidates = new Set(recordingWanted ? state.presentSessions : []);
  const handedOff = new Set(state.recordings.filter((r) => r.status === 'ready').map((r) => r.id));

  const kindOfInstance = (instanceId: string): RecordingKind | null =>
    RECORDING_KINDS.find((kind) => input.instanceIds[kind] === instanceId) ?? null;

  // Per-track platforms record each microphone on its own, started as it is published (input absent: Daily's
  // runs, which never take these paths). The composite alone is started and stopped as one recording; the
  // speakers' tracks together are the meeting's per-speaker audio, one recording under the raw-tracks instance id.
  const perTrack = input.perSpeakerAudio === 'per-track';
  // Composite-only platforms (100ms without track recording) have no per-speaker recording to start or stop either.
  const compositeOnly = input.perSpeakerAudio === 'none' && patched('composite-only-controls');
  const controlledKinds: readonly RecordingKind[] = perTrack || compositeOnly ? [COMPOSITE] : RECORDING_KINDS;
  const speakerAudioId = input.instanceIds[SPEAKER_AUDIO];
  const speakerTracks = () => (state.speakerTracks ??= []);
  const speakerTrackActive = (t: SpeakerTrackRecording) => t.status === 'starting' || t.status === 'recording';

  function describe(): void {
    const waiting = state.recordings.filter((r) => r.status === 'recording').map((r) => `${r.kind ?? '?'} ${r.id}`);
    const tracksActive = state.speakerTracks?.filter(speakerTrackActive).length ?? 0;
    if (tracksActive > 0) waiting.push(`${tracksActive} speaker track(s)`);
    const details: Record<MeetingPhase, string> = {
      open: `Open until ${state.endDate}. Recording: ${state.recording.status}. ${state.presentSessions.length} present, ${state.participantsSeen} seen.`,
      'awaiting-recordings': `Meeting ended (${state.endReason}). Waiting up to ${input.recordingReadyTimeoutSeconds} s for: ${waiting.join(', ') || 'recordings not yet announced'}.`,
      reconciling: 'Recordings overdue: asking the platform for what it has (reconciliation).',
      ended: `Ended (${state.endReason}). ${state.recordings.length} recording(s): ${state.recordings.map((r) => `${r.kind ?? '?'} ${r.status}`).join(', ') || 'none'}.`,
    };
    setCurrentDetails(details[state.phase]);
  }

  function setPhase(phase: MeetingPhase): void {
    state.phase = phase;
    if (workflowInfo().typedSearchAttributes.get(MeetingStateAttribute) !== undefined) {
      upsertSearchAttributes([{ key: MeetingStateAttribute, value: phase }]);
    }
    describe();
  }

  async function startRecordings(): Promise<void> {
    state.recording.status = 'starting';
    describe();
    const issued: RecordingKind[] = [];
    try {
      for (const kind of controlledKinds) {
        const maxDurationSeconds = maxRecordingDuration();
        await recordingControl.startPlatformRecording({ platform: input.platform, platformRoomName: input.platformRoomName, kind, instanceId: input.instanceIds[kind], ...(maxDurationSeconds !== undefined && { maxDurationSeconds }) });
        startIssued(kind, maxDurationSeconds);
        issued.push(kind);
      }
      state.recording = { status: 'recording', startsIssued: state.recording.startsIssued + 1, lastError: null };
      if (perTrack) await startSpeakerTracks();
    } catch (error) {
      state.recording = { ...state.recording, status: 'failed', lastError: errorMessage(error) };
      // An error kept for a start that was then refused belongs to no recording.
      if (state.startErrors) state.startErrors = state.startErrors.filter((e) => issued.includes(e.kind));
    }
    describe();
  }

  /** The platform accepted a start: it is awaited, `pending` in order with the platform's events, and stops at its limit. */
  function startIssued(kind: RecordingKind, maxDurationSeconds: number | undefined): void {
    const start = { kind, at: new Date().toISOString() };
    state.starts.push(start);
    if (patched(RECORDING_LIFE_VISIBLE)) inbox.push({ type: 'recording.requested', eventId: `requested-${kind}-${start.at}`, ...start });
    if (maxDurationSeconds !== undefined) (state.recordingLimits ??= {})[kind] = new Date(Date.now() + maxDurationSeconds * 1000).toISOString();
  }

  /** The rest of the meeting (and a minute), up to the configured maximum; undefined where recordings do not continue. */
  function maxRecordingDuration(): number | undefined {
    if (!recordingsContinue) return undefined;
    const untilEnd = Math.ceil((Date.parse(input.endDate) - Date.now()) / 1000) + 60;
    return Math.max(1, Math.min(input.recordingMaxDurationSeconds!, untilEnd));
  }

  /** Whether a later recording of this kind runs or is awaited (started, not yet reported). */
  function recordingContinues(kind: RecordingKind): boolean {
    return state.recordings.some((r) => r.kind === kind && (r.status === 'recording' || r.status === 'pending')) || startsWithoutRecording(state).some((s) => s.kind === kind);
  }

  /** The platform ended (or is about to end) this kind's recording while the meeting goes on: start the next one. */
  async function continueRecording(kind: RecordingKind): Promise<void> {
    delete state.recordingLimits?.[kind];
    if (state.phase !== 'open' || endRequested || state.recording.status !== 'recording') return;
    const maxDurationSeconds = maxRecordingDuration()!;
    try {
      const result = await recordingContinuation.startPlatformRecording({ platform: input.platform, platformRoomName: input.platformRoomName, kind, instanceId: input.instanceIds[kind], maxDurationSeconds });
      // Still running at the platform: its ready (or error) webhook starts the next one.
      if (result === 'already-active') return;
      startIssued(kind, maxDurationSeconds);
    } catch (error) {
      state.recording.lastError = errorMessage(error);
    }
    describe();
  }

  /** The earliest moment a recording's limit is reached (plus the margin), or Infinity. */
  function nextRecordingLimit(): number {
    if (state.recording.status !== 'recording') return Infinity;
    return Math.min(...Object.values(state.recordingLimits ?? {}).map((at) => Date.parse(at) + RECORDING_LIMIT_MARGIN_MS));
  }

  async function stopRecordings(): Promise<void> {
    state.recording.status = 'stopping';
    describe();
    for (const recording of perTrack ? speakerTracks().filter((t) => t.status === 'recording') : []) await stopSpeakerTrack(recording);
    for (const kind of controlledKinds) {
      try {
        await recordingControl.stopPlatformRecording({ platform: input.platform, platformRoomName: input.platformRoomName, kind, instanceId: input.instanceIds[kind] });
      } catch (error) {
        state.recording.lastError = errorMessage(error);
      }
    }
    state.recording.status = 'stopped';
    describe();
  }

  /** Recording starts: every microphone published now (the platform's list and the events heard) gets its recording. */
  async function startSpeakerTracks(): Promise<void> {
    const published = (state.publishedTracks ??= []);
    try {
      for (const track of await recordingControl.publishedAudioTracks({ platform: input.platform, platformRoomName: input.platformRoomName })) {
        if (!published.some((t) => t.trackId === track.trackId)) published.push(track);
      }
    } catch (error) {
      state.recording.lastError = errorMessage(error);
    }
    // By index: a track published meanwhile (applied by the main loop) is started too.
    for (let i = 0; i < published.length; i++) await startSpeakerTrack(published[i]!);
  }

  async function startSpeakerTrack(track: { trackId: string; sessionId: string }): Promise<void> {
    if (speakerTracks().some((t) => t.trackId === track.trackId && speakerTrackActive(t))) return;
    const entry: SpeakerTrackRecording = { recordingId: null, trackId: track.trackId, sessionId: track.sessionId, status: 'starting' };
    speakerTracks().push(entry);
    try {
      const { recordingId } = await recordingControl.startSpeakerTrackRecording({ platform: input.platform, platformRoomName: input.platformRoomName, ...track });
      // Its own events may have come first and made its entry: one entry per recording.
      const early = speakerTracks().find((t) => t !== entry && t.recordingId === recordingId);
      if (early) {
        Object.assign(early, { trackId: track.trackId, sessionId: early.sessionId ?? track.sessionId });
        state.speakerTracks = speakerTracks().filter((t) => t !== entry);
      } else {
        Object.assign(entry, { recordingId, status: 'recording' });
      }
      await speakerAudioStarted();
    } catch (error) {
      Object.assign(entry, { status: 'error', error: errorMessage(error) });
      state.recording.lastError = entry.error!;
    }
    describe();
  }

  async function stopSpeakerTrack(recording: SpeakerTrackRecording): Promise<void> {
    try {
      await recordingControl.stopSpeakerTrackRecording({ platform: input.platform, recordingId: recording.recordingId! });
    } catch (error) {
      state.recording.lastError = errorMessage(error);
    }
  }

  /** The meeting's per-speaker audio is being recorded (its row shows it) from its first track on. */
  async function speakerAudioStarted(): Promise<void> {
    if (speakerTracks().filter((t) => t.recordingId !== null).length !== 1) return;
    await meetingActivities.recordRecordingStarted({ meetingId: input.meetingId, recordingId: speakerAudioId, kind: SPEAKER_AUDIO, startedAt: new Date().toISOString(), replaces: null });
  }

  /** A speaker track's own event (a per-track platform names the kind): its entry, made here if its start has not answered yet. */
  async function applySpeakerTrackEvent(event: Extract<MeetingEvent, { type: 'recording.started' | 'recording.ready' | 'recording.error' }>): Promise<void> {
    const recordingId = event.type === 'recording.error' ? event.instanceId : event.recordingId;
    let entry = speakerTracks().find((t) => t.recordingId === recordingId);
    if (!entry) {
      entry = { recordingId, trackId: null, sessionId: null, status: 'recording' };
      speakerTracks().push(entry);
      await speakerAudioStarted();
    }
    if (event.type === 'recording.started') {
      if (entry.status === 'starting') entry.status = 'recording';
    } else if (event.type === 'recording.ready') {
      const track = event.tracks?.find((t) => t.type === 'audio');
      if (!track) Object.assign(entry, { status: 'error', error: 'the platform reported no audio file for the track' });
      else Object.assign(entry, { status: 'ready', track, durationSeconds: event.durationSeconds, sessionId: entry.sessionId ?? track.sessionId ?? null });
    } else {
      Object.assign(entry, { status: 'error', error: event.message });
      state.recording.lastError = event.message;
      await meetingActivities.recordRecordingError({ meetingId: input.meetingId, recordingId: null, kind: SPEAKER_AUDIO, message: `speaker track ${entry.trackId ?? recordingId}: ${event.message}` });
    }
  }

  /** Every speaker track has settled: the ready ones are the meeting's per-speaker audio, one recording for its workflow. */
  async function handOffSpeakerAudio(): Promise<void> {
    if (!perTrack || !state.speakerTracks?.length || handedOff.has(speakerAudioId)) return;
    const ready = state.speakerTracks.filter((t) => t.status === 'ready' && t.track);
    if (ready.length === 0) {
      const reason = `no speaker track was recorded (${state.speakerTracks.map((t) => t.error ?? t.status).join('; ')})`;
      state.recordings.push({ id: speakerAudioId, kind: SPEAKER_AUDIO, status: 'missing', startedAt: null, error: reason });
      await meetingActivities.markRecordingMissing({ meetingId: input.meetingId, recordingId: speakerAudioId, kind: SPEAKER_AUDIO, reason });
      return;
    }
    const spans = ready.map((t) => {
      const start = Date.parse(t.track!.startedAt ?? '') || Date.now();
      return { start, end: start + (t.durationSeconds ?? 0) * 1000 };
    });
    const startMs = Math.min(...spans.map((s) => s.start));
    const keys = ready.map((t) => t.track!.key);
    await handOff({
      recordingId: speakerAudioId,
      kind: SPEAKER_AUDIO,
      startedAt: new Date(startMs).toISOString(),
      durationSeconds: Math.round((Math.max(...spans.map((s) => s.end)) - startMs) / 1000),
      objectKey: commonPrefix(keys),
      tracks: ready.map((t) => ({ ...t.track!, ...(t.sessionId && { sessionId: t.sessionId }) })),
      platformMeetingId: null,
    });
  }

  function recordingOf(id: string): KnownRecording {
    let known = state.recordings.find((r) => r.id === id);
    if (!known) {
      known = { id, kind: null, status: 'recording', startedAt: null };
      state.recordings.push(known);
    }
    return known;
  }

  /** A ready with a new id takes the first recording of its kind whose id only stood in (see KnownRecording.provisional). */
  async function adoptProvisional(ready: ReadyRecording): Promise<void> {
    if (state.recordings.some((r) => r.id === ready.recordingId)) return;
    const known = state.recordings.find((r) => r.provisional && r.kind === ready.kind && r.status === 'recording');
    if (!known) return;
    const standIn = known.id;
    known.id = ready.recordingId;
    delete known.provisional;
    await meetingActivities.recordRecordingStarted({ meetingId: input.meetingId, recordingId: known.id, kind: ready.kind, startedAt: known.startedAt ?? ready.startedAt, replaces: standIn, replacedStatus: 'recording' });
  }

  async function handOff(ready: ReadyRecording): Promise<void> {
    const isNew = !state.recordings.some((r) => r.id === ready.recordingId);
    const known = recordingOf(ready.recordingId);
    known.kind = ready.kind;
    known.startedAt = ready.startedAt;
    known.status = 'ready';
    if (isNew && patched(RECORDING_LIFE_VISIBLE)) await applyConfirmed(known, ready.startedAt);
    if (handedOff.has(ready.recordingId)) return;
    handedOff.add(ready.recordingId);
    const { recordingId, kind, startedAt, durationSeconds, objectKey, tracks, platformMeetingId } = ready;
    const childInput: RecordingWorkflowInput = { meetingId: input.meetingId, roomName: input.roomName, recordingId, kind, startedAt, durationSeconds, objectKey, tracks, platformMeetingId, ...compositeTranscriptFor(input.perSpeakerAudio) };
    try {
      await startChild(recordingWorkflow, {
        workflowId: recordingWorkflowId(ready.recordingId),
        args: [childInput],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: searchAttributesFor(ready.recordingId),
        staticSummary: `${ready.kind} recording ${ready.recordingId} of room "${input.roomName}"`,
      });
    } catch (error) {
      // Already started by another path (a late webhook after this meeting's run): processed once either way.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** Confirmed recordings of a kind (everything but `pending`): the n-th answers the n-th start of that kind. */
  const confirmed = (kind: RecordingKind) => state.recordings.filter((r) => r.kind === kind && r.status !== 'pending');

  /** Requested: `pending` until the platform confirms, unless its confirmation (or failure) came first. */
  async function applyRequested(start: RecordingRequested): Promise<void> {
    const nth = state.starts.filter((s) => s.kind === start.kind).findIndex((s) => s.at === start.at);
    if (confirmed(start.kind).length > nth) return;
    const id = requestedRecordingId(input.meetingId, start);
    const early = state.startErrors?.find((e) => e.kind === start.kind);
    if (early) {
      state.startErrors = state.startErrors!.filter((e) => e !== early);
      state.recordings.push({ id, kind: start.kind, status: 'error', startedAt: null, error: early.message });
      await meetingActivities.recordRecordingError({ meetingId: input.meetingId, recordingId: id, kind: start.kind, message: early.message });
      return;
    }
    state.recordings.push({ id, kind: start.kind, status: 'pending', startedAt: null });
    await meetingActivities.recordRecordingRequested({ meetingId: input.meetingId, recordingId: id, kind: start.kind, requestedAt: start.at });
  }

  /**
   * A platform error with no recording of its kind under way fails the start in flight, if any: one issued
   * whose `recording.requested` is not applied yet (its entry is made here, failed), or one still being
   * issued (the error is kept for its `recording.requested`). Any other such error fails no recording.
   */
  function failedStart(kind: RecordingKind, message: string): KnownRecording | undefined {
    const start = state.starts.filter((s) => s.kind === kind)[confirmed(kind).length];
    if (start) {
      const known: KnownRecording = { id: requestedRecordingId(input.meetingId, start), kind, status: 'error', startedAt: null, error: message };
      state.recordings.push(known);
      return known;
    }
    if (state.recording.status === 'starting') (state.startErrors ??= []).push({ kind, message });
    return undefined;
  }

  /** The platform reported a recording (started, or ready first): it replaces the pending one of its start. */
  async function applyConfirmed(known: KnownRecording, startedAt: string): Promise<void> {
    if (!known.kind) return;
    const nth = confirmed(known.kind).indexOf(known);
    const start = state.starts.filter((s) => s.kind === known.kind)[nth];
    const pendingId = start ? requestedRecordingId(input.meetingId, start) : null;
    state.recordings = state.recordings.filter((r) => !(r.id === pendingId && r.status === 'pending'));
    await meetingActivities.recordRecordingStarted({ meetingId: input.meetingId, recordingId: known.id, kind: known.kind, startedAt, replaces: pendingId });
  }

  function searchAttributesFor(recordingId: string) {
    const own = workflowInfo().typedSearchAttributes;
    if (own.get(MeetingIdAttribute) === undefined) return undefined;
    return [
      { key: MeetingIdAttribute, value: input.meetingId },
      { key: RoomNameAttribute, value: input.roomName },
      { key: RecordingIdAttribute, value: recordingId },
    ];
  }

  function noteSessionTime(sessionId: string, times: { joinedAt?: string; leftAt?: string }): void {
    if (!timesKept) return;
    if (recordingWanted) triggerCandidates.add(sessionId);
    const known = ((state.sessionTimes ??= {})[sessionId] ??= { joinedAt: null, leftAt: null });
    Object.assign(known, times);
  }

  /** Whether two of these sessions were in the call at the same time, by the platform's join and leave times. */
  function twoMet(sessionIds: string[]): boolean {
    const times = [...new Set(sessionIds)].map((id) => state.sessionTimes?.[id]).filter((t) => t?.joinedAt);
    return times.some((a, i) => times.slice(i + 1).some((b) => {
      const start = Math.max(Date.parse(a!.joinedAt!), Date.parse(b!.joinedAt!));
      const end = Math.min(a!.leftAt ? Date.parse(a!.leftAt) : Infinity, b!.leftAt ? Date.parse(b!.leftAt) : Infinity);
      return start < end;
    }));
  }

  /** Ends every session still open at the meeting's end (their leaves were lost or never sent). */
  async function closeOpenSessions(endedAt: string): Promise<void> {
    // Leaves sent just before the end may still be on their way.
    const graceEnd = Date.now() + PRESENCE_GRACE_MS;
    while (state.presentSessions.length > 0 && Date.now() < graceEnd) {
      await condition(() => inbox.length > 0, Math.max(0, graceEnd - Date.now()));
      await applyWaiting();
    }
    state.sessionsClosedAt = endedAt;
    if (state.presentSessions.length === 0) return;
    state.presentSessions = [];
    await meetingActivities.closeParticipantSessions({ meetingId: input.meetingId, at: endedAt });
    describe();
  }

  /** Asks the platform whether the call goes on; a call it no longer has ends the meeting as its meeting.ended would. */
  async function sweepPresence(): Promise<void> {
    let ongoing: boolean;
    try {
      ongoing = await presenceCheck.isPlatformMeetingOngoing({ platform: input.platform, platformRoomName: input.platformRoomName });
    } catch {
      return;
    }
    if (ongoing) state.platformCallSeen = true;
    // Before anyone joined there is no call to lose: an empty room that never started stays open.
    else if (state.platformCallSeen || state.participantsSeen > 0) endRequested ??= 'platform';
  }

  /** False for an event applied before (a webhook retried, a signal redelivered). */
  function firstApplication(event: MeetingEvent | RecordingRequested): boolean {
    if (state.appliedEventIds.includes(event.eventId)) return false;
    state.appliedEventIds.push(event.eventId);
    if (state.appliedEventIds.length > MAX_EVENT_IDS) state.appliedEventIds.shift();
    return true;
  }

  /** A participant event on the meeting's state; what it writes to the session's row. */
  function noteParticipantEvent(event: ParticipantEvent): ParticipantWrite {
    if (event.type === 'participant.joined') {
      const inOrder = patched('participant-events-in-their-order');
      const leave = inOrder ? state.earlyLeaves?.find((l) => l.sessionId === event.sessionId) : undefined;
      if (leave) state.earlyLeaves = state.earlyLeaves!.filter((l) => l !== leave);
      // A leave already known at or after this join means the session is gone already.
      const gone = leave !== undefined && Date.parse(leave.at) >= Date.parse(event.at);
      // After the meeting's sessions were closed, a join (late webhook) is recorded as already left at the end.
      const closedAt = state.sessionsClosedAt;
      if (!gone && !closedAt && !state.presentSessions.includes(event.sessionId)) state.presentSessions.push(event.sessionId);
      noteSessionTime(event.sessionId, { joinedAt: event.at });
      const { eventId: _eventId, ...joined } = event;
      return { ...joined, ...(closedAt ? { leftAt: laterOf(event.at, closedAt) } : {}) };
    }
    noteSessionTime(event.sessionId, { leftAt: event.at });
    if (patched('participant-events-in-their-order') && !state.presentSessions.includes(event.sessionId) && !state.sessionsClosedAt) {
      (state.earlyLeaves ??= []).push({ sessionId: event.sessionId, at: event.at });
    }
    state.presentSessions = state.presentSessions.filter((s) => s !== event.sessionId);
    return { type: event.type, sessionId: event.sessionId, at: event.at, ...(event.receivedAt ? { receivedAt: event.receivedAt } : {}) };
  }

  // The trace each event arrived in (with tracing on, its signal's span, whose parent is the webhook's request:
  // runtime/tracing.ts), so that the activities and the recording workflow run for it are in that trace. Not state:
  // none of it is in the history (a replay or a continued run applies an event outside its trace).
  const arrivalTraces = new WeakMap<object, TraceContext>();
  function arrived(events: MeetingEvent[]): void {
    for (const event of events) arrivalTraces.set(event, traceContext.active());
    inbox.push(...events);
  }
  function inTraceOf<T>(event: object, work: () => Promise<T>): Promise<T> {
    const trace = arrivalTraces.get(event);
    return trace ? traceContext.with(trace, work) : work();
  }

  /**
   * Everything waiting, in order: a run of participant events is noted on the state at once and written by one
   * activity (runs before the patch: one activity each); any other event is applied on its own.
   */
  async function applyWaiting(options: { untilHistoryFull?: boolean } = {}): Promise<void> {
    while (inbox.length > 0) {
      // A bounded run hands what still waits to the next (continue-as-new) rather than grow past its bound.
      if (options.untilHistoryFull && historyMaxEvents !== Infinity && historyFull()) return;
      if (!participantWritesBatched || !isParticipantEvent(inbox[0]!)) {
        const event = inbox.shift()!;
        await inTraceOf(event, () => apply(event));
        continue;
      }
      const writes: ParticipantWrite[] = [];
      const first = inbox[0]!;
      while (inbox.length > 0 && isParticipantEvent(inbox[0]!) && writes.length < PARTICIPANT_WRITES_PER_ACTIVITY) {
        const event = inbox.shift() as ParticipantEvent;
        if (firstApplication(event)) writes.push(noteParticipantEvent(event));
      }
      if (writes.length === 0) continue;
      await inTraceOf(first, () => meetingActivities.recordParticipantEvents({ meetingId: input.meetingId, writes }));
      // Counted once their rows are written, so a query that sees the count also sees the rows.
      state.participantsSeen += writes.filter((w) => w.type === 'participant.joined').length;
      describe();
    }
  }

  async function apply(event: MeetingEvent | RecordingRequested): Promise<void> {
    if (!firstApplication(event)) return;
    switch (event.type) {
      case 'participant.joined': {
        const write = noteParticipantEvent(event);
        // Counted once its row is written, so a query that sees the count also sees the row (queries only: no command changes).
        await meetingActivities.recordParticipantJoined({ meetingId: input.meetingId, ...event, ...(write.type === 'participant.joined' && write.leftAt ? { leftAt: write.leftAt } : {}) });
        state.participantsSeen++;
        break;
      }
      case 'participant.left':
        noteParticipantEvent(event);
        await meetingActivities.recordParticipantLeft({ meetingId: input.meetingId, sessionId: event.sessionId, at: event.at });
        break;
      case 'meeting.started':
        await meetingActivities.recordPlatformMeeting({ meetingId: input.meetingId, platformMeetingId: event.platformMeetingId });
        break;
      case 'meeting.ended':
        endRequested ??= 'platform';
        platformEndedAt ??= event.at;
        break;
      case 'recording.requested':
        await applyRequested(event);
        break;
      case 'speaker-track.published': {
        const published = (state.publishedTracks ??= []);
        if (!published.some((t) => t.trackId === event.trackId)) published.push({ trackId: event.trackId, sessionId: event.sessionId });
        if (perTrack && state.recording.status === 'recording' && state.phase === 'open') await startSpeakerTrack(event);
        break;
      }
      case 'speaker-track.unpublished': {
        state.publishedTracks = (state.publishedTracks ?? []).filter((t) => t.trackId !== event.trackId);
        const recording = state.speakerTracks?.find((t) => t.trackId === event.trackId && t.status === 'recording' && t.recordingId !== null);
        if (recording) await stopSpeakerTrack(recording);
        break;
      }
      case 'recording.started':
      case 'recording.ready':
      case 'recording.error':
        if (perTrack && event.kind === SPEAKER_AUDIO) await applySpeakerTrackEvent(event);
        else await applyRecordingEvent(event);
        break;
    }
    describe();
  }

  async function applyRecordingEvent(event: Extract<MeetingEvent, { type: 'recording.started' | 'recording.ready' | 'recording.error' }>): Promise<void> {
    switch (event.type) {
      case 'recording.started': {
        const isNew = !state.recordings.some((r) => r.id === event.recordingId);
        const known = recordingOf(event.recordingId);
        known.kind ??= event.kind ?? kindOfInstance(event.instanceId);
        known.startedAt ??= event.at;
        if (isNew && event.provisional && patched(PROVISIONAL_RECORDING_IDS)) known.provisional = true;
        if (input.recordingStartedBy === 'platform' && state.recording.status !== 'recording' && patched(PROVISIONAL_RECORDING_IDS)) state.recording.status = 'recording';
        if (isNew && patched(RECORDING_LIFE_VISIBLE)) await applyConfirmed(known, event.at);
        break;
      }
      case 'recording.ready':
        if (patched(PROVISIONAL_RECORDING_IDS)) await adoptProvisional(event);
        await handOff(event);
        if (input.recordingStartedBy === 'platform' && state.recording.status === 'recording' && !state.recordings.some((r) => r.status === 'recording') && patched(PROVISIONAL_RECORDING_IDS)) {
          state.recording.status = 'stopped';
        }
        if (recordingsContinue && !recordingContinues(event.kind)) await continueRecording(event.kind);
        break;
      case 'recording.error': {
        const kind = event.kind ?? kindOfInstance(event.instanceId);
        // A start the platform failed before confirming it ends its pending recording (see failedStart).
        const lifeVisible = patched(RECORDING_LIFE_VISIBLE);
        const failing = lifeVisible ? ['recording', 'pending'] : ['recording'];
        let current = [...state.recordings].reverse().find((r) => r.kind === kind && failing.includes(r.status));
        if (!current && lifeVisible && kind) current = failedStart(kind, event.message);
        // A recording that ran and failed is followed by the next; a start the platform refused is not retried.
        const ranAndFailed = current?.status === 'recording';
        if (current) {
          current.status = 'error';
          current.error = event.message;
        }
        state.recording.lastError = event.message;
        await meetingActivities.recordRecordingError({ meetingId: input.meetingId, recordingId: current?.id ?? null, kind, message: event.message });
        if (recordingsContinue && kind && ranAndFailed && !recordingContinues(kind) && (state.restartsAfterError ?? 0) < MAX_RESTARTS_AFTER_ERROR) {
          state.restartsAfterError = (state.restartsAfterError ?? 0) + 1;
          await continueRecording(kind);
        }
        break;
      }
    }
  }

  // Events are applied one at a time, in arrival order, by the main loop.
  const inbox: Array<MeetingEvent | RecordingRequested> = [...(input.carriedEvents ?? [])];
  setHandler(meetingEventSignal, (event) => arrived([event]));
  setHandler(meetingEventsSignal, (events) => arrived(events));
  setHandler(endMeetingSignal, ({ reason }) => void (endRequested ??= reason));
  setHandler(meetingStateQuery, () => state);

  // Start and stop run one at a time: a request arriving meanwhile waits, then sees the outcome.
  const controlBusy = () => state.recording.status === 'starting' || state.recording.status === 'stopping';

  setHandler(requestRecordingUpdate, async ({ manual }): Promise<RecordingRequestResult> => {
    // Inline, not a helper: from here to the status change there must be no await, or two requests could both start.
    while (controlBusy()) await condition(() => !controlBusy());
    if (state.phase !== 'open') return { status: state.recording.status, note: 'the meeting has ended' };
    if (state.recording.status === 'recording') return { status: 'recording' };
    if (input.recordingType !== undefined && input.recordingType !== 'cloud' && patched('recording-type-honoured')) {
      return { status: state.recording.status, note: `recording type "${input.recordingType}": this meeting is not recorded here` };
    }
    const trigger = input.recordingTrigger;
    if ((trigger === 'none' || trigger === 'prompt') && !manual) return { status: state.recording.status, note: `trigger "${trigger}": only the host starts recording` };
    if (trigger === 'automatic-2nd-participant' && !manual && state.presentSessions.length < 2) {
      recordingWanted = true;
      for (const sessionId of state.presentSessions) triggerCandidates.add(sessionId);
      state.recording.status = 'waiting-for-participant';
      describe();
      return { status: state.recording.status, note: 'starts when a second participant joins' };
    }
    await startRecordings();
    return { status: state.recording.status, ...(state.recording.lastError ? { note: state.recording.lastError } : {}) };
  }, {
    validator: (_request: { manual: boolean }) => {
      if (endRequested) throw new Error('the meeting has ended');
    },
  });

  setHandler(stopRecordingUpdate, async (): Promise<RecordingRequestResult> => {
    // Inline, not a helper: from here to the status change there must be no await, or two requests could both start.
    while (controlBusy()) await condition(() => !controlBusy());
    if (state.recording.status !== 'recording') return { status: state.recording.status, note: 'nothing is recording' };
    await stopRecordings();
    return { status: state.recording.status };
  });

  describe();

  // Phase 1: open until ended (platform, API or end date), applying events as they come.
  const endAt = Date.parse(input.endDate);
  const sweepMs = patched('platform-presence-sweep') && input.presenceSweepSeconds ? input.presenceSweepSeconds * 1000 : 0;
  let nextSweepAt = Date.now() + sweepMs;
  while (state.phase === 'open') {
    const remaining = Math.max(0, endAt - Date.now());
    const wakeAt = Math.min(sweepMs ? nextSweepAt : Infinity, nextRecordingLimit());
    const timeout = wakeAt === Infinity ? remaining : Math.max(0, Math.min(remaining, wakeAt - Date.now()));
    const woke = await condition(() => inbox.length > 0 || endRequested !== null || secondParticipantArrived() || historyFull(), timeout);
    if (!woke && ((!sweepMs && !recordingsContinue) || Date.now() >= endAt)) endRequested ??= 'end-date';
    await applyWaiting({ untilHistoryFull: true });
    if (sweepMs && !endRequested && Date.now() >= nextSweepAt) {
      await sweepPresence();
      nextSweepAt = Date.now() + sweepMs;
    }
    for (const kind of RECORDING_KINDS) {
      const limit = state.recordingLimits?.[kind];
      if (limit && Date.now() >= Date.parse(limit) + RECORDING_LIMIT_MARGIN_MS && !endRequested) await continueRecording(kind);
    }
    if (secondParticipantArrived()) {
      if (timesKept) {
        // Webhooks arrive in any order: wait a moment for a late leave that shows the two never met.
        await condition(() => endRequested !== null, SECOND_PARTICIPANT_SETTLE_MS);
        await applyWaiting();
      }
      if (secondParticipantArrived()) {
        recordingWanted = false;
        await startRecordings();
      }
    }
    if (endRequested) {
      state.endReason = endRequested;
      if (state.recording.status === 'recording') {
        // The platform stops its recordings itself when the call ends; otherwise we stop them.
        if (endRequested === 'platform') state.recording.status = 'stopped';
        else await stopRecordings();
      }
      const endedAt = new Date().toISOString();
      await meetingActivities.markMeetingEnded({ meetingId: input.meetingId, endedAt, reason: endRequested });
      setPhase('awaiting-recordings');
      if (patched('participants-closed-at-meeting-end')) await closeOpenSessions(platformEndedAt ?? endedAt);
    } else if (historyFull()) {
      // Long meetings: start a fresh history carrying the state. Events that wait go with it (a bounded run, a
      // payload of at most MAX_CARRIED_EVENTS) or are applied first; nothing awaits between the last check of the
      // inbox and continue-as-new, so none is lost.
      await condition(allHandlersFinished);
      if (historyMaxEvents !== Infinity && inbox.length <= MAX_CARRIED_EVENTS) {
        await continueAsNew<typeof meetingWorkflow>({ ...input, carried: state, carriedEvents: [...inbox] });
      }
      await applyWaiting();
      if (!endRequested) await continueAsNew<typeof meetingWorkflow>({ ...input, carried: state });
    }
  }

  /** Two sessions were in the call together since recording was asked for (by the platform's times, once kept). */
  function secondParticipantArrived(): boolean {
    if (!recordingWanted || state.recording.status !== 'waiting-for-participant') return false;
    if (timesKept) return twoMet([...triggerCandidates, ...state.presentSessions]);
    return state.presentSessions.length >= 2;
  }

  // Phase 2: wait for every recording that started to become ready, with a timeout.
  const awaited = () => state.recordings.some((r) => r.status === 'recording') || startsWithoutRecording(state).length > 0 || (state.speakerTracks?.some(speakerTrackActive) ?? false);
  const deadline = Date.now() + input.recordingReadyTimeoutSeconds * 1000;
  while (awaited() && Date.now() < deadline) {
    await condition(() => inbox.length > 0, Math.max(0, deadline - Date.now()));
    await applyWaiting();
  }

  // Phase 3: overdue recordings: ask the platform, apply what it has, mark the rest missing.
  if (awaited()) {
    setPhase('reconciling');
    const found = await meetingActivities.findPlatformRecordings({ platform: input.platform, platformRoomName: input.platformRoomName });
    for (const ready of found) {
      if (!handedOff.has(ready.recordingId)) await apply({ type: 'recording.ready', eventId: `reconciled-${ready.recordingId}`, ...ready });
    }
    for (const known of state.recordings.filter((r) => r.status === 'recording')) {
      known.status = 'missing';
      known.error = `not ready within ${input.recordingReadyTimeoutSeconds} s and not finished at the platform`;
      await meetingActivities.markRecordingMissing({ meetingId: input.meetingId, recordingId: known.id, kind: known.kind, reason: known.error });
    }
    for (const start of startsWithoutRecording(state)) {
      const reason = `a ${start.kind} recording was started at ${start.at} but the platform never reported it`;
      const id = requestedRecordingId(input.meetingId, start);
      const pending = state.recordings.find((r) => r.id === id && r.status === 'pending');
      if (pending) Object.assign(pending, { status: 'missing', startedAt: start.at, error: reason });
      else state.recordings.push({ id, kind: start.kind, status: 'missing', startedAt: start.at, error: reason });
      await meetingActivities.markRecordingMissing({ meetingId: input.meetingId, recordingId: id, kind: start.kind, reason });
    }
    for (const track of state.speakerTracks?.filter(speakerTrackActive) ?? []) {
      Object.assign(track, { status: 'missing', error: `speaker track ${track.trackId ?? track.recordingId}: not ready within ${input.recordingReadyTimeoutSeconds} s and not finished at the platform` });
    }
  }
  await handOffSpeakerAudio();
  // Late events that arrived meanwhile are applied; later ones go straight to their recording workflow.
  await applyWaiting();
  await condition(allHandlersFinished);
  setPhase('ended');
  return state;
}

/** Starts we issued that no recording of that kind accounts for yet (platform times are not compared with ours). */
function startsWithoutRecording(state: MeetingState): Array<{ kind: RecordingKind; at: string }> {
  return RECORDING_KINDS.flatMap((kind) => {
    const starts = state.starts.filter((s) => s.kind === kind);
    const seen = state.recordings.filter((r) => r.kind === kind && r.status !== 'pending').length;
    return starts.slice(seen);
  });
}

function errorMessage(error: unknown): string {
  if (error instanceof ApplicationFailure) return error.message;
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message ?? (error as Error).message ?? String(error);
}

/** The longest folder prefix the keys share (a per-speaker recording's "object key": where its tracks are). */
function commonPrefix(keys: string[]): string {
  const folders = keys.map((key) => key.split('/').slice(0, -1));
  const shared: string[] = [];
  for (let i = 0; folders.every((f) => i < f.length && f[i] === folders[0]![i]); i++) shared.push(folders[0]![i]!);
  return shared.join('/');
}

function laterOf(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
