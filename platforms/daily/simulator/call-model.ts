import { randomBytes, randomUUID } from 'node:crypto';
import type { ObjectStorage } from '../../../storage/object-storage.ts';
import { isUuid } from '../../instance-ids.ts';
import type { DailyRecordingKind, DailyRecordingsBucket, DailyRoomProperties } from '../api-schemas.ts';
import { dailyRecordingKey } from '../recordings.ts';
import type { SimClock } from './clock.ts';
import type { SimFaults } from './faults.ts';
import { DailySimError, invalidRequest, notFound } from './http.ts';
import { decodeMeetingToken } from './meeting-tokens.ts';
import {
  meetingEndedEvent,
  meetingStartedEvent,
  participantEventId,
  participantPayload,
  recordingErrorEvent,
  recordingReadyEvent,
  recordingStartedEvent,
} from './payloads.ts';
import type { PlacedClip } from './media.ts';
import type { PendingWork } from './pending-work.ts';
import { maxConcurrentSessions, writeRecordingMedia } from './recording-media.ts';
import { SIMULATOR_VOICES } from './speech.ts';
import type { SpeechClip } from './speech.ts';
import type { WebhookDispatcher } from './webhooks.ts';

// The live-call model behind the simulator: rooms, the meeting (Daily's call session) running in a room,
// participant sessions with what they say, and recordings with Daily's start/stop semantics. Both the
// REST API and the daily-js-like control API drive it, so they share one set of rules.

/** Daily's own default instanceId ("reserved internally; do not use this UUID"). */
export const DAILY_DEFAULT_INSTANCE_ID = 'c3df927c-f738-4471-a2b7-066fa7e95a6b';

const RECORDING_KINDS: readonly DailyRecordingKind[] = ['cloud', 'cloud-audio-only', 'raw-tracks'];

/** Daily stops a recording after 3 hours unless the start asked for another maxDuration. */
const DEFAULT_MAX_DURATION_SECONDS = 10_800;

export interface SimRoom {
  id: string;
  name: string;
  privacy: 'public' | 'private';
  url: string;
  createdAtMs: number;
  config: DailyRoomProperties;
  meeting: SimMeeting | null;
  cancelMeetingEnd: (() => void) | null;
}

export interface SimMeeting {
  id: string;
  roomName: string;
  startedAtMs: number;
  endedAtMs: number | null;
  /** Every session of the meeting, in join order, present or gone. */
  sessions: SimSession[];
  maxParticipants: number;
}

export interface SimSession {
  sessionId: string;
  meetingId: string;
  roomName: string;
  userId: string | null;
  userName: string | null;
  owner: boolean;
  voice: string;
  joinedAtMs: number;
  leftAtMs: number | null;
  speech: PlacedClip[];
}

export interface SimTrack {
  type: 'audio' | 'video';
  s3Key: string;
  size: number;
}

export interface SimRecording {
  id: string;
  instanceId: string;
  type: DailyRecordingKind;
  roomName: string;
  meetingId: string;
  bucket: DailyRecordingsBucket;
  startedAtMs: number;
  stoppedAtMs: number | null;
  startedBy: string;
  /** in-progress until its media is in the bucket. */
  status: 'in-progress' | 'finished' | 'canceled';
  durationSeconds: number;
  maxParticipants: number;
  s3key: string;
  shareToken: string;
  tracks: SimTrack[];
  hideMeetingSession: boolean;
  /** When Daily stops it by itself (its maxDuration). */
  autoStopAtMs: number;
  cancelAutoStop: (() => void) | null;
}

export interface JoinOptions {
  userName?: string;
  userId?: string;
  owner?: boolean;
  /** espeak-ng voice for this participant's `say`; defaults to one per participant. */
  voice?: string;
  /** A meeting token; its claims override the fields above, as in Daily. */
  token?: string;
}

export interface RecordingRequest {
  type?: string;
  instanceId?: string;
  /** Seconds after which Daily stops the recording by itself. */
  maxDuration?: number;
}

export interface SimStats {
  /** Every REST call by route, e.g. `POST /rooms/:name/recordings/start`, refused ones included. */
  restCalls: Record<string, number>;
  /** REST answers by route and status. */
  restStatuses: Record<string, Record<string, number>>;
  /** Recording start requests by type, from REST and from participants, whatever the outcome. */
  recordingStartRequests: Record<string, number>;
  /** Recordings actually started by type. */
  recordingsStarted: Record<string, number>;
}

