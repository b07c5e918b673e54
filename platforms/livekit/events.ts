import { EgressStatus, TrackType } from 'livekit-server-sdk';
import type { EgressInfo, ParticipantInfo, WebhookEvent } from 'livekit-server-sdk';
import type { MeetingEvent } from '../../workflows/meeting.ts';

// A verified LiveKit webhook in the product's words. Where LiveKit and the meeting workflow mean the same thing
// the result is a MeetingEvent: a participant is one session (its sid; a reconnection is a new sid with the
// same identity), a room is one meeting (its sid), an egress is one recording (its id is both the recording
// id and the instance id: every egress is its own stream). What the workflow has no word for yet is named on
// its own: a published microphone is the fact a per-speaker track egress is started from.
// Event ids are LiveKit's `id`; times are createdAt (seconds) or LiveKit's ms / ns fields, as ISO strings.

/** Egress details the MeetingEvent does not carry (which egress, its file's location and size). */
export interface LiveKitEgressFacts {
  egressId: string;
  source: 'room-composite' | 'track';
  /** The recorded track, for a track egress. */
  trackSid: string | null;
  status: keyof typeof EgressStatus;
  file: LiveKitEgressFile | null;
}

export interface LiveKitEgressFile {
  /** Object key in the bucket. */
  key: string;
  /** Where the egress says it wrote it (an URL or s3://). */
  location: string;
  sizeBytes: number;
  durationSeconds: number;
  startedAt: string;
}

/** A participant published a microphone: the workflow starts a track egress for it. */
export interface SpeakerTrackPublished {
  kind: 'per-speaker-track-published';
  eventId: string;
  roomName: string;
  roomSid: string;
  /** The speaker's session. */
  sessionId: string;
  identity: string;
  trackSid: string;
  at: string;
}

/** The microphone went away (unpublished, or its participant left): its track egress ends with it. */
export interface SpeakerTrackUnpublished extends Omit<SpeakerTrackPublished, 'kind'> {
  kind: 'per-speaker-track-unpublished';
}

export type LiveKitWebhookFact =
  | { kind: 'meeting-event'; eventId: string; roomName: string; event: MeetingEvent; egress?: LiveKitEgressFacts }
  | SpeakerTrackPublished
  | SpeakerTrackUnpublished
  | { kind: 'not-consumed'; eventId: string; type: string; roomName: string | null; why: string };

/** What our join tokens put in a participant's metadata, so webhooks can tell the room's owner. */
export function participantMetadata(input: { isOwner: boolean }): string {
  return JSON.stringify({ owner: input.isOwner });
}

function isOwner(metadata: string): boolean {
  try {
    return (JSON.parse(metadata) as { owner?: unknown }).owner === true;
  } catch {
    return false;
  }
}

export const secondsToIso = (seconds: bigint | number) => new Date(Number(seconds) * 1000).toISOString();
export const nanosecondsToIso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();

const FAILED: ReadonlySet<EgressStatus> = new Set([EgressStatus.EGRESS_FAILED, EgressStatus.EGRESS_ABORTED, EgressStatus.EGRESS_LIMIT_REACHED]);

