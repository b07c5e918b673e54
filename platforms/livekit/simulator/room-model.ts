import { DisconnectReason, ParticipantInfo, ParticipantInfo_State, ParticipantPermission, Room, TrackInfo, TrackSource, TrackType } from '@livekit/protocol';
import type { SimClock } from '../../daily/simulator/clock.ts';
import type { PlacedClip } from '../../daily/simulator/media.ts';
import { SIMULATOR_VOICES } from '../../daily/simulator/speech.ts';
import type { SpeechClip } from '../../daily/simulator/speech.ts';
import { TwirpError, participantNotFound, roomNotFound, trackNotFound } from './twirp.ts';
import { randomBase62 } from './webhooks.ts';
import type { WebhookNotifier } from './webhooks.ts';

// Rooms, participants and their published tracks, with LiveKit's lifecycle (livekit-server pkg/rtc and
// pkg/telemetry): a room starts when created through the API or when someone joins it (room_started); a
// participant's joined is sent once they are active; a track is published and unpublished
// (track_published / track_unpublished carry a minimal participant: sid and identity); leaving sends
// participant_left with the participant DISCONNECTED and its reason. A room nobody joined closes after its
// empty_timeout, one everybody left after its departure_timeout (room_finished). Joining with an identity
// that is present replaces that participant (DUPLICATE_IDENTITY): a reconnection is a new participant sid.

export interface SimTrack {
  sid: string;
  participantSid: string;
  identity: string;
  name: string;
  muted: boolean;
  publishedAtMs: number;
  unpublishedAtMs: number | null;
  speech: PlacedClip[];
}

export interface SimParticipant {
  sid: string;
  identity: string;
  name: string;
  metadata: string;
  roomName: string;
  voice: string;
  joinedAtMs: number;
  leftAtMs: number | null;
  disconnectReason: DisconnectReason;
  tracks: SimTrack[];
}

export interface SimRoom {
  sid: string;
  name: string;
  emptyTimeoutSeconds: number;
  departureTimeoutSeconds: number;
  maxParticipants: number;
  metadata: string;
  createdAtMs: number;
  /** Everyone who was in this room session, in join order, present or gone. */
  participants: SimParticipant[];
  cancelClose: (() => void) | null;
}

export interface JoinOptions {
  identity: string;
  name?: string;
  metadata?: string;
  /** espeak-ng voice for `say`; a returning identity keeps theirs, others get the next distinct one. */
  voice?: string;
}

export interface RoomModelHooks {
  /** Called as a track goes away (its track egress ends). */
  trackUnpublished(track: SimTrack, room: SimRoom): void;
  /** Called as a room finishes (its egresses end). */
  roomFinished(room: SimRoom): void;
  /** Whether an egress is recording the room (Room.active_recording). */
  recording(roomName: string): boolean;
}

export interface RoomModelOptions {
  clock: SimClock;
  webhooks: WebhookNotifier;
  /** LiveKit's defaults: 300 s for a room nobody joined, 20 s after the last one left. */
  defaultEmptyTimeoutSeconds: number;
  defaultDepartureTimeoutSeconds: number;
}

const ROOM_NAME_MAX = 256;

export class RoomModel {
  readonly rooms = new Map<string, SimRoom>();
  readonly participants = new Map<string, SimParticipant>();
  readonly tracks = new Map<string, SimTrack>();
  readonly #options: RoomModelOptions;
  #hooks: RoomModelHooks | null = null;

  constructor(options: RoomModelOptions) {
    this.#options = options;
  }

  setHooks(hooks: RoomModelHooks): void {
    this.#hooks = hooks;
  }

  /** CreateRoom: an existing room is returned as it is (LiveKit's create is idempotent). */
  createRoom(input: { name: string; emptyTimeout?: number; departureTimeout?: number; maxParticipants?: number; metadata?: string }): SimRoom {
    if (input.name === '') throw new TwirpError('invalid_argument', 'no room name');
    if (input.name.length > ROOM_NAME_MAX) throw new TwirpError('invalid_argument', `room name length exceeds limits: max length ${ROOM_NAME_MAX}`);
    const existing = this.rooms.get(input.name);
    if (existing) return existing;
    const now = this.#options.clock.now();
    const room: SimRoom = {
      sid: `RM_${randomBase62(12)}`,
      name: input.name,
      emptyTimeoutSeconds: input.emptyTimeout || this.#options.defaultEmptyTimeoutSeconds,
      departureTimeoutSeconds: input.departureTimeout || this.#options.defaultDepartureTimeoutSeconds,
      maxParticipants: input.maxParticipants ?? 0,
      metadata: input.metadata ?? '',
      createdAtMs: now,
      participants: [],
      cancelClose: null,
    };
    this.rooms.set(room.name, room);
    this.#scheduleClose(room, room.emptyTimeoutSeconds);
    this.#options.webhooks.notify({ event: 'room_started', room: this.roomInfo(room) });
    return room;
  }

