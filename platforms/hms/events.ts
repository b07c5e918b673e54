import { WebhookPayloadError } from '../platform.ts';
import type { ParsedWebhook, ParticipantEventFields, PlatformEvent } from '../platform.ts';
import { hmsObjectKey, sfuRecordingId } from './recordings.ts';
import { parseHmsEnvelope } from './webhooks.ts';
import type { HmsWebhookEnvelope } from './webhooks.ts';

// A 100ms webhook in the seam's words (PlatformEvent). A room is named by its id (what every API call takes), a
// meeting is a session, a participant session is a peer (each join a new peer id), the owner is the peer with the
// host role. The composite is a beam recording (beam.*), or an SFU recording of the session (recording.*); each
// microphone is a track recording named by its peer (track.recording.*). Event ids are the envelope's `id`,
// `sentAt` its `timestamp`. 100ms keeps the files: recording.ready carries the presigned link (valid 24 h).

/** How long 100ms's presigned links work (recording.success: "valid 24 h"). */
export const HMS_PRESIGNED_URL_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface HmsEventOptions {
  /** The role our app tokens give a room's owner. */
  hostRole: string;
}

export function parseHmsWebhook(rawBody: Buffer | string, options: HmsEventOptions): ParsedWebhook {
  const envelope = parseHmsEnvelope(rawBody);
  if (typeof envelope === 'string') throw new WebhookPayloadError(`100ms webhook: ${envelope}`);
  return mapHmsWebhook(envelope, options);
}

export function mapHmsWebhook(envelope: HmsWebhookEnvelope, options: HmsEventOptions): ParsedWebhook {
  const { type, data } = envelope;
  const sentAt = new Date(envelope.timestamp);
  const base = { eventId: envelope.id, sentAt };
  const text = (name: string): string => {
    const value = data[name];
    if (typeof value !== 'string' || value === '') throw new WebhookPayloadError(`100ms ${type} webhook ${envelope.id} has no ${name}`, type);
    return value;
  };
  const optionalText = (name: string): string | undefined => (typeof data[name] === 'string' && data[name] !== '' ? (data[name] as string) : undefined);
  const time = (name: string): Date => {
    const at = new Date(text(name));
    if (Number.isNaN(at.getTime())) throw new WebhookPayloadError(`100ms ${type} webhook ${envelope.id} has an invalid ${name}`, type);
    return at;
  };
  const optionalTime = (name: string): Date | undefined => (optionalText(name) === undefined ? undefined : time(name));
  const seconds = (name: string): number => (typeof data[name] === 'number' && Number.isFinite(data[name]) ? (data[name] as number) : 0);
  const event = (e: PlatformEvent): ParsedWebhook => ({ kind: 'event', event: e });
  const download = () => ({ url: text('recording_presigned_url'), expiresAt: new Date(sentAt.getTime() + HMS_PRESIGNED_URL_LIFETIME_MS) });

  switch (type) {
    case 'peer.join.success':
    case 'peer.leave.success': {
      const userId = optionalText('user_id');
      const userName = optionalText('user_name');
      const fields: ParticipantEventFields = {
        roomName: text('room_id'),
        sessionId: text('peer_id'),
        ...(userId && { userId }),
        ...(userName && { userName }),
        isOwner: data.role === options.hostRole,
        joinedAt: optionalTime('joined_at') ?? sentAt,
      };
      if (type === 'peer.join.success') return event({ ...base, ...fields, type: 'participant.joined', occurredAt: fields.joinedAt });
      return event({ ...base, ...fields, type: 'participant.left', occurredAt: optionalTime('left_at') ?? sentAt, durationSeconds: seconds('duration') });
    }
    case 'session.open.success': {
      const startedAt = time('session_started_at');
      return event({ ...base, type: 'meeting.started', occurredAt: startedAt, platformMeetingId: text('session_id'), roomName: text('room_id'), startedAt });
    }
    case 'session.close.success': {
      const endedAt = time('session_stopped_at');
      return event({ ...base, type: 'meeting.ended', occurredAt: endedAt, platformMeetingId: text('session_id'), roomName: text('room_id'), startedAt: time('session_started_at'), endedAt });
    }
    case 'beam.started.success': {
      const startedAt = optionalTime('started_at') ?? sentAt;
      const id = optionalText('recording_id') ?? text('beam_id');
      return event({ ...base, type: 'recording.started', occurredAt: startedAt, recordingId: id, instanceId: id, startedAt, recordingType: 'cloud' });
    }
    case 'beam.recording.success':
    case 'recording.success': {
      const beam = type === 'beam.recording.success';
      const id = beam ? (optionalText('recording_id') ?? text('beam_id')) : sfuRecordingId(text('session_id'));
      const endedAt = (beam ? optionalTime('stopped_at') : optionalTime('session_stopped_at')) ?? sentAt;
      return event({
        ...base,
        type: 'recording.ready',
        occurredAt: endedAt,
        recordingId: id,
        roomName: text('room_id'),
        recordingType: 'cloud',
        startedAt: (beam ? optionalTime('started_at') : optionalTime('session_started_at')) ?? sentAt,
        durationSeconds: seconds('duration'),
        objectKey: hmsObjectKey(text('recording_path')),
        tracks: null,
        download: download(),
      });
    }
    case 'beam.failure':
    case 'recording.failed': {
      const beam = type === 'beam.failure';
      const message = beam ? `${optionalText('error_type') ?? 'beam failure'}: ${optionalText('error_message') ?? ''}` : `${optionalText('error_type') ?? 'recording failed'}: ${optionalText('error') ?? ''}`;
      return event({
        ...base,
        type: 'recording.error',
        occurredAt: sentAt,
        instanceId: beam ? (optionalText('recording_id') ?? text('beam_id')) : sfuRecordingId(text('session_id')),
        roomName: text('room_id'),
        message: message.replace(/: $/, ''),
        at: sentAt,
        recordingType: 'cloud',
      });
    }
    case 'track.recording.started.success': {
      if (data.track_type !== undefined && data.track_type !== 'audio') return { kind: 'ignored', type };
      const peerId = text('peer_id');
      return event({ ...base, type: 'speaker-track.published', occurredAt: optionalTime('started_at') ?? sentAt, roomName: text('room_id'), sessionId: peerId, trackId: peerId });
    }
    case 'track.recording.success': {
      if (data.track_type !== undefined && data.track_type !== 'audio') return { kind: 'ignored', type };
      const peerId = text('peer_id');
      const key = hmsObjectKey(text('recording_path'));
      const startedAt = optionalTime('started_at') ?? sentAt;
      return event({
        ...base,
        type: 'recording.ready',
        occurredAt: optionalTime('stopped_at') ?? sentAt,
        recordingId: peerId,
        roomName: text('room_id'),
        recordingType: 'raw-tracks',
        startedAt,
        durationSeconds: seconds('duration'),
        objectKey: key,
        tracks: [{ type: 'audio', key, size: seconds('size'), sessionId: peerId, startedAt }],
        download: download(),
      });
    }
    case 'track.recording.failure': {
      if (data.track_type !== undefined && data.track_type !== 'audio') return { kind: 'ignored', type };
      return event({ ...base, type: 'recording.error', occurredAt: sentAt, instanceId: text('peer_id'), roomName: text('room_id'), message: optionalText('error') ?? 'track recording failed', at: sentAt, recordingType: 'raw-tracks' });
    }
    default:
      // beam.stopped.success (progress: the file comes with beam.recording.success), hls.*, transcription.*, room.end.success, …
      return { kind: 'ignored', type };
  }
}
