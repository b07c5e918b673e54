import type { ObjectStorage } from '../../../storage/object-storage.ts';
import { dailyTrackKey } from '../recordings.ts';
import type { SimMeeting, SimRecording, SimTrack } from './call-model.ts';
import { writeAudioTrack, writeCloudRecording, writeVideoTrack } from './media.ts';
import type { TimeSpan } from './media.ts';

// What a stopped recording leaves in the bucket. Raw-tracks: per participant session present during the
// recording, one cam-audio and one cam-video track starting at max(join, recording start) and ending at
// min(leave, recording stop); a rejoin is a new session and so a new pair of tracks. Cloud: one MP4.

export async function writeRecordingMedia(
  recording: SimRecording,
  meeting: SimMeeting,
  storage: ObjectStorage,
  workDir: string,
): Promise<SimTrack[]> {
  const span: TimeSpan = { fromMs: recording.startedAtMs, toMs: recording.stoppedAtMs! };
  if (recording.type !== 'raw-tracks') {
    const clips = meeting.sessions.flatMap((session) => session.speech);
    await writeCloudRecording(storage, workDir, { key: recording.s3key, span, clips });
    return [];
  }
  const tracks: SimTrack[] = [];
  for (const session of meeting.sessions) {
    const trackSpan = {
      fromMs: Math.max(session.joinedAtMs, span.fromMs),
      toMs: Math.min(session.leftAtMs ?? span.toMs, span.toMs),
    };
    if (trackSpan.toMs <= trackSpan.fromMs) continue;
    const track = { span: trackSpan, streamOffsetMs: trackSpan.fromMs - span.fromMs };
    const audioKey = dailyTrackKey(recording.s3key, session.sessionId, 'cam-audio', trackSpan.fromMs);
    const videoKey = dailyTrackKey(recording.s3key, session.sessionId, 'cam-video', trackSpan.fromMs);
    const audioSize = await writeAudioTrack(storage, workDir, { ...track, key: audioKey, clips: session.speech });
    const videoSize = await writeVideoTrack(storage, workDir, { ...track, key: videoKey });
    tracks.push({ type: 'audio', s3Key: audioKey, size: audioSize }, { type: 'video', s3Key: videoKey, size: videoSize });
  }
  return tracks;
}

/** The most sessions present at once during the span. */
export function maxConcurrentSessions(meeting: SimMeeting, span: TimeSpan): number {
  const edges = meeting.sessions
    .filter((s) => s.joinedAtMs < span.toMs && (s.leftAtMs ?? Infinity) > span.fromMs)
    .flatMap((s) => [
      { at: Math.max(s.joinedAtMs, span.fromMs), delta: 1 },
      { at: Math.min(s.leftAtMs ?? span.toMs, span.toMs), delta: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  let present = 0;
  let max = 0;
  for (const edge of edges) {
    present += edge.delta;
    max = Math.max(max, present);
  }
  return max;
}