  room(name: string): SimRoom {
    const room = this.rooms.get(name);
    if (!room) throw roomNotFound();
    return room;
  }

  updateMetadata(name: string, metadata: string): SimRoom {
    const room = this.room(name);
    room.metadata = metadata;
    return room;
  }

  /** DeleteRoom: everyone is disconnected (ROOM_DELETED) and the room finishes now. */
  deleteRoom(name: string): void {
    const room = this.room(name);
    for (const participant of present(room)) this.#disconnect(participant, DisconnectReason.ROOM_DELETED);
    this.#finish(room);
  }

  join(roomName: string, options: JoinOptions): SimParticipant {
    if (!options.identity) throw new TwirpError('invalid_argument', 'identity cannot be empty');
    const room = this.rooms.get(roomName) ?? this.createRoom({ name: roomName });
    const duplicate = present(room).find((p) => p.identity === options.identity);
    if (duplicate) this.#disconnect(duplicate, DisconnectReason.DUPLICATE_IDENTITY);
    if (room.maxParticipants > 0 && present(room).length >= room.maxParticipants) {
      throw new TwirpError('resource_exhausted', `room ${roomName} is full`);
    }
    room.cancelClose?.();
    room.cancelClose = null;
    const earlier = room.participants.find((p) => p.identity === options.identity);
    const participant: SimParticipant = {
      sid: `PA_${randomBase62(12)}`,
      identity: options.identity,
      name: options.name ?? earlier?.name ?? '',
      metadata: options.metadata ?? '',
      roomName,
      voice: options.voice ?? earlier?.voice ?? SIMULATOR_VOICES[distinctIdentities(room) % SIMULATOR_VOICES.length]!,
      joinedAtMs: this.#options.clock.now(),
      leftAtMs: null,
      disconnectReason: DisconnectReason.UNKNOWN_REASON,
      tracks: [],
    };
    room.participants.push(participant);
    this.participants.set(participant.sid, participant);
    this.#options.webhooks.notify({ event: 'participant_joined', room: this.roomInfo(room), participant: this.participantInfo(participant) });
    return participant;
  }

  participant(sid: string): SimParticipant {
    const participant = this.participants.get(sid);
    if (!participant) throw participantNotFound();
    return participant;
  }

  presentParticipant(sid: string): SimParticipant {
    const participant = this.participant(sid);
    if (participant.leftAtMs !== null) throw new TwirpError('failed_precondition', `participant ${sid} has left the room`);
    return participant;
  }

  /** GetParticipant / RemoveParticipant look participants up by identity among those present. */
  byIdentity(roomName: string, identity: string): SimParticipant {
    const participant = present(this.room(roomName)).find((p) => p.identity === identity);
    if (!participant) throw participantNotFound();
    return participant;
  }

  /** The participant publishes their microphone (Opus). */
  publishAudio(participantSid: string, name = 'microphone'): SimTrack {
    const participant = this.presentParticipant(participantSid);
    const track: SimTrack = {
      sid: `TR_${randomBase62(12)}`,
      participantSid,
      identity: participant.identity,
      name,
      muted: false,
      publishedAtMs: this.#options.clock.now(),
      unpublishedAtMs: null,
      speech: [],
    };
    participant.tracks.push(track);
    this.tracks.set(track.sid, track);
    this.#notifyTrack('track_published', track, participant);
    return track;
  }

  track(sid: string): SimTrack {
    const track = this.tracks.get(sid);
    if (!track) throw trackNotFound();
    return track;
  }

  unpublish(trackSid: string): void {
    const track = this.track(trackSid);
    if (track.unpublishedAtMs !== null) throw new TwirpError('failed_precondition', `track ${trackSid} is not published`);
    track.unpublishedAtMs = this.#options.clock.now();
    const participant = this.participant(track.participantSid);
    const room = this.#notifyTrack('track_unpublished', track, participant);
    this.#hooks?.trackUnpublished(track, room);
  }

  setMuted(trackSid: string, muted: boolean): SimTrack {
    const track = this.track(trackSid);
    track.muted = muted;
    return track;
  }

