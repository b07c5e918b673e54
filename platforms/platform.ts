// The one interface every video platform implements (Daily, LiveKit, 100ms; Whereby next).
// Everything here is in our own normalized vocabulary; each adapter translates its vendor's API into it.

export type RecordingType = 'cloud' | 'raw-tracks';

export interface RecordingsBucket {
  bucketName: string;
  bucketRegion: string;
  /** Role the platform assumes to write into the bucket (absent when the bucket grants access otherwise). */
  assumeRoleArn?: string;
}

export interface CreateRoomInput {
  name: string;
  /** Nobody can join after this instant. */
  expiresAt: Date;
  recordingsBucket: RecordingsBucket;
  /** Where the platform itself starts recording (Whereby's startTrigger); platforms whose recording the workflow
   * starts ignore it. */
  recordingTrigger?: 'none' | 'prompt' | 'automatic' | 'automatic-2nd-participant';
  roomMode?: PlatformRoomMode;
  /** Nobody joins without knocking, except with a host's link. */
  isLocked?: boolean;
}

export interface CreatedRoom {
  platformRoomName: string;
  roomUrl: string;
  hostRoomUrl?: string;
}

export interface JoinTokenInput {
  roomName: string;
  userName: string;
  userId?: string;
  isOwner: boolean;
  expiresAt: Date;
}

export interface RecordingControl {
  type: RecordingType;
  /** Identifies one recording stream in a room; cloud and raw-tracks must use different ids. */
  instanceId: string;
  /** Starts only: the platform stops the recording after this long (Daily's own default is 3 hours). */
  maxDurationSeconds?: number;
}

export type StartRecordingResult = 'started' | 'already-active';
export type StopRecordingResult = 'stopped' | 'not-active';

export interface RecordingTrack {
  type: 'audio' | 'video';
  /** Object key in the recordings bucket. */
  key: string;
  size: number;
  /** The participant session the track belongs to, when the platform's key layout tells. */
  sessionId?: string;
  /** When the track's first sample was captured, when the platform's key layout tells. */
  startedAt?: Date;
}

export type RecordingStatus = 'finished' | 'in-progress' | 'canceled';

export interface PlatformRecording {
  id: string;
  roomName: string;
  startedAt: Date;
  status: RecordingStatus;
  durationSeconds?: number;
  /** The composed file (cloud) or the common key prefix of the tracks (raw-tracks). */
  objectKey: string;
  /** The platform's meeting (call session) id; Daily sometimes omits it. */
  meetingSessionId: string | null;
  /** Inferred for Daily, which never says: tracks present → raw-tracks, else cloud. */
  type: RecordingType;
  tracks: RecordingTrack[] | null;
  maxParticipants?: number;
}

export interface RecordingPage {
  recordings: PlatformRecording[];
  hasMore: boolean;
  /** Pass as startingAfter to get the next (older) page. */
  nextCursor?: string;
}

export interface ListRecordingsInput {
  roomName?: string;
  limit?: number;
  startingAfter?: string;
}

export interface MeetingParticipant {
  sessionId: string;
  userId: string | null;
  userName: string | null;
  joinedAt: Date;
  durationSeconds: number;
}

export interface WebhookRequest {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  now: Date;
}

export type WebhookVerification =
  | { ok: true }
  | { ok: false; reason: 'missing_signature' | 'bad_signature' | 'stale_timestamp' | 'body_tampered' | 'unexpected_content_type' | 'replayed'; detail?: string };

interface EventBase {
  /** The platform's id for this delivery's event: the deduplication key. */
  eventId: string;
  /** When the thing happened on the platform's timeline (not when the webhook was sent). */
  occurredAt: Date;
  /** When the platform sent the webhook. */
  sentAt: Date;
}

export interface ParticipantEventFields {
  roomName: string;
  /** A new id for every join; a rejoin is a new session for the same user. */
  sessionId: string;
  userId?: string;
  userName?: string;
  isOwner: boolean;
  joinedAt: Date;
}

