import { z } from 'zod';
import type { RecordingTrack, RecordingType, TrackFacts } from '../platform.ts';
import { placeTrack, type MediaProbe, type TrackPlacement } from '../../audio/tracks.ts';

// Daily's recording storage layout and track entries, shared by webhook and REST normalization and by the
// simulator that writes them. Default layout (no recordings_template):
//   cloud:      {domain}/{room}/{recording_start_ms}
//   raw track:  {domain}/{room}/{recording_start_ms}-{session_id}-{cam-audio|cam-video}-{track_start_ms}
// Objects have no extension; raw tracks are WebM (Opus audio), cloud recordings MP4.

export type DailyTrackMediaType = 'cam-audio' | 'cam-video' | 'screen-audio' | 'screen-video';

/** Daily's raw-tracks-tools pattern, without the extension Daily's keys lack. */
export const DAILY_TRACK_NAME = /^(\d+)-(.{36})-(.+)-(\d+)$/;

export function dailyRecordingKey(domain: string, roomName: string, recordingStartMs: number): string {
  return `${domain}/${roomName}/${recordingStartMs}`;
}

export function dailyTrackKey(
  recordingKey: string,
  sessionId: string,
  mediaType: DailyTrackMediaType,
  trackStartMs: number,
): string {
  return `${recordingKey}-${sessionId}-${mediaType}-${trackStartMs}`;
}

export interface ParsedTrackKey {
  recordingStartMs: number;
  sessionId: string;
  mediaType: string;
  trackStartMs: number;
}

export function parseDailyTrackKey(key: string): ParsedTrackKey | null {
  const match = DAILY_TRACK_NAME.exec(key.slice(key.lastIndexOf('/') + 1));
  if (!match) return null;
  return {
    recordingStartMs: Number(match[1]),
    sessionId: match[2]!,
    mediaType: match[3]!,
    trackStartMs: Number(match[4]),
  };
}

/**
 * `{domain}/{room}/{recording_start_ms}-{session_id}-{media_type}-{track_start_ms}`, as Daily names raw
 * tracks; a file extension, which Daily's default keys lack, is tolerated. Null for anything else.
 */
export function parseTrackKey(key: string): ParsedTrackKey | null {
  return parseDailyTrackKey(key.replace(/\.[a-z0-9]{2,5}$/i, ''));
}

/** What a raw track's key tells, in the platform-neutral words of Platform.describeTrack. */
export function describeDailyTrack(key: string): TrackFacts | null {
  const parsed = parseTrackKey(key);
  if (!parsed) return null;
  return { sessionId: parsed.sessionId, speakerAudio: parsed.mediaType === 'cam-audio', recordingStartMs: parsed.recordingStartMs, trackStartMs: parsed.trackStartMs };
}

/** A raw track's offset in its recording, from its key, checked against its container (audio/tracks.ts placeTrack). */
export function trackOffsetSeconds(key: string, probe: Pick<MediaProbe, 'startTimeSeconds'>): TrackPlacement {
  return placeTrack(key, parseTrackKey(key), probe);
}

/** A raw-track entry: webhooks are observed with `s3Key`, Daily's OpenAPI spells it `s3key`; accept both. */
export const dailyTrackSchema = z
  .looseObject({
    type: z.enum(['audio', 'video']),
    s3Key: z.string().min(1).optional(),
    s3key: z.string().min(1).optional(),
    size: z.number().nonnegative(),
  })
  .refine((track) => track.s3Key !== undefined || track.s3key !== undefined, 'track has neither s3Key nor s3key');

export type DailyTrack = z.infer<typeof dailyTrackSchema>;

export function normalizeDailyTracks(tracks: DailyTrack[] | null | undefined): RecordingTrack[] | null {
  if (tracks == null) return null;
  return tracks.map((track) => {
    const key = (track.s3Key ?? track.s3key)!;
    const parsed = parseDailyTrackKey(key);
    return {
      type: track.type,
      key,
      size: track.size,
      ...(parsed && { sessionId: parsed.sessionId, startedAt: new Date(parsed.trackStartMs) }),
    };
  });
}

/** Daily's REST API never says which kind a recording is: tracks present means raw-tracks. */
export function inferRecordingType(declared: string | undefined, tracks: DailyTrack[] | null | undefined): RecordingType {
  if (declared === 'raw-tracks') return 'raw-tracks';
  // cloud-audio-only is still one composed file.
  if (declared === 'cloud' || declared === 'cloud-audio-only') return 'cloud';
  return tracks != null && tracks.length > 0 ? 'raw-tracks' : 'cloud';
}

export function secondsToDate(seconds: number): Date {
  return new Date(Math.round(seconds * 1000));
}
