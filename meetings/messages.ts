// The messages of a meeting, shared by the API (which starts, signals and queries the meeting workflow),
// workflows/ (meetingWorkflow) and activities/: pure types and constants, no I/O, so workflow code may
// import them (lint enforces determinism here as in workflows/).

// The lists are the database's too (db/entities.ts re-exports them).
export const RECORDING_KINDS = ['cloud', 'raw-tracks'] as const;
export type RecordingKind = (typeof RECORDING_KINDS)[number];
/** A meeting's two kinds of recording under the names they are stored, signalled and answered by (the API's
 * `type`; recorded workflow histories hold them): `cloud` is the composite, one MP4 for playback. */
export const COMPOSITE = 'cloud' satisfies RecordingKind;
/** `raw-tracks`: the per-speaker audio, one file per participant's track (on a per-track platform, one recording
 * that gathers the meeting's track recordings). */
export const SPEAKER_AUDIO = 'raw-tracks' satisfies RecordingKind;
export const RECORDING_TRIGGERS = ['none', 'prompt', 'automatic', 'automatic-2nd-participant'] as const;
export type RecordingTrigger = (typeof RECORDING_TRIGGERS)[number];
/** The room's recording type: only `cloud` is recorded by us; `none` and `local` never start one here. */
export const RECORDING_TYPES = ['none', 'local', 'cloud'] as const;
export type RoomRecordingType = (typeof RECORDING_TYPES)[number];

export interface MeetingWorkflowInput {
  meetingId: string;
  roomName: string;
  platform: string;
  platformRoomName: string;
  /** Instance ids for the two recordings: cloud = meeting id, raw-tracks = UUIDv5 of it. */
  instanceIds: Record<RecordingKind, string>;
  recordingTrigger: RecordingTrigger;
  /** Absent in runs started before it was passed (they behave as `cloud`). */
  recordingType?: RoomRecordingType;
  /** ISO 8601: when the meeting closes if nobody ends it sooner. */
  endDate: string;
  /** How long to wait for recordings after the meeting ended before asking the platform. */
  recordingReadyTimeoutSeconds: number;
  /** While open, how often to ask the platform whether the call still goes on (a lost meeting.ended); absent: never. */
  presenceSweepSeconds?: number;
  /** The longest a recording may run: each start asks for the rest of the meeting up to this, and a recording the
   * platform ends while the meeting is open (limit reached, error) is followed by the next. Absent: neither. */
  recordingMaxDurationSeconds?: number;
  /** While open, the run continues as new (its state carried) once its history has this many events, so a replay
   * costs the same in a meeting's first minute and its fourth hour. Absent: only when Temporal suggests it. */
  historyMaxEvents?: number;
  /** How the platform records each speaker's audio (Platform.recordingCapabilities): absent in runs started before
   * it was passed, which were all `with-composite` (Daily's raw tracks). */
  perSpeakerAudio?: PerSpeakerAudio;
  /** 'platform' where the platform starts and stops recording by itself (Whereby): the recording status follows its
   * recordings (recording while one runs, stopped once each is ready). Absent: the workflow starts them. */
  recordingStartedBy?: 'platform';
  /** State carried across continue-as-new. */
  carried?: MeetingState;
  /** Events that were waiting when the run continued as new: the next applies them first, in their order. */
  carriedEvents?: Array<MeetingEvent | RecordingRequested>;
}

/** See RecordingCapabilities in platforms/platform.ts. */
export type PerSpeakerAudio = 'with-composite' | 'per-track' | 'none';

/**
 * One microphone recorded on its own (per-track platforms). Known from the start we issued (trackId, once its
 * recording id comes back) or from the platform's events (recording id first): whichever comes first makes it.
 */
export interface SpeakerTrackRecording {
  recordingId: string | null;
  trackId: string | null;
  sessionId: string | null;
  status: 'starting' | 'recording' | 'ready' | 'error' | 'missing';
  /** The file, once ready. */
  track?: ReadyTrack;
  /** Its length, once ready. */
  durationSeconds?: number;
  error?: string;
}

export type MeetingPhase = 'open' | 'awaiting-recordings' | 'reconciling' | 'ended';
export type MeetingEndReason = 'api' | 'end-date' | 'platform';
/** The recording control both kinds share: started and stopped together. */
export type RecordingControlStatus = 'idle' | 'waiting-for-participant' | 'starting' | 'recording' | 'stopping' | 'stopped' | 'failed';

/** A recording's life: `pending` once requested (id `requestedRecordingId`), `recording` once the platform
 * confirms it (its own id from then on), then `ready`, `error` or `missing`. */
export interface KnownRecording {
  id: string;
  kind: RecordingKind | null;
  status: 'pending' | 'recording' | 'ready' | 'error' | 'missing';
  startedAt: string | null;
  error?: string;
  /** Its id stands in until the platform's ready names it (the first new ready of its kind then takes this entry). */
  provisional?: boolean;
}