/** The model as plain data, for the simulator's state file. */
export interface CallModelSnapshot {
  rooms: Array<Omit<SimRoom, 'meeting' | 'cancelMeetingEnd'> & { meetingId: string | null }>;
  meetings: SimMeeting[];
  recordings: Array<Omit<SimRecording, 'cancelAutoStop'>>;
  stats: SimStats;
  armedErrors: Array<[string, string]>;
}

export interface CallModelOptions {
  domain: string;
  domainId: string;
  apiKey: string;
  roomUrlBase: string;
  clock: SimClock;
  storage: ObjectStorage;
  workDir: string;
  webhooks: WebhookDispatcher;
  work: PendingWork;
  faults: () => SimFaults;
  random: () => number;
  /** Daily waits (up to 20 s) for reconnections before calling a meeting ended. */
  meetingEndedDelayMs: number;
  mediaConcurrency: number;
  log: (message: string) => void;
}

export class DailyCallModel {
  readonly rooms = new Map<string, SimRoom>();
  readonly meetings = new Map<string, SimMeeting>();
  readonly sessions = new Map<string, SimSession>();
  /** In creation order. */
  readonly recordings: SimRecording[] = [];
  readonly stats: SimStats = { restCalls: {}, restStatuses: {}, recordingStartRequests: {}, recordingsStarted: {} };
  readonly #active = new Map<string, Map<string, SimRecording>>();
  readonly #armedErrors = new Map<string, string>();
  readonly #options: CallModelOptions;
  #mediaRunning = 0;
  readonly #mediaWaiting: Array<() => void> = [];

  constructor(options: CallModelOptions) {
    this.#options = options;
  }

