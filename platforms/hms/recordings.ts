import type { PlatformRecording, RecordingStatus, TrackFacts } from '../platform.ts';
import type { HmsRecording } from './client.ts';

// 100ms recordings in the seam's words. 100ms writes every file into its own storage (or a bucket configured on its
// dashboard) and says where as `s3://<bucket>/<key>` (recording_path); the seam's objectKey is that key, and the
// file is copied from the presigned link of its webhook (24 h) or a fresh one (/v2/recording-assets/<id>/presigned-url).
//
// Ids: a beam (API-started composite) recording is its recording id; an SFU recording of a whole session, whose
// webhooks name no recording, is `sfu:<session id>`; a track recording is its peer's id (one microphone per peer,
// recorded from join to leave: a rejoin is a new peer, so a new track).

/** `s3://bucket/key` → key; a path without a scheme is a key already. */
export function hmsObjectKey(recordingPath: string): string {
  const match = /^s3:\/\/[^/]+\/(.+)$/.exec(recordingPath);
  return match ? match[1]! : recordingPath.replace(/^\/+/, '');
}

export const sfuRecordingId = (sessionId: string) => `sfu:${sessionId}`;

/** Track files as 100ms's track recording writes them: `…/<session id>/<peer id>/<track id>-<start epoch ms>.<ext>`. */
const TRACK_KEY = /(?:^|\/)track-recordings\/[^/]+\/([^/]+)\/([^/]+)\/([^/]+)-(\d{10,})\.(?:webm|ogg|opus|mp4)$/;

export interface HmsTrackKey {
  sessionId: string;
  peerId: string;
  trackId: string;
  startedAt: Date;
}

export function parseHmsTrackKey(key: string): HmsTrackKey | null {
  const match = TRACK_KEY.exec(key);
  if (!match) return null;
  return { sessionId: match[1]!, peerId: match[2]!, trackId: match[3]!, startedAt: new Date(Number(match[4])) };
}

/** A track recording is one speaker's microphone and its own recording: recording and track start together. */
export function describeHmsTrack(key: string): TrackFacts | null {
  const parsed = parseHmsTrackKey(key);
  if (!parsed) return null;
  const startMs = parsed.startedAt.getTime();
  return { sessionId: parsed.peerId, speakerAudio: true, recordingStartMs: startMs, trackStartMs: startMs };
}

export function hmsRecordingStatus(status: HmsRecording['status']): RecordingStatus {
  if (status === 'completed') return 'finished';
  return status === 'failed' ? 'canceled' : 'in-progress';
}

/** A recording of GET /v2/recordings as the seam's: the composite asset's key (empty until it is written). Its track
 * assets are not its tracks in the seam's sense: each is a track recording of its own (recording.ready per peer). */
export function hmsAsRecording(recording: HmsRecording): PlatformRecording {
  const composite = (recording.recording_assets ?? []).find((a) => a.type === 'room-composite');
  return {
    id: recording.id,
    roomName: recording.room_id,
    startedAt: new Date(recording.started_at ?? recording.created_at),
    status: hmsRecordingStatus(recording.status),
    ...(composite && { durationSeconds: composite.duration }),
    objectKey: composite ? hmsObjectKey(composite.path) : '',
    meetingSessionId: recording.session_id || null,
    type: 'cloud',
    tracks: null,
  };
}