export function mapLiveKitWebhook(webhook: WebhookEvent): LiveKitWebhookFact {
  const eventId = webhook.id;
  const at = secondsToIso(webhook.createdAt);
  const roomName = webhook.room?.name ?? webhook.egressInfo?.roomName ?? null;
  const notConsumed = (why: string): LiveKitWebhookFact => ({ kind: 'not-consumed', eventId, type: webhook.event, roomName, why });
  const meeting = (event: MeetingEvent, egress?: LiveKitEgressFacts): LiveKitWebhookFact => ({
    kind: 'meeting-event',
    eventId,
    roomName: roomName!,
    event,
    ...(egress && { egress }),
  });
  const { participant, room, egressInfo, track } = webhook;
  switch (webhook.event) {
    case 'room_started':
      if (!room) return notConsumed('no room in the event');
      return meeting({ type: 'meeting.started', eventId, platformMeetingId: room.sid, at: roomCreatedAt(room) ?? at });
    case 'room_finished':
      if (!room) return notConsumed('no room in the event');
      return meeting({ type: 'meeting.ended', eventId, platformMeetingId: room.sid, at });
    case 'participant_joined':
      if (!participant || !room) return notConsumed('no participant or room in the event');
      return meeting({
        type: 'participant.joined',
        eventId,
        sessionId: participant.sid,
        userId: participant.identity || null,
        userName: participant.name || null,
        isOwner: isOwner(participant.metadata),
        at: joinedAt(participant) ?? at,
      });
    case 'participant_left':
    case 'participant_connection_aborted':
      if (!participant || !room) return notConsumed('no participant or room in the event');
      return meeting({ type: 'participant.left', eventId, sessionId: participant.sid, at });
    case 'track_published':
    case 'track_unpublished': {
      if (!participant || !room || !track) return notConsumed('no participant, room or track in the event');
      if (track.type !== TrackType.AUDIO) return notConsumed(`a ${TrackType[track.type]} track is not per-speaker audio`);
      const fact = { eventId, roomName: room.name, roomSid: room.sid, sessionId: participant.sid, identity: participant.identity, trackSid: track.sid, at };
      return webhook.event === 'track_published' ? { kind: 'per-speaker-track-published', ...fact } : { kind: 'per-speaker-track-unpublished', ...fact };
    }
    case 'egress_started':
      if (!egressInfo) return notConsumed('no egressInfo in the event');
      return meeting(
        { type: 'recording.started', eventId, recordingId: egressInfo.egressId, instanceId: egressInfo.egressId, at: egressInfo.startedAt > 0n ? nanosecondsToIso(egressInfo.startedAt) : at },
        egressFacts(egressInfo),
      );
    case 'egress_updated':
      return notConsumed('progress of an egress: its start and end are their own events');
    case 'egress_ended': {
      if (!egressInfo) return notConsumed('no egressInfo in the event');
      const outcome = recordingOutcome(egressInfo, eventId, at);
      return outcome ? meeting(outcome, egressFacts(egressInfo)) : notConsumed(`egress_ended with status ${EgressStatus[egressInfo.status]}`);
    }
    default:
      return notConsumed('not an event the product consumes');
  }
}

/**
 * The recording.ready or recording.error an ended egress means, or null while it has not ended. Also for an
 * EgressInfo from ListEgress when its egress_ended never came (pass an event id of your own, e.g.
 * `list-egress:<egressId>`).
 */
export function recordingOutcome(info: EgressInfo, eventId: string, fallbackAt: string): Extract<MeetingEvent, { type: 'recording.ready' | 'recording.error' }> | null {
  const endedAt = info.endedAt > 0n ? nanosecondsToIso(info.endedAt) : fallbackAt;
  if (FAILED.has(info.status)) {
    const message = info.error || info.details || EgressStatus[info.status];
    return { type: 'recording.error', eventId, instanceId: info.egressId, message: `${EgressStatus[info.status]}: ${message}`, at: endedAt };
  }
  if (info.status !== EgressStatus.EGRESS_COMPLETE) return null;
  const file = egressFile(info);
  if (!file) return { type: 'recording.error', eventId, instanceId: info.egressId, message: 'EGRESS_COMPLETE without a file result', at: endedAt };
  const source = egressSource(info);
  return {
    type: 'recording.ready',
    eventId,
    recordingId: info.egressId,
    kind: source === 'track' ? 'raw-tracks' : 'cloud',
    startedAt: file.startedAt,
    durationSeconds: file.durationSeconds,
    objectKey: file.key,
    tracks: source === 'track' ? [{ type: 'audio', key: file.key, size: file.sizeBytes }] : null,
    platformMeetingId: info.roomId || null,
  };
}

export function egressFacts(info: EgressInfo): LiveKitEgressFacts {
  return {
    egressId: info.egressId,
    source: egressSource(info),
    trackSid: info.request.case === 'track' ? info.request.value.trackId : null,
    status: EgressStatus[info.status] as keyof typeof EgressStatus,
    file: egressFile(info),
  };
}

function egressSource(info: EgressInfo): LiveKitEgressFacts['source'] {
  return info.request.case === 'track' ? 'track' : 'room-composite';
}

function egressFile(info: EgressInfo): LiveKitEgressFile | null {
  const file = info.fileResults[0];
  if (!file?.filename) return null;
  return {
    key: file.filename,
    location: file.location,
    sizeBytes: Number(file.size),
    durationSeconds: Number(file.duration) / 1e9,
    startedAt: nanosecondsToIso(file.startedAt > 0n ? file.startedAt : info.startedAt),
  };
}

function joinedAt(participant: ParticipantInfo): string | null {
  if (participant.joinedAtMs > 0n) return new Date(Number(participant.joinedAtMs)).toISOString();
  return participant.joinedAt > 0n ? secondsToIso(participant.joinedAt) : null;
}

function roomCreatedAt(room: NonNullable<WebhookEvent['room']>): string | null {
  if (room.creationTimeMs > 0n) return new Date(Number(room.creationTimeMs)).toISOString();
  return room.creationTime > 0n ? secondsToIso(room.creationTime) : null;
}
