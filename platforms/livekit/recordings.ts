import { EgressStatus } from 'livekit-server-sdk';
import type { EgressInfo } from 'livekit-server-sdk';
import type { PlatformRecording, RecordingStatus, RecordingTrack, RecordingType, TrackFacts } from '../platform.ts';

// What an egress is in the seam's words (a recording), and the key layout our egresses write, read back.
//
// Where recordings go (keys in the product's bucket, under a prefix the caller chooses, e.g. the room):
//   <prefix>/composite-<time>.mp4                          the room composite
//   <prefix>/tracks/<participant sid>/<track sid>-<time>.ogg one microphone of one session (Opus)
// `<time>` is Egress's `{time}` (UTC, 2026-05-04T090000), so a restarted egress never overwrites the last one;
// Egress appends the extension. The session is in the key so a track names its speaker without a lookup.
export const liveKitRecordingKeys = {
  composite: (prefix: string) => `${prefix}/composite-{time}`,
  track: (prefix: string, participantSid: string) => `${prefix}/tracks/${participantSid}/{track_id}-{time}`,
};

/** `tracks/<participant sid>/<track sid>-<YYYY-MM-DDTHHMMSS>`, the extension optional. */
const TRACK_KEY = /(?:^|\/)tracks\/([^/]+)\/([^/]+)-(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.ogg)?$/;

export interface LiveKitTrackKey {
  participantSid: string;
  trackSid: string;
  /** The egress's `{time}`: its start, to the second. */
  startedAt: Date;
}

export function parseLiveKitTrackKey(key: string): LiveKitTrackKey | null {
  const match = TRACK_KEY.exec(key);
  if (!match) return null;
  const [, participantSid, trackSid, ...time] = match as unknown as [string, string, string, ...string[]];
  const [year, month, day, hours, minutes, seconds] = time.map(Number) as [number, number, number, number, number, number];
  return { participantSid, trackSid, startedAt: new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds)) };
}

/** A track egress's file is one speaker's microphone, and is its own recording: recording and track start together.
 * The key's time has whole seconds only; the ready event's track `startedAt` (ns) is the precise one. */
export function describeLiveKitTrack(key: string): TrackFacts | null {
  const parsed = parseLiveKitTrackKey(key);
  if (!parsed) return null;
  const startMs = parsed.startedAt.getTime();
  return { sessionId: parsed.participantSid, speakerAudio: true, recordingStartMs: startMs, trackStartMs: startMs };
}

/** The composite is our `cloud` recording; each track egress is a `raw-tracks` recording of one track. */
export function egressRecordingType(info: EgressInfo): RecordingType {
  return info.request.case === 'track' ? 'raw-tracks' : 'cloud';
}

const CANCELED: ReadonlySet<EgressStatus> = new Set([EgressStatus.EGRESS_FAILED, EgressStatus.EGRESS_ABORTED, EgressStatus.EGRESS_LIMIT_REACHED]);

export const egressFailed = (info: EgressInfo) => CANCELED.has(info.status);

export function egressStatus(info: EgressInfo): RecordingStatus {
  if (info.status === EgressStatus.EGRESS_COMPLETE) return 'finished';
  return egressFailed(info) ? 'canceled' : 'in-progress';
}

export const nanosecondsToDate = (ns: bigint) => new Date(Number(ns / 1_000_000n));

export interface LiveKitEgressFile {
  /** Object key in the bucket. */
  key: string;
  /** Where the egress says it wrote it (an URL or s3://). */
  location: string;
  sizeBytes: number;
  durationSeconds: number;
  startedAt: Date;
}

export function egressFile(info: EgressInfo): LiveKitEgressFile | null {
  const file = info.fileResults[0];
  if (!file?.filename) return null;
  return {
    key: file.filename,
    location: file.location,
    sizeBytes: Number(file.size),
    durationSeconds: Number(file.duration) / 1e9,
    startedAt: nanosecondsToDate(file.startedAt > 0n ? file.startedAt : info.startedAt),
  };
}

/** A track egress's file as the seam's track: its speaker's session from our key layout, its own start. */
export function egressTrack(file: LiveKitEgressFile): RecordingTrack {
  const parsed = parseLiveKitTrackKey(file.key);
  return { type: 'audio', key: file.key, size: file.sizeBytes, ...(parsed && { sessionId: parsed.participantSid }), startedAt: file.startedAt };
}

/** When the egress started recording; one still starting has only its last update. */
export function egressStartedAt(info: EgressInfo): Date {
  return nanosecondsToDate(info.startedAt > 0n ? info.startedAt : info.updatedAt);
}

/**
 * A ListEgress item as the seam's recording. A composite still recording has no key yet (Egress resolves `{time}`
 * when it writes), so its objectKey is ''; a track egress's `tracks` is empty until its file is written.
 */
export function egressAsRecording(info: EgressInfo): PlatformRecording {
  const type = egressRecordingType(info);
  const file = egressFile(info);
  return {
    id: info.egressId,
    roomName: info.roomName,
    startedAt: egressStartedAt(info),
    status: egressStatus(info),
    ...(file && { durationSeconds: file.durationSeconds }),
    objectKey: file?.key ?? '',
    meetingSessionId: info.roomId || null,
    type,
    tracks: type === 'raw-tracks' ? (file ? [egressTrack(file)] : []) : null,
  };
}
