import { randomBytes } from 'node:crypto';
import type { SimClock } from '../../daily/simulator/clock.ts';
import { writeAudioTrack, writeCloudRecording } from '../../daily/simulator/media.ts';
import type { PlacedClip } from '../../daily/simulator/media.ts';
import type { PendingWork } from '../../daily/simulator/pending-work.ts';
import { SIMULATOR_VOICES } from '../../daily/simulator/speech.ts';
import type { SpeechClip } from '../../daily/simulator/speech.ts';
import type { LocalFolderStorage } from '../../../storage/local-folder.ts';
import { HmsSimError, badRequest, notFound } from './auth.ts';
import type { HmsWebhookNotifier } from './webhooks.ts';

// 100ms's rooms, sessions, peers and recordings (HMS-DOCS server-side/v2):
// - a room is long-lived (POST /v2/rooms creates it, or returns and updates the one of that name); it is never
//   deleted, only disabled (`enabled: false`), and a disabled room cannot be joined;
// - a session is one meeting in a room: it opens with the first peer (session.open.success) and closes when
//   the last one leaves (session.close.success); each join is a new peer id (peer.join.success /
//   peer.leave.success);
// - a recording started through the API is a browser (beam) composite of the session: the given `meeting_url`,
//   or the template's own composite page (where the template has none, `meeting_url` is required). It needs a
//   running session (404 without peers); a second start while one is starting or running is 409. Its status
//   goes starting → running → stopping → completed (or failed), with beam.started.success, beam.stopped.success,
//   beam.recording.success, beam.failure; the session closing stops it;
// - where the template enables SFU recording, each session is recorded whole without being asked: its
//   recording.success (or recording.failed) comes after the session closes;
// - where the template enables track recording, each peer's microphone is recorded from their join to their
//   leave (track.recording.started.success, track.recording.success).
// Files go to the simulator's own storage (100ms's bucket) and are reached through presigned links that expire.

export interface HmsTemplate {
  id: string;
  name: string;
  /** The template's composite page, which a beam records when the start names no meeting_url. Default true. */
  compositeRecording: boolean;
  /** Every session recorded whole by the SFU (recording.success). Default false. */
  sfuRecording: boolean;
  /** Per-peer microphone recording. Default false. */
  trackRecording: boolean;
}

