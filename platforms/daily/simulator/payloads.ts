import type { SimMeeting, SimRecording, SimRoom, SimSession } from './call-model.ts';

// The simulator's state rendered in Daily's JSON, field for field and in Daily's casing: snake_case
// webhook payloads and REST objects, except `s3key`/`mtgSessionId` on recordings and `s3Key` in tracks.

const seconds = (ms: number) => ms / 1000;
const wholeSeconds = (ms: number) => Math.floor(ms / 1000);

export function roomJson(room: SimRoom) {
  return {
    id: room.id,
    name: room.name,
    api_created: true,
    privacy: room.privacy,
    url: room.url,
    created_at: new Date(room.createdAtMs).toISOString(),
    config: room.config,
  };
}

export function recordingJson(recording: SimRecording) {
  return {
    id: recording.id,
    room_name: recording.roomName,
    start_ts: wholeSeconds(recording.startedAtMs),
    status: recording.status,
    max_participants: recording.maxParticipants,
    // Daily omits duration while a recording is in progress.
    ...(recording.status !== 'in-progress' && { duration: recording.durationSeconds }),
    share_token: recording.shareToken,
    s3key: recording.s3key,
    mtgSessionId: recording.hideMeetingSession ? null : recording.meetingId,
    tracks: recording.tracks,
    s3: { bucket_name: recording.bucket.bucket_name, bucket_region: recording.bucket.bucket_region, key: recording.s3key },
  };
}

export function meetingJson(meeting: SimMeeting, nowMs: number, withParticipants: boolean) {
  return {
    id: meeting.id,
    room: meeting.roomName,
    start_time: wholeSeconds(meeting.startedAtMs),
    duration: Math.round(seconds((meeting.endedAtMs ?? nowMs) - meeting.startedAtMs)),
    ongoing: meeting.endedAtMs === null,
    max_participants: meeting.maxParticipants,
    ...(withParticipants && { participants: meeting.sessions.map((session) => meetingParticipantJson(session, nowMs)) }),
  };
}

export function meetingParticipantJson(session: SimSession, nowMs: number) {
  return {
    user_id: session.userId,
    participant_id: session.sessionId,
    user_name: session.userName,
    join_time: wholeSeconds(session.joinedAtMs),
    duration: Math.round(seconds((session.leftAtMs ?? nowMs) - session.joinedAtMs)),
  };
}

/** participant.joined / participant.left payloads (the latter with `duration`). */
export function participantPayload(session: SimSession, room: SimRoom) {
  const ejectAt = room.config.eject_at_room_exp === true && typeof room.config.exp === 'number' ? room.config.exp : null;
  return {
    room: session.roomName,
    ...(session.userId !== null && { user_id: session.userId }),
    ...(session.userName !== null && { user_name: session.userName }),
    session_id: session.sessionId,
    joined_at: seconds(session.joinedAtMs),
    will_eject_at: ejectAt,
    owner: session.owner,
    permissions: { hasPresence: true, canSend: true, canReceive: { base: true }, canAdmin: false },
    ...(session.leftAtMs !== null && { duration: seconds(session.leftAtMs - session.joinedAtMs) }),
  };
}

export function participantEventId(session: SimSession): string {
  return session.leftAtMs === null
    ? `ptcpt-join-${session.userId ?? session.sessionId}-${session.joinedAtMs}`
    : `ptcpt-left-${session.sessionId}-${session.leftAtMs}`;
}

export function meetingStartedEvent(meeting: SimMeeting) {
  return {
    id: `met-sta-${meeting.id}-${wholeSeconds(meeting.startedAtMs)}`,
    payload: { start_ts: seconds(meeting.startedAtMs), meeting_id: meeting.id, room: meeting.roomName },
  };
}

export function meetingEndedEvent(meeting: SimMeeting, endedAtMs: number) {
  return {
    id: `met-end-${meeting.id}-${wholeSeconds(endedAtMs)}`,
    payload: {
      start_ts: wholeSeconds(meeting.startedAtMs),
      end_ts: seconds(endedAtMs),
      meeting_id: meeting.id,
      room: meeting.roomName,
    },
  };
}

export function recordingStartedEvent(recording: SimRecording) {
  return {
    id: `rec-sta-${recording.instanceId}-${wholeSeconds(recording.startedAtMs)}`,
    payload: {
      action: 'start-cloud-recording',
      recording_id: recording.id,
      layout: { preset: 'default' },
      started_by: recording.startedBy,
      instance_id: recording.instanceId,
      start_ts: wholeSeconds(recording.startedAtMs),
    },
  };
}

export function recordingReadyEvent(recording: SimRecording, nowMs: number) {
  return {
    id: `rec-rtd-${recording.instanceId}-${wholeSeconds(nowMs)}`,
    payload: {
      // Daily's documented cloud example carries no type at all.
      ...(recording.type !== 'cloud' && { type: recording.type }),
      recording_id: recording.id,
      room_name: recording.roomName,
      start_ts: wholeSeconds(recording.startedAtMs),
      status: 'finished',
      max_participants: recording.maxParticipants,
      duration: recording.durationSeconds,
      share_token: recording.shareToken,
      s3_key: recording.s3key,
      ...(recording.type === 'raw-tracks' && { tracks: recording.tracks }),
    },
  };
}

export function recordingErrorEvent(instanceId: string, roomName: string, message: string, nowMs: number) {
  return {
    id: `rec-err-${instanceId}-${wholeSeconds(nowMs)}`,
    payload: {
      action: 'cloud-recording-error',
      error_msg: `cloud-recording-error: ${message}`,
      instance_id: instanceId,
      room_name: roomName,
      // A string, as in Daily's own example.
      timestamp: String(wholeSeconds(nowMs)),
    },
  };
}
