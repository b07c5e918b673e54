import { EgressStatus, TrackType, WebhookEvent } from 'livekit-server-sdk';
import type { EgressInfo, ParticipantInfo } from 'livekit-server-sdk';
import { WebhookPayloadError } from '../platform.ts';
import type { ParsedWebhook, ParticipantEventFields, PlatformEvent } from '../platform.ts';
import { egressFailed, egressFile, egressRecordingType, egressStartedAt, egressTrack, nanosecondsToDate } from './recordings.ts';
import type { LiveKitEgressFile } from './recordings.ts';

// A LiveKit webhook in the seam's words (PlatformEvent): a participant is one session (its sid; a
// reconnection is a new sid with the same identity), a room is one meeting (its sid), an egress is one
// recording (its id is both the recording id and the instance id: every egress is its own stream, and the
// event says which kind it is). A published microphone is the fact a per-speaker track egress is started from.
// Event ids are LiveKit's `id`; `sentAt` is its createdAt (seconds); times come from LiveKit's ms / ns fields.

export type { LiveKitEgressFile } from './recordings.ts';

/** Egress details the PlatformEvent does not carry (the file's location), for logs and checks. */
export interface LiveKitEgressFacts {
  egressId: string;
  source: 'room-composite' | 'track';
  /** The recorded track, for a track egress. */
  trackSid: string | null;
  status: keyof typeof EgressStatus;
  file: LiveKitEgressFile | null;
}

/** What our join tokens put in a participant's metadata, so webhooks can tell the room's owner. */
export function participantMetadata(input: { isOwner: boolean }): string {
  return JSON.stringify({ owner: input.isOwner });
}

export function isOwner(metadata: string): boolean {
  try {
    return (JSON.parse(metadata) as { owner?: unknown }).owner === true;
  } catch {
    return false;
  }
}

/** The raw body of a verified (or to-be-parsed) webhook: protojson of WebhookEvent. */
export function parseLiveKitWebhook(rawBody: Buffer | string): ParsedWebhook {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString());
  } catch (error) {
    throw new WebhookPayloadError(`LiveKit webhook body is not JSON: ${(error as Error).message}`);
  }
  let webhook: WebhookEvent;
  try {
    webhook = WebhookEvent.fromJson(json as never, { ignoreUnknownFields: true });
  } catch (error) {
    throw new WebhookPayloadError(`LiveKit webhook body is not a WebhookEvent: ${(error as Error).message}`);
  }
  return mapLiveKitWebhook(webhook);
}

export function mapLiveKitWebhook(webhook: WebhookEvent): ParsedWebhook {
  const base = { eventId: webhook.id, sentAt: new Date(Number(webhook.createdAt) * 1000) };
  const broken = (what: string) => new WebhookPayloadError(`LiveKit ${webhook.event} webhook ${webhook.id} has no ${what}`, webhook.event);
  const event = (e: PlatformEvent): ParsedWebhook => ({ kind: 'event', event: e });
  const { participant, room, egressInfo, track } = webhook;
  switch (webhook.event) {
    case 'room_started': {
      if (!room) throw broken('room');
      const startedAt = roomCreatedAt(room) ?? base.sentAt;
      return event({ ...base, type: 'meeting.started', occurredAt: startedAt, platformMeetingId: room.sid, roomName: room.name, startedAt });
    }
    case 'room_finished': {
      if (!room) throw broken('room');
      const endedAt = base.sentAt;
      return event({ ...base, type: 'meeting.ended', occurredAt: endedAt, platformMeetingId: room.sid, roomName: room.name, startedAt: roomCreatedAt(room) ?? endedAt, endedAt });
    }
    case 'participant_joined':
    case 'participant_left':
    case 'participant_connection_aborted': {
      if (!participant || !room) throw broken('participant or room');
      const fields: ParticipantEventFields = {
        roomName: room.name,
        sessionId: participant.sid,
        ...(participant.identity && { userId: participant.identity }),
        ...(participant.name && { userName: participant.name }),
        isOwner: isOwner(participant.metadata),
        joinedAt: joinedAt(participant) ?? base.sentAt,
      };
      if (webhook.event === 'participant_joined') return event({ ...base, ...fields, type: 'participant.joined', occurredAt: fields.joinedAt });
      // LiveKit says when the leave was sent, not when the session began and ended: its duration is the difference.
      const durationSeconds = Math.max(0, Math.round((base.sentAt.getTime() - fields.joinedAt.getTime()) / 1000));
      return event({ ...base, ...fields, type: 'participant.left', occurredAt: base.sentAt, durationSeconds });
    }
    case 'track_published':
    case 'track_unpublished': {
      if (!participant || !room || !track) throw broken('participant, room or track');
      // Cameras and screens are not per-speaker audio.
      if (track.type !== TrackType.AUDIO) return { kind: 'ignored', type: webhook.event };
      return event({
        ...base,
        type: webhook.event === 'track_published' ? 'speaker-track.published' : 'speaker-track.unpublished',
        occurredAt: base.sentAt,
        roomName: room.name,
        sessionId: participant.sid,
        trackId: track.sid,
      });
    }
    case 'egress_started': {
      if (!egressInfo) throw broken('egressInfo');
      // Sent as the egress is STARTING: it has no start of its own yet.
      const startedAt = egressInfo.startedAt > 0n ? nanosecondsToDate(egressInfo.startedAt) : base.sentAt;
      return event({
        ...base,
        type: 'recording.started',
        occurredAt: startedAt,
        recordingId: egressInfo.egressId,
        instanceId: egressInfo.egressId,
        startedAt,
        recordingType: egressRecordingType(egressInfo),
        // Its meeting is found by the room: the egress id is LiveKit's, not one of ours.
        roomName: egressInfo.roomName,
      });
    }
    case 'egress_ended': {
      if (!egressInfo) throw broken('egressInfo');
      const outcome = recordingOutcome(egressInfo, base);
      if (!outcome) throw new WebhookPayloadError(`LiveKit egress_ended webhook ${webhook.id} with status ${EgressStatus[egressInfo.status]}`, webhook.event);
      return event(outcome);
    }
    default:
      // egress_updated (progress: its start and end are their own events), ingress and agent events.
      return { kind: 'ignored', type: webhook.event };
  }
}