export type PlatformEvent =
  | (EventBase & ParticipantEventFields & { type: 'participant.joined' })
  | (EventBase & ParticipantEventFields & { type: 'participant.left'; durationSeconds?: number })
  | (EventBase & { type: 'meeting.started'; platformMeetingId: string; roomName: string; startedAt: Date })
  | (EventBase & { type: 'meeting.ended'; platformMeetingId: string; roomName: string; startedAt: Date; endedAt: Date })
  /**
   * `recordingType` where the platform itself says which recording it is (else the instance id tells); `roomName`
   * where the instance id is the platform's own and cannot find the meeting (LiveKit's egress id, Whereby's session).
   * `provisionalId`: the platform names the recording only once it is stored (Whereby: the recorder's participant id
   * stands in until recording.finished brings the recording's own), so the first ready of its kind whose id is new
   * is this recording.
   */
  | (EventBase & { type: 'recording.started'; recordingId: string; instanceId: string; startedAt: Date; recordingType?: RecordingType; roomName?: string; provisionalId?: boolean })
  | (EventBase & {
      type: 'recording.ready';
      recordingId: string;
      roomName: string;
      recordingType: RecordingType;
      startedAt: Date;
      durationSeconds: number;
      objectKey: string;
      tracks: RecordingTrack[] | null;
      maxParticipants?: number;
      /** Where the file is when the platform wrote it into its own storage, not our bucket (100ms): a link to copy it
       * from before it expires. `objectKey` is then the file's key there. */
      download?: { url: string; expiresAt: Date };
    })
  | (EventBase & { type: 'recording.error'; instanceId: string; roomName: string; message: string; at: Date; recordingType?: RecordingType })
  /** A participant published (or unpublished) a microphone: where each one is recorded on its own (`per-track`). */
  | (EventBase & { type: 'speaker-track.published' | 'speaker-track.unpublished'; roomName: string; sessionId: string; trackId: string });

export type PlatformEventType = PlatformEvent['type'];

export type ParsedWebhook =
  | { kind: 'handshake' }
  | { kind: 'event'; event: PlatformEvent }
  | { kind: 'ignored'; type: string };

/** A room's mode in our vocabulary: Whereby's `normal` (small) and `group` (large) rooms. */
export type PlatformRoomMode = 'normal' | 'group';

/** What a recording's track key tells about the track (each platform names its tracks its own way). */
export interface TrackFacts {
  /** The participant session the track belongs to. */
  sessionId: string;
  /** A participant's microphone: the tracks that are transcribed (cameras and screens are not). */
  speakerAudio: boolean;
  /** The recording's and the track's start on the platform's recording clock, in ms. */
  recordingStartMs: number;
  trackStartMs: number;
}

/**
 * What a platform records of a meeting, and how; the meeting workflow asks for these and knows no vendor.
 * `composite`: one composed file (MP4) for playback, started and stopped by the workflow (Daily's cloud recording,
 * LiveKit's room-composite egress).
 * `perSpeakerAudio`: each speaker's own audio, transcribed without diarization —
 *   `with-composite`: one recording holding every participant's tracks, started and stopped with the composite
 *   (Daily's raw tracks);
 *   `per-track`: one recording per published microphone, started as it is published and stopped when it is
 *   unpublished (LiveKit's track egress); the platform is then a TrackRecorder.
 */
export interface RecordingCapabilities {
  composite: boolean;
  perSpeakerAudio: 'with-composite' | 'per-track' | 'none';
  /** `platform`: the platform starts and stops recording itself (the room's trigger, or a host in its own call
   * controls) and has no API to ask it to; our start/stop requests are refused. Absent: the workflow starts it. */
  startedBy?: 'platform';
}

/** A microphone published in a room: one speaker's session. */
export interface PublishedTrack {
  trackId: string;
  /** The participant session that published it. */
  sessionId: string;
}

/** A platform that records each microphone on its own (`perSpeakerAudio: 'per-track'`). */
export interface TrackRecorder {
  /** The microphones published in the room now. */
  publishedAudioTracks(platformRoomName: string): Promise<PublishedTrack[]>;
  /** Starts recording one microphone; the answer's id is the recording's, as its events and listRecordings name it. */
  startTrackRecording(platformRoomName: string, track: PublishedTrack): Promise<{ recordingId: string }>;
  /** Stopping a track recording that has ended already is `not-active`, not an error. */
  stopTrackRecording(recordingId: string): Promise<StopRecordingResult>;
}

