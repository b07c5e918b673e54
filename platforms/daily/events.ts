import { z } from 'zod';
import { WebhookPayloadError } from '../platform.ts';
import type { ParsedWebhook, PlatformEvent } from '../platform.ts';
import { dailyTrackSchema, inferRecordingType, normalizeDailyTracks, secondsToDate } from './recordings.ts';

// Daily webhook bodies (docs.daily.co/reference/rest-api/webhooks/events): a common snake_case envelope
// around one payload per event type. Schemas accept what Daily is observed to send, not only what it
// documents: float timestamps, `room` or `room_name`, `s3Key` or `s3key`, a string or numeric
// recording.error timestamp, and both spellings of the recording.error action.

export const dailyEnvelopeSchema = z.looseObject({
  version: z.string(),
  type: z.string().min(1),
  id: z.string().min(1),
  payload: z.unknown(),
  event_ts: z.number(),
});

export type DailyWebhookEnvelope = z.infer<typeof dailyEnvelopeSchema>;

const handshakeSchema = z.looseObject({ test: z.literal('test') });

const participantPayload = z
  .looseObject({
    room: z.string().min(1).optional(),
    room_name: z.string().min(1).optional(),
    session_id: z.string().min(1),
    user_id: z.string().nullish(),
    user_name: z.string().nullish(),
    owner: z.boolean().optional(),
    joined_at: z.number(),
    duration: z.number().nullish(),
  })
  .refine((p) => (p.room ?? p.room_name) !== undefined, 'payload has neither room nor room_name');

const meetingStartedPayload = z.looseObject({
  meeting_id: z.string().min(1),
  room: z.string().min(1),
  start_ts: z.number(),
});

const meetingEndedPayload = meetingStartedPayload.extend({ end_ts: z.number() });

const recordingStartedPayload = z.looseObject({
  recording_id: z.string().min(1),
  instance_id: z.string().min(1),
  start_ts: z.number(),
});

const recordingReadyPayload = z.looseObject({
  type: z.enum(['cloud', 'cloud-audio-only', 'raw-tracks']).optional(),
  recording_id: z.string().min(1),
  room_name: z.string().min(1),
  start_ts: z.number(),
  status: z.literal('finished'),
  duration: z.number().nonnegative(),
  s3_key: z.string().min(1),
  tracks: z.array(dailyTrackSchema).nullish(),
  max_participants: z.number().int().nonnegative().optional(),
});

const recordingErrorPayload = z.looseObject({
  // The OpenAPI enum has Daily's typo; the documented example has the correct spelling.
  action: z.enum(['cloud-recording-error', 'clourd-recording-err']),
  error_msg: z.string(),
  instance_id: z.string().min(1),
  room_name: z.string().min(1),
  timestamp: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)]),
});

export type DailyEventType =
  | 'participant.joined'
  | 'participant.left'
  | 'meeting.started'
  | 'meeting.ended'
  | 'recording.started'
  | 'recording.ready-to-download'
  | 'recording.error';

/** The event types our product consumes, as Daily names them (for a webhook's eventTypes). */
export const DAILY_EVENT_TYPES: readonly DailyEventType[] = [
  'participant.joined',
  'participant.left',
  'meeting.started',
  'meeting.ended',
  'recording.started',
  'recording.ready-to-download',
  'recording.error',
];

export function parseDailyWebhook(rawBody: Buffer | string): ParsedWebhook {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString());
  } catch (error) {
    throw new WebhookPayloadError(`Daily webhook body is not JSON: ${(error as Error).message}`);
  }
  if (handshakeSchema.safeParse(body).success) return { kind: 'handshake' };
  const envelope = dailyEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    throw new WebhookPayloadError(`Daily webhook envelope is invalid:\n${z.prettifyError(envelope.error)}`);
  }
  const event = normalizeDailyEvent(envelope.data);
  return event ? { kind: 'event', event } : { kind: 'ignored', type: envelope.data.type };
}

function parsePayload<T extends z.ZodType>(schema: T, envelope: DailyWebhookEnvelope): z.infer<T> {
  const result = schema.safeParse(envelope.payload);
  if (!result.success) {
    throw new WebhookPayloadError(
      `Daily ${envelope.type} webhook ${envelope.id} has an invalid payload:\n${z.prettifyError(result.error)}`,
      envelope.type,
    );
  }
  return result.data;
}

/** Null for event types we do not consume. */
function normalizeDailyEvent(envelope: DailyWebhookEnvelope): PlatformEvent | null {
  const base = { eventId: envelope.id, sentAt: secondsToDate(envelope.event_ts) };
  switch (envelope.type) {
    case 'participant.joined':
    case 'participant.left': {
      const p = parsePayload(participantPayload, envelope);
      const joinedAt = secondsToDate(p.joined_at);
      const fields = {
        ...base,
        roomName: (p.room ?? p.room_name)!,
        sessionId: p.session_id,
        ...(p.user_id != null && { userId: p.user_id }),
        ...(p.user_name != null && { userName: p.user_name }),
        isOwner: p.owner ?? false,
        joinedAt,
      };
      if (envelope.type === 'participant.joined') {
        return { ...fields, type: 'participant.joined', occurredAt: joinedAt };
      }
      const durationSeconds = p.duration ?? undefined;
      return {
        ...fields,
        type: 'participant.left',
        occurredAt: durationSeconds === undefined ? base.sentAt : secondsToDate(p.joined_at + durationSeconds),
        ...(durationSeconds !== undefined && { durationSeconds }),
      };
    }
    case 'meeting.started': {
      const p = parsePayload(meetingStartedPayload, envelope);
      const startedAt = secondsToDate(p.start_ts);
      return { ...base, type: 'meeting.started', occurredAt: startedAt, platformMeetingId: p.meeting_id, roomName: p.room, startedAt };
    }
    case 'meeting.ended': {
      const p = parsePayload(meetingEndedPayload, envelope);
      const endedAt = secondsToDate(p.end_ts);
      return {
        ...base,
        type: 'meeting.ended',
        occurredAt: endedAt,
        platformMeetingId: p.meeting_id,
        roomName: p.room,
        startedAt: secondsToDate(p.start_ts),
        endedAt,
      };
    }
    case 'recording.started': {
      const p = parsePayload(recordingStartedPayload, envelope);
      const startedAt = secondsToDate(p.start_ts);
      return { ...base, type: 'recording.started', occurredAt: startedAt, recordingId: p.recording_id, instanceId: p.instance_id, startedAt };
    }
    case 'recording.ready-to-download': {
      const p = parsePayload(recordingReadyPayload, envelope);
      return {
        ...base,
        type: 'recording.ready',
        occurredAt: base.sentAt,
        recordingId: p.recording_id,
        roomName: p.room_name,
        recordingType: inferRecordingType(p.type, p.tracks),
        startedAt: secondsToDate(p.start_ts),
        durationSeconds: p.duration,
        objectKey: p.s3_key,
        tracks: normalizeDailyTracks(p.tracks),
        ...(p.max_participants !== undefined && { maxParticipants: p.max_participants }),
      };
    }
    case 'recording.error': {
      const p = parsePayload(recordingErrorPayload, envelope);
      const at = secondsToDate(Number(p.timestamp));
      return { ...base, type: 'recording.error', occurredAt: at, instanceId: p.instance_id, roomName: p.room_name, message: p.error_msg, at };
    }
    default:
      return null;
  }
}