type RecordingOutcome = Extract<PlatformEvent, { type: 'recording.ready' | 'recording.error' }>;

/**
 * The recording.ready or recording.error an ended egress means, or null while it has not ended. Also for an
 * EgressInfo from ListEgress when its egress_ended never came (pass an event id of your own, e.g.
 * `list-egress:<egressId>`, and the time you read it as sentAt).
 */
export function recordingOutcome(info: EgressInfo, base: { eventId: string; sentAt: Date }): RecordingOutcome | null {
  const endedAt = info.endedAt > 0n ? nanosecondsToDate(info.endedAt) : base.sentAt;
  const recordingType = egressRecordingType(info);
  const error = (message: string): RecordingOutcome => ({
    ...base,
    type: 'recording.error',
    occurredAt: endedAt,
    instanceId: info.egressId,
    roomName: info.roomName,
    message,
    at: endedAt,
    recordingType,
  });
  if (egressFailed(info)) return error(`${EgressStatus[info.status]}: ${info.error || info.details || EgressStatus[info.status]}`);
  if (info.status !== EgressStatus.EGRESS_COMPLETE) return null;
  const file = egressFile(info);
  if (!file) return error('EGRESS_COMPLETE without a file result');
  return {
    ...base,
    type: 'recording.ready',
    occurredAt: endedAt,
    recordingId: info.egressId,
    roomName: info.roomName,
    recordingType,
    startedAt: egressStartedAt(info),
    durationSeconds: file.durationSeconds,
    objectKey: file.key,
    tracks: recordingType === 'raw-tracks' ? [egressTrack(file)] : null,
  };
}

export function egressFacts(info: EgressInfo): LiveKitEgressFacts {
  return {
    egressId: info.egressId,
    source: info.request.case === 'track' ? 'track' : 'room-composite',
    trackSid: info.request.case === 'track' ? info.request.value.trackId : null,
    status: EgressStatus[info.status] as keyof typeof EgressStatus,
    file: egressFile(info),
  };
}

function joinedAt(participant: ParticipantInfo): Date | null {
  if (participant.joinedAtMs > 0n) return new Date(Number(participant.joinedAtMs));
  return participant.joinedAt > 0n ? new Date(Number(participant.joinedAt) * 1000) : null;
}

function roomCreatedAt(room: NonNullable<WebhookEvent['room']>): Date | null {
  if (room.creationTimeMs > 0n) return new Date(Number(room.creationTimeMs));
  return room.creationTime > 0n ? new Date(Number(room.creationTime) * 1000) : null;
}