  createRoom(input: { name?: string; privacy?: string; properties?: DailyRoomProperties }): SimRoom {
    const name = input.name ?? randomRoomName();
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(name)) throw invalidRequest(`room name ${name} contains invalid characters`);
    if (this.rooms.has(name)) throw invalidRequest(`a room named ${name} already exists`);
    if (input.privacy !== undefined && input.privacy !== 'public' && input.privacy !== 'private') {
      throw invalidRequest(`privacy must be public or private`);
    }
    validateBucket(input.properties?.recordings_bucket);
    const room: SimRoom = {
      id: randomUUID(),
      name,
      privacy: input.privacy ?? 'public',
      url: `${this.#options.roomUrlBase}/${name}`,
      createdAtMs: this.#options.clock.now(),
      config: { ...input.properties },
      meeting: null,
      cancelMeetingEnd: null,
    };
    this.rooms.set(name, room);
    return room;
  }

  room(name: string): SimRoom {
    const room = this.rooms.get(name);
    if (!room) throw notFound(`room ${name} was not found`);
    return room;
  }

  updateRoom(name: string, properties: DailyRoomProperties): SimRoom {
    const room = this.room(name);
    validateBucket(properties.recordings_bucket);
    room.config = { ...room.config, ...properties };
    return room;
  }

  /** Deleting a room ejects everyone: the meeting ends now. */
  deleteRoom(name: string): void {
    const room = this.room(name);
    if (room.meeting) this.endMeeting(name);
    this.rooms.delete(name);
  }

  join(roomName: string, options: JoinOptions): SimSession {
    const room = this.room(roomName);
    const now = this.#options.clock.now();
    const who = options.token === undefined ? options : this.#tokenIdentity(options.token, roomName, now);
    if (typeof room.config.exp === 'number' && now >= room.config.exp * 1000) {
      throw new DailySimError(403, 'forbidden-error', `room ${roomName} has expired`);
    }
    room.cancelMeetingEnd?.();
    room.cancelMeetingEnd = null;
    let meeting = room.meeting;
    if (!meeting) {
      meeting = { id: randomUUID(), roomName, startedAtMs: now, endedAtMs: null, sessions: [], maxParticipants: 0 };
      room.meeting = meeting;
      this.meetings.set(meeting.id, meeting);
      const started = meetingStartedEvent(meeting);
      this.#options.webhooks.publish('meeting.started', started.id, started.payload);
    }
    const session: SimSession = {
      sessionId: randomUUID(),
      meetingId: meeting.id,
      roomName,
      userId: who.userId ?? null,
      userName: who.userName ?? null,
      owner: who.owner ?? false,
      voice: options.voice ?? this.#voiceFor(meeting, who),
      joinedAtMs: now,
      leftAtMs: null,
      speech: [],
    };
    meeting.sessions.push(session);
    meeting.maxParticipants = Math.max(meeting.maxParticipants, presentSessions(meeting).length);
    this.sessions.set(session.sessionId, session);
    this.#options.webhooks.publish('participant.joined', participantEventId(session), participantPayload(session, room));
    return session;
  }

  session(sessionId: string): SimSession {
    const session = this.sessions.get(sessionId);
    if (!session) throw notFound(`participant session ${sessionId} was not found`);
    return session;
  }

  presentSession(sessionId: string): SimSession {
    const session = this.session(sessionId);
    if (session.leftAtMs !== null) throw invalidRequest(`participant session ${sessionId} has left the call`);
    return session;
  }

  leave(sessionId: string): void {
    const session = this.presentSession(sessionId);
    const room = this.room(session.roomName);
    const now = this.#options.clock.now();
    session.leftAtMs = now;
    this.#options.webhooks.publish('participant.left', participantEventId(session), participantPayload(session, room));
    if (presentSessions(room.meeting!).length === 0) this.#armMeetingEnd(room, now);
  }

  /** Daily ends a meeting a grace period after its last participant left (unless someone joins meanwhile). */
  #armMeetingEnd(room: SimRoom, lastLeftAtMs: number): void {
    room.cancelMeetingEnd = this.#options.clock.at(lastLeftAtMs + this.#options.meetingEndedDelayMs, () => {
      room.cancelMeetingEnd = null;
      this.#finishMeeting(room, lastLeftAtMs);
    });
  }

  #armAutoStop(recording: SimRecording): void {
    recording.cancelAutoStop = this.#options.clock.at(recording.autoStopAtMs, () => this.#stop(recording, recording.autoStopAtMs));
  }

  /** Everything the model knows, as plain data (see restore). */
  snapshot(): CallModelSnapshot {
    return {
      rooms: [...this.rooms.values()].map(({ meeting, cancelMeetingEnd: _cancel, ...room }) => ({ ...room, meetingId: meeting?.id ?? null })),
      meetings: [...this.meetings.values()],
      recordings: this.recordings.map(({ cancelAutoStop: _cancel, ...recording }) => recording),
      stats: this.stats,
      armedErrors: [...this.#armedErrors],
    };
  }

  /**
   * Takes up a snapshot where it was left (a simulator started again on its state file): the rooms, meetings
   * and people in them, recordings running or being written. Timers are set again for what was pending — a
   * meeting's end after its last participant left, a recording's maximum duration — and media whose writing was
   * cut short is written now. The time in between passed for the meeting as it does for a real platform.
   */
  restore(snapshot: CallModelSnapshot): void {
    for (const meeting of snapshot.meetings) {
      this.meetings.set(meeting.id, meeting);
      for (const session of meeting.sessions) this.sessions.set(session.sessionId, session);
    }
    for (const { meetingId, ...saved } of snapshot.rooms) {
      const room: SimRoom = { ...saved, meeting: meetingId ? (this.meetings.get(meetingId) ?? null) : null, cancelMeetingEnd: null };
      this.rooms.set(room.name, room);
      if (room.meeting && presentSessions(room.meeting).length === 0) {
        this.#armMeetingEnd(room, Math.max(room.meeting.startedAtMs, ...room.meeting.sessions.map((s) => s.leftAtMs ?? 0)));
      }
    }
    for (const saved of snapshot.recordings) {
      const recording: SimRecording = { ...saved, autoStopAtMs: saved.autoStopAtMs ?? saved.startedAtMs + DEFAULT_MAX_DURATION_SECONDS * 1000, cancelAutoStop: null };
      this.recordings.push(recording);
      if (recording.status !== 'in-progress') continue;
      if (recording.stoppedAtMs === null) {
        this.#activeIn(recording.roomName).set(recording.instanceId, recording);
        this.#armAutoStop(recording);
      } else {
        void this.#options.work.track(this.#finalize(recording, this.meetings.get(recording.meetingId)!));
      }
    }
    Object.assign(this.stats, snapshot.stats);
    for (const [instanceId, message] of snapshot.armedErrors) this.#armedErrors.set(instanceId, message);
  }

  /** Everyone leaves now and the meeting ends without the reconnection grace. */
  endMeeting(roomName: string): void {
    const room = this.room(roomName);
    if (!room.meeting) return;
    for (const session of presentSessions(room.meeting)) this.leave(session.sessionId);
    room.cancelMeetingEnd?.();
    room.cancelMeetingEnd = null;
    this.#finishMeeting(room, this.#options.clock.now());
  }

  /** `atMs` defaults to now; a caller that synthesized the speech first passes the instant it was asked for. */
  say(sessionId: string, clip: SpeechClip, atMs = this.#options.clock.now()): PlacedClip {
    const session = this.presentSession(sessionId);
    const placed = { ...clip, atMs };
    session.speech.push(placed);
    return placed;
  }

  /** POST /rooms/:name/recordings/start, or daily-js startRecording() when `startedBy` is a session. */
  startRecording(roomName: string, request: RecordingRequest, startedBy?: string): void {
    const type = request.type ?? 'cloud';
    countUp(this.stats.recordingStartRequests, type);
    const room = this.room(roomName);
    if (!RECORDING_KINDS.includes(type as DailyRecordingKind)) throw invalidRequest(`type must be one of ${RECORDING_KINDS.join(', ')}`);
    const instanceId = request.instanceId ?? DAILY_DEFAULT_INSTANCE_ID;
    if (!isUuid(instanceId)) throw invalidRequest('instanceId must be a valid UUID');
    const meeting = room.meeting;
    const present = meeting ? presentSessions(meeting) : [];
    if (!meeting || present.length === 0) throw notFound(`${roomName} does not seem to be hosting a call currently`);
    const bucket = room.config.recordings_bucket;
    if (type === 'raw-tracks' && !bucket) {
      throw invalidRequest('to start a raw-tracks recording, you must be using a custom recordings_bucket');
    }
    const active = this.#activeIn(roomName);
    if (active.has(instanceId)) throw invalidRequest(`recording instance ${instanceId} has an active stream`);
    const now = this.#options.clock.now();
    const armed = this.#armedErrors.get(instanceId);
    if (armed !== undefined) {
      this.#armedErrors.delete(instanceId);
      const error = recordingErrorEvent(instanceId, roomName, armed, now);
      this.#options.webhooks.publish('recording.error', error.id, error.payload);
      return;
    }
    const recording: SimRecording = {
      id: randomUUID(),
      instanceId,
      type: type as DailyRecordingKind,
      roomName,
      meetingId: meeting.id,
      bucket: bucket ?? { bucket_name: this.#options.storage.bucket, bucket_region: 'daily-managed' },
      startedAtMs: now,
      stoppedAtMs: null,
      startedBy: startedBy ?? present[0]!.sessionId,
      status: 'in-progress',
      durationSeconds: 0,
      maxParticipants: present.length,
      s3key: dailyRecordingKey(this.#options.domain, roomName, now),
      shareToken: randomBytes(9).toString('base64url'),
      tracks: [],
      hideMeetingSession: this.#options.random() < (this.#options.faults().recordingsWithoutMeetingSession ?? 0),
      autoStopAtMs: now + (request.maxDuration ?? DEFAULT_MAX_DURATION_SECONDS) * 1000,
      cancelAutoStop: null,
    };
    this.#armAutoStop(recording);
    active.set(instanceId, recording);
    this.recordings.push(recording);
    countUp(this.stats.recordingsStarted, type);
    const started = recordingStartedEvent(recording);
    this.#options.webhooks.publish('recording.started', started.id, started.payload);
  }

  /** POST /rooms/:name/recordings/stop, or daily-js stopRecording(). */
  stopRecording(roomName: string, request: RecordingRequest): void {
    this.room(roomName);
    const active = [...this.#activeIn(roomName).values()];
    const recording =
      request.instanceId !== undefined
        ? active.find((r) => r.instanceId === request.instanceId)
        : onlyOne(active.filter((r) => r.type === (request.type ?? 'cloud')));
    if (!recording) throw invalidRequest(`no active recording to stop in ${roomName}${request.instanceId ? ` for instance ${request.instanceId}` : ''}`);
    if (recording.type === 'raw-tracks' && request.type !== 'raw-tracks') {
      throw invalidRequest("a raw-tracks recording must be stopped with type 'raw-tracks'");
    }
    this.#stop(recording, this.#options.clock.now());
  }

  /** Fails the instance's recording now if it runs, else its next start. */
  failRecording(instanceId: string, message: string): void {
    for (const active of this.#active.values()) {
      const recording = active.get(instanceId);
      if (!recording) continue;
      active.delete(instanceId);
      recording.cancelAutoStop?.();
      const now = this.#options.clock.now();
      recording.stoppedAtMs = now;
      recording.status = 'canceled';
      const error = recordingErrorEvent(instanceId, recording.roomName, message, now);
      this.#options.webhooks.publish('recording.error', error.id, error.payload);
      return;
    }
    this.#armedErrors.set(instanceId, message);
  }

  activeRecordings(roomName: string): SimRecording[] {
    return [...this.#activeIn(roomName).values()];
  }

  #finishMeeting(room: SimRoom, endedAtMs: number): void {
    const meeting = room.meeting;
    if (!meeting) return;
    for (const recording of this.#activeIn(room.name).values()) this.#stop(recording, endedAtMs);
    meeting.endedAtMs = endedAtMs;
    room.meeting = null;
    const ended = meetingEndedEvent(meeting, endedAtMs);
    this.#options.webhooks.publish('meeting.ended', ended.id, ended.payload);
  }

  #stop(recording: SimRecording, stoppedAtMs: number): void {
    recording.cancelAutoStop?.();
    recording.cancelAutoStop = null;
    this.#activeIn(recording.roomName).delete(recording.instanceId);
    recording.stoppedAtMs = stoppedAtMs;
    recording.durationSeconds = Math.round((stoppedAtMs - recording.startedAtMs) / 1000);
    const meeting = this.meetings.get(recording.meetingId)!;
    recording.maxParticipants = maxConcurrentSessions(meeting, { fromMs: recording.startedAtMs, toMs: stoppedAtMs });
    void this.#options.work.track(this.#finalize(recording, meeting));
  }

  async #finalize(recording: SimRecording, meeting: SimMeeting): Promise<void> {
    await this.#mediaSlot();
    try {
      recording.tracks = await writeRecordingMedia(recording, meeting, this.#options.storage, this.#options.workDir);
      recording.status = 'finished';
      // Daily sends ready-to-download only for a non-zero duration.
      if (recording.durationSeconds > 0) {
        const ready = recordingReadyEvent(recording, this.#options.clock.now());
        this.#options.webhooks.publish('recording.ready-to-download', ready.id, ready.payload);
      }
    } catch (error) {
      recording.status = 'canceled';
      this.#options.log(`recording ${recording.id} media failed: ${(error as Error).message}`);
      const failed = recordingErrorEvent(recording.instanceId, recording.roomName, 'upload failed', this.#options.clock.now());
      this.#options.webhooks.publish('recording.error', failed.id, failed.payload);
    } finally {
      this.#mediaRunning -= 1;
      this.#mediaWaiting.shift()?.();
    }
  }

  async #mediaSlot(): Promise<void> {
    if (this.#mediaRunning >= this.#options.mediaConcurrency) {
      await new Promise<void>((resolve) => this.#mediaWaiting.push(resolve));
    }
    this.#mediaRunning += 1;
  }

  #activeIn(roomName: string): Map<string, SimRecording> {
    let active = this.#active.get(roomName);
    if (!active) {
      active = new Map();
      this.#active.set(roomName, active);
    }
    return active;
  }

  #tokenIdentity(token: string, roomName: string, nowMs: number): JoinOptions {
    const claims = decodeMeetingToken(token, this.#options.apiKey);
    if (!claims) throw new DailySimError(401, 'authentication-error', 'meeting token is invalid');
    if (claims.r !== undefined && claims.r !== roomName) {
      throw new DailySimError(403, 'forbidden-error', `meeting token is for room ${claims.r}, not ${roomName}`);
    }
    if (claims.exp !== undefined && nowMs >= claims.exp * 1000) {
      throw new DailySimError(403, 'forbidden-error', 'meeting token has expired');
    }
    return {
      ...(claims.u !== undefined && { userName: claims.u }),
      ...(claims.ud !== undefined && { userId: claims.ud }),
      owner: claims.o === true,
    };
  }

  /** A rejoining user keeps their voice; a new one gets the next voice. */
  #voiceFor(meeting: SimMeeting, who: JoinOptions): string {
    const earlier = meeting.sessions.find(
      (s) => (who.userId !== undefined && s.userId === who.userId) || (who.userName !== undefined && s.userName === who.userName),
    );
    if (earlier) return earlier.voice;
    const distinctVoices = new Set(meeting.sessions.map((s) => s.voice)).size;
    return SIMULATOR_VOICES[distinctVoices % SIMULATOR_VOICES.length]!;
  }
}

export function presentSessions(meeting: SimMeeting): SimSession[] {
  return meeting.sessions.filter((s) => s.leftAtMs === null);
}

function onlyOne<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

function countUp(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function validateBucket(bucket: DailyRecordingsBucket | undefined): void {
  if (bucket === undefined) return;
  if (typeof bucket.bucket_name !== 'string' || typeof bucket.bucket_region !== 'string') {
    throw invalidRequest('recordings_bucket needs bucket_name and bucket_region');
  }
}

function randomRoomName(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(20), (byte) => alphabet[byte % alphabet.length]).join('');
}