  /** Speech on the participant's published, unmuted microphone at `atMs`. */
  say(participantSid: string, clip: SpeechClip, atMs: number): PlacedClip {
    const participant = this.presentParticipant(participantSid);
    const track = participant.tracks.find((t) => t.unpublishedAtMs === null && !t.muted);
    if (!track) throw new TwirpError('failed_precondition', `participant ${participant.identity} has no published, unmuted microphone`);
    const placed = { ...clip, atMs };
    track.speech.push(placed);
    return placed;
  }

  /** The participant leaves (CLIENT_INITIATED, or another reason). */
  leave(participantSid: string, reason: DisconnectReason = DisconnectReason.CLIENT_INITIATED): void {
    this.#disconnect(this.presentParticipant(participantSid), reason);
  }

  #disconnect(participant: SimParticipant, reason: DisconnectReason): void {
    const room = this.room(participant.roomName);
    for (const track of participant.tracks) if (track.unpublishedAtMs === null) this.unpublish(track.sid);
    participant.leftAtMs = this.#options.clock.now();
    participant.disconnectReason = reason;
    this.#options.webhooks.notify({ event: 'participant_left', room: this.roomInfo(room), participant: this.participantInfo(participant) });
    if (present(room).length === 0) this.#scheduleClose(room, room.departureTimeoutSeconds);
  }

  /** Track events name the participant by sid and identity only, as livekit-server's telemetry does. */
  #notifyTrack(event: 'track_published' | 'track_unpublished', track: SimTrack, participant: SimParticipant): SimRoom {
    const room = this.room(participant.roomName);
    this.#options.webhooks.notify({
      event,
      room: this.roomInfo(room),
      participant: new ParticipantInfo({ sid: participant.sid, identity: participant.identity }),
      track: this.trackInfo(track),
    });
    return room;
  }

  #scheduleClose(room: SimRoom, afterSeconds: number): void {
    room.cancelClose?.();
    room.cancelClose = this.#options.clock.at(this.#options.clock.now() + afterSeconds * 1000, () => {
      room.cancelClose = null;
      if (present(room).length === 0) this.#finish(room);
    });
  }

  #finish(room: SimRoom): void {
    room.cancelClose?.();
    room.cancelClose = null;
    if (this.rooms.get(room.name) !== room) return;
    this.#hooks?.roomFinished(room);
    this.rooms.delete(room.name);
    this.#options.webhooks.notify({ event: 'room_finished', room: this.roomInfo(room) });
  }

  roomInfo(room: SimRoom): Room {
    const here = present(room);
    return new Room({
      sid: room.sid,
      name: room.name,
      emptyTimeout: room.emptyTimeoutSeconds,
      departureTimeout: room.departureTimeoutSeconds,
      maxParticipants: room.maxParticipants,
      creationTime: BigInt(Math.floor(room.createdAtMs / 1000)),
      creationTimeMs: BigInt(room.createdAtMs),
      metadata: room.metadata,
      numParticipants: here.length,
      numPublishers: here.filter((p) => p.tracks.some((t) => t.unpublishedAtMs === null)).length,
      activeRecording: this.#hooks?.recording(room.name) ?? false,
    });
  }

  participantInfo(participant: SimParticipant): ParticipantInfo {
    const published = participant.tracks.filter((t) => t.unpublishedAtMs === null);
    return new ParticipantInfo({
      sid: participant.sid,
      identity: participant.identity,
      name: participant.name,
      metadata: participant.metadata,
      state: participant.leftAtMs === null ? ParticipantInfo_State.ACTIVE : ParticipantInfo_State.DISCONNECTED,
      tracks: published.map((t) => this.trackInfo(t)),
      joinedAt: BigInt(Math.floor(participant.joinedAtMs / 1000)),
      joinedAtMs: BigInt(participant.joinedAtMs),
      version: 1,
      permission: new ParticipantPermission({ canSubscribe: true, canPublish: true, canPublishData: true }),
      isPublisher: published.length > 0,
      disconnectReason: participant.disconnectReason,
    });
  }

  trackInfo(track: SimTrack): TrackInfo {
    return new TrackInfo({
      sid: track.sid,
      type: TrackType.AUDIO,
      name: track.name,
      muted: track.muted,
      source: TrackSource.MICROPHONE,
      mimeType: 'audio/opus',
      mid: '0',
      stream: 'camera',
    });
  }
}

export function present(room: SimRoom): SimParticipant[] {
  return room.participants.filter((p) => p.leftAtMs === null);
}

function distinctIdentities(room: SimRoom): number {
  return new Set(room.participants.map((p) => p.identity)).size;
}
