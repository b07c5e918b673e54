// Recordings as the pipeline leaves them, for the recording-management tests: a room owned by a user, a
// meeting, recording rows, a transcript, and their objects in storage under the keys the pipeline uses.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Meeting, Recording, RecordingShare, Room, Transcript, type RecordingKind, type RecordingStatus } from '../../db/entities.ts';
import type { ObjectStorage } from '../../storage/object-storage.ts';
import { transcriptKey } from '../../recordings/keys.ts';
import type { Segment } from '../../transcripts/words.ts';
import { compositeSpeakerName } from '../../recordings/messages.ts';
import type { TestProduct } from './product.ts';

export async function seedRoom(em: EntityManager, options: { name: string; ownerId: string; retentionDays?: number | null }): Promise<{ room: Room; meeting: Meeting }> {
  const room = em.create(Room, { name: options.name, ownerId: options.ownerId, retentionDays: options.retentionDays ?? null });
  const start = new Date(Date.now() - 3_600_000);
  const meeting = em.create(Meeting, {
    room, platform: 'daily', platformRoomName: `${options.name}-20261121000000`, startDate: start, endDate: new Date(start.getTime() + 1_800_000),
    recordingType: 'cloud', recordingTrigger: 'automatic', active: false,
  });
  await em.flush();
  return { room, meeting };
}

export interface SeededRecording {
  recording: Recording;
  transcript: Transcript | null;
  /** Every object written for it. */
  keys: string[];
}

/**
 * A recording with its objects: cloud → one MP4 (also the meeting's cloud recording key); raw-tracks → audio
 * and video tracks, pipeline scratch under work/, and (with a transcript) exports, words, MP3 and waveform.
 */
export async function seedRecording(
  em: EntityManager,
  storage: ObjectStorage | null,
  options: { meeting: Meeting; type?: RecordingKind; status?: RecordingStatus; recordedAt?: Date; transcript?: boolean; mp3?: boolean; tracks?: number },
): Promise<SeededRecording> {
  const type = options.type ?? 'cloud';
  const id = randomBytes(8).toString('hex');
  const startMs = (options.recordedAt ?? new Date()).getTime();
  const objectKey = `test.daily.co/${options.meeting.platformRoomName}/${startMs}${type === 'cloud' ? `-${id}.mp4` : `-${id}`}`;
  const trackCount = options.tracks ?? 2;
  const trackKeys = type === 'raw-tracks' ? Array.from({ length: trackCount }, (_, i) => `${objectKey}-session${i}-cam-audio-${startMs + i}`) : null;
  const recording = em.create(Recording, {
    id, meeting: options.meeting, type, bucket: storage?.bucket ?? 'local', objectKey, trackKeys,
    recordedAt: options.recordedAt ?? new Date(), durationSeconds: 60, sizeBytes: 1000, status: options.status ?? 'completed',
  });
  await em.flush();
  const keys: string[] = [];
  const put = async (key: string, body: string, contentType = 'application/octet-stream') => {
    keys.push(key);
    await storage?.put(key, body, { contentType });
  };
  if (type === 'cloud') {
    await put(objectKey, `mp4 of ${id}`, 'video/mp4');
    if (!options.meeting.cloudRecordingKey) {
      options.meeting.cloudRecordingKey = objectKey;
      await em.flush();
    }
  } else {
    for (const [i, key] of trackKeys!.entries()) {
      await put(key, `audio track ${i} of ${id}`, 'audio/webm');
      await put(key.replace('cam-audio', 'cam-video'), `video track ${i} of ${id}`, 'video/webm');
      await put(`work/${id}/track-${i}/manifest.json`, '{}', 'application/json');
      await put(`work/${id}/track-${i}/chunk-0.wav`, 'wav', 'audio/wav');
    }
  }
  let transcript: Transcript | null = null;
  if (options.transcript) {
    transcript = em.create(Transcript, { recording, status: (options.status ?? 'completed') === 'completed' ? 'ended' : 'processing' });
    await em.flush();
    for (const file of ['segments.json', 'words/track-0.json']) await put(`transcripts/${transcript.id}/${file}`, '[]', 'application/json');
    await put(`transcripts/${transcript.id}/transcript.vtt`, 'WEBVTT\n', 'text/vtt');
    if (options.mp3) {
      transcript.audioKey = `transcripts/${transcript.id}/audio.mp3`;
      transcript.waveformKey = `transcripts/${transcript.id}/waveform.json`;
      await put(transcript.audioKey, `mp3 of ${id}`, 'audio/mpeg');
      await put(transcript.waveformKey, '{"peaks":[0.5],"durationSeconds":60}', 'application/json');
      await em.flush();
    }
  }
  return { recording, transcript, keys };
}

/** Keys still in storage among `keys`. */
export async function remainingKeys(storage: ObjectStorage, keys: string[]): Promise<string[]> {
  const present: string[] = [];
  for (const key of keys) if (await storage.head(key)) present.push(key);
  return present;
}

/**
 * A finished transcript's content as the pipeline leaves it: its turns in segments.json (under the pipeline's key),
 * its title and duration, one participant per name (speaker = index; '' for one never named).
 */
export async function seedTranscriptContent(
  em: EntityManager,
  storage: ObjectStorage,
  transcriptId: string,
  content: { segments: Segment[]; names: string[]; title?: string; durationSeconds?: number },
): Promise<void> {
  await em.nativeUpdate(Transcript, { id: transcriptId }, {
    ...(content.title === undefined ? {} : { title: content.title }),
    durationSeconds: content.durationSeconds ?? 60,
    participants: content.names.map((name, speaker) => ({ speaker, name, platformParticipantId: null, userId: null })),
  });
  await storage.put(transcriptKey(transcriptId, 'segments.json'), JSON.stringify(content.segments), { contentType: 'application/json' });
}

/** The recording shared with these users (share mode 'shared', one share each). */
export async function shareRecording(em: EntityManager, recordingId: string, userIds: string[]): Promise<void> {
  await em.nativeUpdate(Recording, { id: recordingId }, { shareMode: 'shared' });
  for (const user of userIds) em.create(RecordingShare, { recording: recordingId, user });
  await em.flush();
}

/** A composite-only platform's transcript: one speaker, the whole room, in which each pattern is heard. */
export async function assertCompositeTranscriptHeard(product: TestProduct, transcriptId: string, roomName: string, heardPatterns: RegExp[]): Promise<void> {
  const transcript = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
  assert.equal(transcript.speakers, 'mixed-audio');
  const segments = transcript.segments as Array<{ speakerName: string; text: string }>;
  assert.ok(segments.length >= 1);
  assert.ok(segments.every((s) => s.speakerName === compositeSpeakerName(roomName)), JSON.stringify(segments));
  const heard = segments.map((s) => s.text).join(' ').toLowerCase();
  for (const pattern of heardPatterns) assert.match(heard, pattern, heard);
}

/** The meeting's composite plays through our link (a 307 to storage), `size` bytes; answers where the link went. */
export async function assertCloudRecordingPlays(product: TestProduct, meetingId: string, size: number): Promise<string> {
  const link = await fetch(`${product.url}/v1/meetings/${meetingId}/cloud-recording`, { redirect: 'manual', headers: product.adminHeaders });
  assert.equal(link.status, 307);
  const location = link.headers.get('location')!;
  const video = await fetch(location);
  assert.equal(video.status, 200);
  assert.equal((await video.arrayBuffer()).byteLength, size);
  return location;
}