export interface Platform {
  readonly name: string;
  readonly recordingCapabilities: RecordingCapabilities;
  /** Present exactly when `recordingCapabilities.perSpeakerAudio` is `per-track`. */
  readonly trackRecorder?: TrackRecorder;
  /** The room modes this platform gives a meaning to; a room asking for another one is refused, not stored. */
  readonly roomModes: readonly PlatformRoomMode[];
  createRoom(input: CreateRoomInput): Promise<CreatedRoom>;
  /** Deleting a room that does not exist is not an error. */
  deleteRoom(platformRoomName: string): Promise<void>;
  createJoinToken(input: JoinTokenInput): Promise<string>;
  /** Throws CallNotHostedError while the platform does not yet see a live call in the room. */
  startRecording(platformRoomName: string, control: RecordingControl): Promise<StartRecordingResult>;
  stopRecording(platformRoomName: string, control: RecordingControl): Promise<StopRecordingResult>;
  /** Newest first. */
  listRecordings(input?: ListRecordingsInput): Promise<RecordingPage>;
  getRecording(recordingId: string): Promise<PlatformRecording | null>;
  getMeetingParticipants(meetingSessionId: string): Promise<MeetingParticipant[]>;
  /** Whether the platform has a call going on in the room now (someone is in it). */
  hasOngoingMeeting(platformRoomName: string): Promise<boolean>;
  verifyWebhook(request: WebhookRequest): WebhookVerification | Promise<WebhookVerification>;
  /** Throws WebhookPayloadError for malformed JSON or a known event that breaks its schema. */
  parseWebhook(rawBody: Buffer): ParsedWebhook;
  /** What a track key of this platform's recordings tells; null for a key it did not write. */
  describeTrack(key: string): TrackFacts | null;
  /**
   * Present where the platform keeps recordings in its own storage (100ms), not our bucket: a fresh link to one
   * file of a recording (`key` as its events and listRecordings name it), to copy it into our storage. Asked for
   * when the copy is made, whichever path found the recording: a link a webhook carried may have expired by then.
   * Null when the platform has no such file.
   */
  recordingFileLink?(file: RecordingFileRef): Promise<RecordingFileLink | null>;
}

export interface RecordingFileRef {
  platformRoomName: string;
  recordingId: string;
  key: string;
}

export interface RecordingFileLink {
  url: string;
  expiresAt: Date;
  /** The file's size, where the platform says. */
  size?: number;
}

/** The room has no live call yet (Daily needs a moment after the first join): retry shortly. */
export class CallNotHostedError extends Error {
  readonly retryable = true;
  readonly roomName: string;
  constructor(roomName: string, options?: { cause?: unknown }) {
    super(`room ${roomName} is not hosting a call yet`, options);
    this.name = 'CallNotHostedError';
    this.roomName = roomName;
  }
}

/** The platform answered a request with an error status. Adapters throw their own subclass (DailyApiError); what is
 * above the seam (activities/errors.ts) reads only these fields. */
export class PlatformApiError extends Error {
  readonly status: number;
  /** The platform's stable error type, e.g. Daily's `invalid-request-error`. */
  readonly errorType: string;
  /** The platform's own explanation. */
  readonly info: string;
  constructor(message: string, details: { status: number; errorType: string; info: string }) {
    super(message);
    this.name = 'PlatformApiError';
    this.status = details.status;
    this.errorType = details.errorType;
    this.info = details.info;
  }

  /** The request named something the platform already has (createRoom: a room of that name): try another name. */
  get nameTaken(): boolean {
    return false;
  }
}

/** A 2xx answer whose body is not what the platform documents: asking again gets the same. */
export class PlatformResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlatformResponseError';
  }
}

/** A webhook body we cannot trust: answer 4xx, never retry. */
export class WebhookPayloadError extends Error {
  readonly eventType: string | undefined;
  constructor(message: string, eventType?: string) {
    super(message);
    this.name = 'WebhookPayloadError';
    this.eventType = eventType;
  }
}

export { compositeInstanceId, speakerAudioInstanceId } from './instance-ids.ts';
