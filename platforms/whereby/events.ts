import { z } from 'zod';
import { WebhookPayloadError } from '../platform.ts';
import type { ParsedWebhook, PlatformEvent } from '../platform.ts';

// A Whereby webhook in the seam's words. The envelope is `{id, apiVersion: "1.0", createdAt, type, data}`.
// - room.client.joined/left: a participant (its participantId is the session; `externalId` our user id; a host
//   is the room's owner) — except the client whose roleName is "recorder": that is the cloud recording joining
//   (started) or leaving (stopped), the only way Whereby shows a recording's start and stop;
// - room.session.started/ended: one meeting (the room session's id);
// - recording.finished `{filename, recordingId, roomName, status}`: the file is in our bucket (under our
//   subfolder), so it is ready.
// Whereby's payloads carry less than the seam asks for, and this mapping says what it puts instead: a leave has no
// join time (the event's own time stands in), a session's end has no start (likewise), a recording's start time is
// in its file name (`[room name]-[ISO start].ext`) and its duration is not given (0: read it from the file).

export const WHEREBY_EVENT_TYPES = ['room.client.joined', 'room.client.left', 'room.session.started', 'room.session.ended', 'recording.finished'] as const;

const envelopeSchema = z.object({ id: z.string().min(1), apiVersion: z.string(), createdAt: z.string(), type: z.string(), data: z.record(z.string(), z.unknown()) });

const inRoomSchema = z.object({ meetingId: z.string(), roomName: z.string(), roomSessionId: z.string() });
const clientSchema = inRoomSchema.extend({
  participantId: z.string(),
  displayName: z.string().nullable().optional(),
  externalId: z.string().nullable().optional(),
  roleName: z.string(),
  metadata: z.string().nullable().optional(),
  numClients: z.number().optional(),
});
const recordingFinishedSchema = z.object({ filename: z.string(), recordingId: z.string(), roomName: z.string(), status: z.string() });

/** What a Whereby webhook says, before the seam's vocabulary narrows it: the recorder's leaving is kept here. */
export type WherebyEventFacts =
  | { kind: 'event'; event: PlatformEvent }
  | { kind: 'recording.stopped'; eventId: string; roomName: string; roomSessionId: string; at: Date }
  | { kind: 'ignored'; type: string };

export function mapWherebyWebhook(rawBody: Buffer | string, objectKeyOf: (filename: string) => string): WherebyEventFacts {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString());
  } catch (error) {
    throw new WebhookPayloadError(`Whereby webhook body is not JSON: ${(error as Error).message}`);
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) throw new WebhookPayloadError(`Whereby webhook is not an event envelope: ${envelope.error.message}`);
  const { id, type, data } = envelope.data;
  const createdAt = new Date(envelope.data.createdAt);
  if (Number.isNaN(createdAt.getTime())) throw new WebhookPayloadError(`Whereby ${type} webhook ${id} has a createdAt that is not a date`, type);
  if (!(WHEREBY_EVENT_TYPES as readonly string[]).includes(type)) return { kind: 'ignored', type };
  const base = { eventId: id, occurredAt: createdAt, sentAt: createdAt };
  const parse = <S extends z.ZodType>(schema: S): z.infer<S> => {
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new WebhookPayloadError(`Whereby ${type} webhook ${id} breaks its schema: ${parsed.error.message}`, type);
    return parsed.data;
  };
  const event = (e: PlatformEvent): WherebyEventFacts => ({ kind: 'event', event: e });

  switch (type) {
    case 'room.client.joined':
    case 'room.client.left': {
      const client = parse(clientSchema);
      if (client.roleName === 'recorder') {
        if (type === 'room.client.left') return { kind: 'recording.stopped', eventId: id, roomName: client.roomName, roomSessionId: client.roomSessionId, at: createdAt };
        // The recording's own id comes only with recording.finished: the recorder's participant id names it until then.
        return event({ ...base, type: 'recording.started', recordingId: client.participantId, provisionalId: true, instanceId: client.roomSessionId, startedAt: createdAt, recordingType: 'cloud', roomName: client.roomName });
      }
      const fields = {
        roomName: client.roomName,
        sessionId: client.participantId,
        ...(client.externalId ? { userId: client.externalId } : {}),
        ...(client.displayName ? { userName: client.displayName } : {}),
        isOwner: client.roleName === 'host' || client.roleName === 'owner',
        joinedAt: createdAt,
      };
      return event(type === 'room.client.joined' ? { ...base, ...fields, type: 'participant.joined' } : { ...base, ...fields, type: 'participant.left' });
    }
    case 'room.session.started': {
      const session = parse(inRoomSchema);
      return event({ ...base, type: 'meeting.started', platformMeetingId: session.roomSessionId, roomName: session.roomName, startedAt: createdAt });
    }
    case 'room.session.ended': {
      const session = parse(inRoomSchema);
      return event({ ...base, type: 'meeting.ended', platformMeetingId: session.roomSessionId, roomName: session.roomName, startedAt: createdAt, endedAt: createdAt });
    }
    default: {
      const recording = parse(recordingFinishedSchema);
      if (recording.status !== 'completed') throw new WebhookPayloadError(`Whereby recording.finished ${id} has status ${recording.status}`, type);
      return event({
        ...base,
        type: 'recording.ready',
        recordingId: recording.recordingId,
        roomName: recording.roomName,
        recordingType: 'cloud',
        startedAt: recordingStartOf(recording.filename) ?? createdAt,
        durationSeconds: 0,
        objectKey: objectKeyOf(recording.filename),
        tracks: null,
      });
    }
  }
}

/** The seam has no "recording stopped" event: the recorder's leaving is ignored there (recording.ready follows). */
export function parseWherebyWebhook(rawBody: Buffer | string, objectKeyOf: (filename: string) => string): ParsedWebhook {
  const facts = mapWherebyWebhook(rawBody, objectKeyOf);
  if (facts.kind === 'recording.stopped') return { kind: 'ignored', type: 'room.client.left (recorder)' };
  return facts;
}

/** Whereby's default file name ends with the recording's start: `…-2026-12-04T20:50:00.000Z.mkv`. */
export function recordingStartOf(filename: string): Date | null {
  const match = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)\.(mkv|mp4)$/.exec(filename);
  return match ? new Date(match[1]!) : null;
}

/** The room name a default file name starts with, with Whereby's leading "/". */
export function roomNameOf(filename: string): string | null {
  const match = /^(.+)-\d{4}-\d{2}-\d{2}T[\d:.]+Z\.(mkv|mp4)$/.exec(filename);
  return match ? `/${match[1]}` : null;
}