export interface SimRoom {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  templateId: string;
  region: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface SimPeer {
  id: string;
  roomId: string;
  sessionId: string;
  name: string;
  userId: string;
  role: string;
  metadata: string;
  voice: string;
  /** The peer's microphone. */
  trackId: string;
  joinedAtMs: number;
  leftAtMs: number | null;
  speech: PlacedClip[];
}

export interface SimSession {
  id: string;
  roomId: string;
  startedAtMs: number;
  endedAtMs: number | null;
  peers: SimPeer[];
}

export type RecordingStatus = 'starting' | 'running' | 'stopping' | 'completed' | 'failed';

export interface SimAsset {
  id: string;
  type: 'room-composite' | 'track';
  key: string;
  size: number;
  durationSeconds: number;
  createdAtMs: number;
  peerId: string | null;
  trackId: string | null;
}

export interface SimRecording {
  id: string;
  /** The beam job's own id (browser recordings only). */
  beamId: string | null;
  roomId: string;
  sessionId: string;
  status: RecordingStatus;
  meetingUrl: string;
  createdAtMs: number;
  startedAtMs: number | null;
  stoppedAtMs: number | null;
  updatedAtMs: number;
  startedBy: string;
  stoppedBy: string;
  error: { type: string; message: string } | null;
  assets: SimAsset[];
  cancelTimers: Array<() => void>;
}

export interface RoomModelOptions {
  clock: SimClock;
  webhooks: HmsWebhookNotifier;
  work: PendingWork;
  storage: LocalFolderStorage;
  /** The bucket 100ms says the files are in (recording_path's `s3://<bucket>/…`). */
  bucketName: string;
  workDir: string;
  templates: HmsTemplate[];
  /** How long a recording stays `starting`. */
  recordingStartupMs: number;
  /** How long the presigned links in webhooks and REST answers work. */
  presignedUrlTtlSeconds: () => number;
  log: (message: string) => void;
}

/** 100ms allows letters, digits, "-", ".", ":" and "_" in a room name; the 80-character cap is UNCONFIRMED. */
const ROOM_NAME = /^[a-zA-Z0-9\-._:]{1,80}$/;

/** A 100ms id: 24 hex digits. */
export const hmsId = () => randomBytes(12).toString('hex');
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class RoomModel {
  readonly rooms = new Map<string, SimRoom>();
  readonly sessions = new Map<string, SimSession>();
  readonly peers = new Map<string, SimPeer>();
  /** In start order. */
  readonly recordings: SimRecording[] = [];
  readonly #options: RoomModelOptions;

  constructor(options: RoomModelOptions) {
    this.#options = options;
  }

  get templates(): HmsTemplate[] {
    return [...this.#options.templates];
  }

  template(id?: string): HmsTemplate {
    const template = id === undefined ? this.#options.templates[0] : this.#options.templates.find((t) => t.id === id);
    if (!template) throw notFound(`template ${String(id)} not found`);
    return template;
  }

  /** POST /v2/rooms: a new room, or the one of that name with the given fields updated. */
  createRoom(input: { name?: string; description?: string; templateId?: string; region?: string }): SimRoom {
    const name = input.name ?? `room-${hmsId().slice(0, 8)}`;
    if (!ROOM_NAME.test(name)) throw badRequest('name: only alphanumeric characters, "-", ".", ":" and "_" are allowed, at most 80');
    const template = this.template(input.templateId);
    const now = this.#options.clock.now();
    const existing = [...this.rooms.values()].find((r) => r.name === name);
    if (existing) {
      if (input.description !== undefined) existing.description = input.description;
      if (input.templateId !== undefined) existing.templateId = template.id;
      existing.updatedAtMs = now;
      return existing;
    }
    const room: SimRoom = { id: hmsId(), name, description: input.description ?? '', enabled: true, templateId: template.id, region: input.region ?? 'in', createdAtMs: now, updatedAtMs: now };
    this.rooms.set(room.id, room);
    return room;
  }

  room(id: string): SimRoom {
    const room = this.rooms.get(id);
    if (!room) throw notFound('room not found');
    return room;
  }

  /** POST /v2/rooms/<id> {enabled: false}: nobody can join; a running session is ended. */
  setEnabled(id: string, enabled: boolean): SimRoom {
    const room = this.room(id);
    room.enabled = enabled;
    room.updatedAtMs = this.#options.clock.now();
    const session = this.activeSession(id);
    if (!enabled && session) for (const peer of present(session)) this.leave(peer.id, 'room_disabled');
    return room;
  }

  activeSession(roomId: string): SimSession | undefined {
    return [...this.sessions.values()].find((s) => s.roomId === roomId && s.endedAtMs === null);
  }

  join(roomId: string, who: { name: string; userId?: string; role: string; metadata?: string; voice?: string }): SimPeer {
    const room = this.room(roomId);
    if (!room.enabled) throw new HmsSimError(403, 'room is disabled');
    const now = this.#options.clock.now();
    const template = this.template(room.templateId);
    let session = this.activeSession(roomId);
    if (!session) {
      session = { id: hmsId(), roomId, startedAtMs: now, endedAtMs: null, peers: [] };
      this.sessions.set(session.id, session);
      this.#notify(room, 'session.open.success', { room_id: room.id, room_name: room.name, session_id: session.id, session_started_at: iso(now) });
      if (template.sfuRecording) this.recordings.push(this.#newRecording(room.id, session.id, { beam: false, meetingUrl: '', startedBy: 'template', startedAtMs: now }));
    }
    const userId = who.userId ?? hmsId();
    const earlier = [...this.peers.values()].find((p) => p.roomId === roomId && p.userId === userId);
    const peer: SimPeer = {
      id: randomPeerId(),
      roomId,
      sessionId: session.id,
      name: who.name,
      userId,
      role: who.role,
      metadata: who.metadata ?? '',
      voice: who.voice ?? earlier?.voice ?? SIMULATOR_VOICES[new Set(session.peers.map((p) => p.userId)).size % SIMULATOR_VOICES.length]!,
      trackId: randomPeerId(),
      joinedAtMs: now,
      leftAtMs: null,
      speech: [],
    };
    session.peers.push(peer);
    this.peers.set(peer.id, peer);
    this.#notify(room, 'peer.join.success', { ...this.#peerData(room, peer), joined_at: iso(now) });
    if (template.trackRecording) {
      this.#notify(room, 'track.recording.started.success', { ...this.#trackData(room, peer), started_at: iso(now) });
    }
    return peer;
  }

  presentPeer(peerId: string): SimPeer {
    const peer = this.peers.get(peerId);
    if (!peer) throw notFound('peer not found');
    if (peer.leftAtMs !== null) throw badRequest(`peer ${peerId} has left the room`);
    return peer;
  }

  say(peerId: string, clip: SpeechClip, atMs: number): PlacedClip {
    const placed = { ...clip, atMs };
    this.presentPeer(peerId).speech.push(placed);
    return placed;
  }

  leave(peerId: string, reason = 'client_request'): void {
    const peer = this.presentPeer(peerId);
    const room = this.room(peer.roomId);
    const session = this.sessions.get(peer.sessionId)!;
    const now = this.#options.clock.now();
    peer.leftAtMs = now;
    this.#notify(room, 'peer.leave.success', {
      ...this.#peerData(room, peer),
      joined_at: iso(peer.joinedAtMs),
      left_at: iso(now),
      duration: Math.round((now - peer.joinedAtMs) / 1000),
      reason,
    });
    if (this.template(room.templateId).trackRecording) void this.#options.work.track(this.#finishTrack(room, peer));
    if (present(session).length === 0) this.#closeSession(room, session);
  }

  /** POST /v2/recordings/room/<room_id>/start. */
  startRecording(roomId: string, input: { meetingUrl?: string; startedBy: string }): SimRecording {
    const room = this.room(roomId);
    const template = this.template(room.templateId);
    if (!input.meetingUrl && !template.compositeRecording) throw badRequest('meeting_url is required: composite recording is not enabled for this template');
    const session = this.activeSession(roomId);
    if (!session) throw notFound('room is not active: no peers are in the room');
    if (this.recordings.some((r) => r.roomId === roomId && r.beamId !== null && (r.status === 'starting' || r.status === 'running'))) {
      throw new HmsSimError(409, 'a recording is already running for this room');
    }
    const now = this.#options.clock.now();
    const recording = this.#newRecording(roomId, session.id, { beam: true, meetingUrl: input.meetingUrl ?? '', startedBy: input.startedBy, startedAtMs: null });
    this.recordings.push(recording);
    recording.cancelTimers.push(
      this.#options.clock.at(now + this.#options.recordingStartupMs, () => {
        if (recording.status !== 'starting') return;
        recording.status = 'running';
        recording.startedAtMs = this.#options.clock.now();
        recording.updatedAtMs = recording.startedAtMs;
        if (recording.beamId) this.#notify(room, 'beam.started.success', { ...this.#beamData(room, recording), started_at: iso(recording.startedAtMs) });
      }),
    );
    return recording;
  }

  recording(id: string): SimRecording {
    const recording = this.recordings.find((r) => r.id === id);
    if (!recording) throw notFound('recording not found');
    return recording;
  }

  #newRecording(roomId: string, sessionId: string, input: { beam: boolean; meetingUrl: string; startedBy: string; startedAtMs: number | null }): SimRecording {
    const now = this.#options.clock.now();
    return {
      id: hmsId(),
      beamId: input.beam ? hmsId() : null,
      roomId,
      sessionId,
      status: input.startedAtMs === null ? 'starting' : 'running',
      meetingUrl: input.meetingUrl,
      createdAtMs: now,
      startedAtMs: input.startedAtMs,
      stoppedAtMs: null,
      updatedAtMs: now,
      startedBy: input.startedBy,
      stoppedBy: '',
      error: null,
      assets: [],
      cancelTimers: [],
    };
  }

  /** POST /v2/recordings/room/<room_id>/stop: the room's beam recordings that are starting or running. */
  stopRoomRecordings(roomId: string, stoppedBy: string): SimRecording[] {
    this.room(roomId);
    const active = this.recordings.filter((r) => r.roomId === roomId && r.beamId !== null && (r.status === 'starting' || r.status === 'running'));
    if (active.length === 0) throw notFound('no active recording found for this room');
    for (const recording of active) this.#stop(recording, stoppedBy);
    return active;
  }

  /** POST /v2/recordings/<id>/stop. */
  stopRecording(id: string, stoppedBy: string): SimRecording {
    const recording = this.recording(id);
    if (recording.beamId === null) throw badRequest('an SFU recording ends with its session');
    if (recording.status !== 'starting' && recording.status !== 'running') throw badRequest(`recording is ${recording.status}, not running`);
    this.#stop(recording, stoppedBy);
    return recording;
  }

  /** A fault: the recording fails now. */
  failRecording(id: string, message = 'simulated recording failure'): void {
    const recording = this.recording(id);
    if (recording.status === 'completed' || recording.status === 'failed') throw badRequest(`recording is ${recording.status}`);
    this.#fail(recording, message);
  }

  #stop(recording: SimRecording, stoppedBy: string): void {
    for (const cancel of recording.cancelTimers.splice(0)) cancel();
    const now = this.#options.clock.now();
    recording.stoppedBy = stoppedBy;
    recording.stoppedAtMs = now;
    recording.updatedAtMs = now;
    if (recording.startedAtMs === null) {
      // Stopped before it ran: nothing was recorded.
      this.#fail(recording, 'recording was stopped before it started');
      return;
    }
    recording.status = 'stopping';
    if (recording.beamId) {
      const room = this.room(recording.roomId);
      this.#notify(room, 'beam.stopped.success', { ...this.#beamData(room, recording), stopped_at: iso(now), duration: durationOf(recording) });
    }
    void this.#options.work.track(this.#finishComposite(recording));
  }

  #fail(recording: SimRecording, message: string): void {
    for (const cancel of recording.cancelTimers.splice(0)) cancel();
    const room = this.room(recording.roomId);
    const now = this.#options.clock.now();
    recording.status = 'failed';
    recording.stoppedAtMs ??= now;
    recording.updatedAtMs = now;
    const session = this.sessions.get(recording.sessionId)!;
    recording.error = { type: 'INTERNAL_ERROR', message };
    if (recording.beamId) {
      this.#notify(room, 'beam.failure', {
        ...this.#beamData(room, recording),
        error_type: 'INTERNAL_ERROR',
        error_message: message,
        error_code: 500,
        job_id: recording.beamId,
        duration: durationOf(recording),
      });
    } else {
      this.#notify(room, 'recording.failed', { error: message, error_type: 'INTERNAL_ERROR', ...this.#sfuData(room, session) });
    }
  }

  async #finishComposite(recording: SimRecording): Promise<void> {
    const room = this.room(recording.roomId);
    const session = this.sessions.get(recording.sessionId)!;
    const span = { fromMs: recording.startedAtMs!, toMs: recording.stoppedAtMs! };
    const key = `${recording.beamId ? 'beam' : 'sfu'}/${room.id}/${new Date(span.fromMs).toISOString().slice(0, 10).replaceAll('-', '')}/Rec-${room.id}-${Math.round(span.fromMs)}.mp4`;
    let size: number;
    try {
      size = await writeCloudRecording(this.#options.storage, this.#options.workDir, { key, span, clips: session.peers.flatMap((p) => p.speech) });
    } catch (error) {
      this.#options.log(`recording ${recording.id}: ${(error as Error).message}`);
      this.#fail(recording, `UPLOAD_ERROR: ${(error as Error).message}`);
      return;
    }
    if (recording.status !== 'stopping') return; // failed meanwhile (a fault)
    const now = this.#options.clock.now();
    const asset: SimAsset = { id: hmsId(), type: 'room-composite', key, size, durationSeconds: Math.round((span.toMs - span.fromMs) / 1000), createdAtMs: now, peerId: null, trackId: null };
    recording.assets.push(asset);
    recording.status = 'completed';
    recording.updatedAtMs = now;
    const presignedUrl = await this.presignedUrl(key);
    const file = { recording_path: this.recordingPath(key), recording_presigned_url: presignedUrl, chat_recording_path: '', chat_recording_presigned_url: '', size, duration: asset.durationSeconds };
    if (recording.beamId) {
      this.#notify(room, 'beam.recording.success', {
        ...this.#beamData(room, recording),
        ...file,
        peer_id: '',
        metadata_id: '',
        metadata_timestamp: iso(now),
        template_id: room.templateId,
        created_at: iso(recording.createdAtMs),
        started_at: iso(span.fromMs),
        stopped_at: iso(span.toMs),
        location: presignedUrl,
        max_width: 1280,
        max_height: 720,
        recording_id: recording.id,
        rtmp: [],
        session_started_at: iso(session.startedAtMs),
      });
    } else {
      this.#notify(room, 'recording.success', { ...file, ...this.#sfuData(room, session), location: presignedUrl, URL: presignedUrl });
    }
  }

  /** The peer's microphone from join to leave, WebM/Opus, when the template records tracks. */
  async #finishTrack(room: SimRoom, peer: SimPeer): Promise<void> {
    const span = { fromMs: peer.joinedAtMs, toMs: peer.leftAtMs! };
    const key = `track-recordings/${room.id}/${peer.sessionId}/${peer.id}/${peer.trackId}-${Math.round(span.fromMs)}.webm`;
    let size: number;
    try {
      size = await writeAudioTrack(this.#options.storage, this.#options.workDir, { key, span, streamOffsetMs: 0, clips: peer.speech });
    } catch (error) {
      this.#options.log(`track recording of ${peer.id}: ${(error as Error).message}`);
      this.#notify(room, 'track.recording.failure', { ...this.#trackData(room, peer), error: (error as Error).message });
      return;
    }
    const durationSeconds = Math.round((span.toMs - span.fromMs) / 1000);
    const session = this.sessions.get(peer.sessionId)!;
    // The session's track recordings are assets of no API-started recording: list them as the session's own.
    const holder = this.recordings.find((r) => r.sessionId === session.id && r.status !== 'failed') ?? null;
    holder?.assets.push({ id: hmsId(), type: 'track', key, size, durationSeconds, createdAtMs: this.#options.clock.now(), peerId: peer.id, trackId: peer.trackId });
    this.#notify(room, 'track.recording.success', {
      ...this.#trackData(room, peer),
      started_at: iso(span.fromMs),
      stopped_at: iso(span.toMs),
      duration: durationSeconds,
      size,
      recording_path: this.recordingPath(key),
      recording_presigned_url: await this.presignedUrl(key),
    });
  }

  #closeSession(room: SimRoom, session: SimSession): void {
    const now = this.#options.clock.now();
    session.endedAtMs = now;
    for (const recording of this.recordings) {
      if (recording.sessionId === session.id && (recording.status === 'starting' || recording.status === 'running')) this.#stop(recording, 'session-closed');
    }
    this.#notify(room, 'session.close.success', {
      room_id: room.id,
      room_name: room.name,
      session_id: session.id,
      session_started_at: iso(session.startedAtMs),
      session_stopped_at: iso(now),
      session_duration: Math.round((now - session.startedAtMs) / 1000),
    });
  }

  recordingPath(key: string): string {
    return `s3://${this.#options.bucketName}/${key}`;
  }

  presignedUrlTtlSeconds(): number {
    return this.#options.presignedUrlTtlSeconds();
  }

  presignedUrl(key: string): Promise<string> {
    return this.#options.storage.signedGetUrl(key, { expiresInSeconds: this.#options.presignedUrlTtlSeconds() });
  }

  #notify(room: SimRoom, type: string, data: Record<string, unknown>): void {
    this.#options.webhooks.notify(type, room.templateId, data);
  }

  #peerData(room: SimRoom, peer: SimPeer): Record<string, unknown> {
    return { room_id: room.id, room_name: room.name, session_id: peer.sessionId, peer_id: peer.id, user_id: peer.userId, user_name: peer.name, role: peer.role, metadata: peer.metadata };
  }

  #trackData(room: SimRoom, peer: SimPeer): Record<string, unknown> {
    return { room_id: room.id, room_name: room.name, session_id: peer.sessionId, peer_id: peer.id, user_id: peer.userId, track_id: peer.trackId, track_type: 'audio', template_id: room.templateId };
  }

  #sfuData(room: SimRoom, session: SimSession): Record<string, unknown> {
    return {
      room_id: room.id,
      room_name: room.name,
      session_id: session.id,
      template_id: room.templateId,
      session_started_at: iso(session.startedAtMs),
      session_stopped_at: iso(session.endedAtMs),
    };
  }

  /** `recording_id` is documented for beam.recording.success; that beam.started.success and beam.failure carry it
   * too is UNCONFIRMED (the REST start's answer has the same id). */
  #beamData(room: SimRoom, recording: SimRecording): Record<string, unknown> {
    return { beam_id: recording.beamId, recording_id: recording.id, room_id: room.id, room_name: room.name, session_id: recording.sessionId, meeting_url: recording.meetingUrl };
  }
}

export function present(session: SimSession): SimPeer[] {
  return session.peers.filter((p) => p.leftAtMs === null);
}

function durationOf(recording: SimRecording): number {
  return recording.startedAtMs === null || recording.stoppedAtMs === null ? 0 : Math.round((recording.stoppedAtMs - recording.startedAtMs) / 1000);
}

/** Peer and track ids are UUIDs in 100ms's webhooks. */
function randomPeerId(): string {
  return crypto.randomUUID();
}