export interface MeetingState {
  meetingId: string;
  phase: MeetingPhase;
  endDate: string;
  endReason: MeetingEndReason | null;
  recording: { status: RecordingControlStatus; startsIssued: number; lastError: string | null };
  /** Sessions present now (platform session ids) and everyone seen. */
  presentSessions: string[];
  participantsSeen: number;
  /** Leaves that came before their session's join (webhooks arrive in any order): applied when the join comes. */
  earlyLeaves?: Array<{ sessionId: string; at: string }>;
  /** Each session's join and leave in the platform's time, as far as known (the second-participant trigger compares them). */
  sessionTimes?: Record<string, { joinedAt: string | null; leftAt: string | null }>;
  /** When the platform will stop each kind's current recording (its stated maximum duration): the next starts then. */
  recordingLimits?: Partial<Record<RecordingKind, string>>;
  /** Recordings started again after a platform error (bounded, so a platform failing every start is not hammered). */
  restartsAfterError?: number;
  /** The platform was seen hosting the call (a sweep said so): from then on, its "no call" ends the meeting. */
  platformCallSeen?: boolean;
  /** Set once the meeting has ended and its still-open sessions were closed at its end: later joins count as already left. */
  sessionsClosedAt?: string;
  recordings: KnownRecording[];
  /** Starts we issued per kind, with when: a start without a recording id yet is still awaited. */
  starts: Array<{ kind: RecordingKind; at: string }>;
  /** Platform errors that came while their start was being issued: they fail it once it is (see failedStart). */
  startErrors?: Array<{ kind: RecordingKind; message: string }>;
  /** Platform event ids already applied (duplicates are acknowledged and not applied twice). */
  appliedEventIds: string[];
  /** Per-track platforms: the microphones published now, and each one's recording (all of them together are the
   * meeting's per-speaker audio, handed to its recording workflow once every one has settled). */
  publishedTracks?: Array<{ trackId: string; sessionId: string }>;
  speakerTracks?: SpeakerTrackRecording[];
}

/** A platform event as the webhook endpoint signals it: small, already verified and stored. */
export type MeetingEvent =
  | { type: 'participant.joined'; eventId: string; sessionId: string; userId: string | null; userName: string | null; isOwner: boolean; at: string; receivedAt?: string }
  | { type: 'participant.left'; eventId: string; sessionId: string; at: string; receivedAt?: string }
  | { type: 'meeting.started'; eventId: string; platformMeetingId: string; at: string }
  | { type: 'meeting.ended'; eventId: string; platformMeetingId: string; at: string }
  /** `kind` where the platform says which recording it is; otherwise the instance id tells. `provisional`: the id
   * stands in until the platform's ready names the recording (PlatformEvent `provisionalId`). */
  | { type: 'recording.started'; eventId: string; recordingId: string; instanceId: string; at: string; kind?: RecordingKind; provisional?: boolean }
  | ({ type: 'recording.ready'; eventId: string } & ReadyRecording)
  | { type: 'recording.error'; eventId: string; instanceId: string; message: string; at: string; kind?: RecordingKind }
  /** A microphone published or unpublished, where each is recorded on its own (RecordingCapabilities `per-track`). */
  | { type: 'speaker-track.published' | 'speaker-track.unpublished'; eventId: string; sessionId: string; trackId: string; at: string };

/** A start the platform accepted, queued so that it is applied in order with the platform's events. */
export interface RecordingRequested {
  type: 'recording.requested';
  eventId: string;
  kind: RecordingKind;
  at: string;
}

export type ParticipantEvent = Extract<MeetingEvent, { type: 'participant.joined' | 'participant.left' }>;

/** What a participant event writes to its session's row; `leftAt` on a join: it came after the meeting's sessions were closed. */
export type ParticipantWrite =
  | { type: 'participant.joined'; sessionId: string; userId: string | null; userName: string | null; isOwner: boolean; at: string; leftAt?: string; receivedAt?: string }
  | { type: 'participant.left'; sessionId: string; at: string; receivedAt?: string };

export interface ReadyRecording {
  recordingId: string;
  kind: RecordingKind;
  startedAt: string;
  durationSeconds: number;
  objectKey: string;
  tracks: ReadyTrack[] | null;
  platformMeetingId: string | null;
}

/** One file of a recording. `sessionId` and `startedAt` are the platform's facts when its events state them (a
 * track recorded on its own); otherwise the platform's key layout tells (Platform.describeTrack). */
export interface ReadyTrack {
  type: 'audio' | 'video';
  key: string;
  size: number;
  /** The speaker's participant session. */
  sessionId?: string;
  /** ISO 8601: the track's first sample. */
  startedAt?: string;
}

export interface RecordingRequestResult {
  status: RecordingControlStatus;
  /** Why nothing happened, when nothing did. */
  note?: string;
}

export const meetingWorkflowId = (meetingId: string) => `meeting/${meetingId}`;
