// Activities about recordings: controlling them at the platform, learning what the platform has, and
// storing what we learn. Each is idempotent, so a retry or a second path changes nothing.
import { Readable, Transform, pipeline } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { Meeting, ParticipantSession, Recording, RecordingAccessLog, type StoredTrackFacts } from '../db/entities.ts';
import { metrics } from '../runtime/metrics.ts';
import { COMPOSITE, SPEAKER_AUDIO, type ParticipantWrite, type RecordingKind, type ReadyRecording } from '../meetings/messages.ts';
import type { RecordingWorkflowInput } from '../recordings/messages.ts';
import { platformFileKey } from '../recordings/keys.ts';
import { probeContainerDuration } from '../audio/tracks.ts';
import type { Platform } from '../platforms/platform.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import { classifyPlatformError } from './errors.ts';
import { deleteRefusedMedia } from './consent.ts';
import { platformOf, type ActivityDependencies } from './index.ts';

export function createRecordingActivities({ db, storage, platforms }: ActivityDependencies) {
  const trackRecorderOf = (name: string) => {
    const recorder = platformOf(platforms, name).trackRecorder;
    if (!recorder) throw ApplicationFailure.nonRetryable(`the ${name} platform does not record tracks on their own`, 'PlatformRequestRefused');
    return recorder;
  };
  return {
    async startPlatformRecording(input: { platform?: string; platformRoomName: string; kind: RecordingKind; instanceId: string; maxDurationSeconds?: number }): Promise<'started' | 'already-active'> {
      try {
        return await platformOf(platforms, input.platform).startRecording(input.platformRoomName, {
          type: input.kind, instanceId: input.instanceId, ...(input.maxDurationSeconds !== undefined && { maxDurationSeconds: input.maxDurationSeconds }),
        });
      } catch (error) {
        return classifyPlatformError(error);
      }
    },

    async stopPlatformRecording(input: { platform?: string; platformRoomName: string; kind: RecordingKind; instanceId: string }): Promise<'stopped' | 'not-active'> {
      try {
        return await platformOf(platforms, input.platform).stopRecording(input.platformRoomName, { type: input.kind, instanceId: input.instanceId });
      } catch (error) {
        return classifyPlatformError(error);
      }
    },

    /** Per-track platforms: the microphones published in the room now. */
    async publishedAudioTracks(input: { platform: string; platformRoomName: string }): Promise<Array<{ trackId: string; sessionId: string }>> {
      try {
        return await trackRecorderOf(input.platform).publishedAudioTracks(input.platformRoomName);
      } catch (error) {
        return classifyPlatformError(error);
      }
    },

    /** Per-track platforms: records one microphone; the answer names the recording its events will name. */
    async startSpeakerTrackRecording(input: { platform: string; platformRoomName: string; trackId: string; sessionId: string }): Promise<{ recordingId: string }> {
      try {
        return await trackRecorderOf(input.platform).startTrackRecording(input.platformRoomName, { trackId: input.trackId, sessionId: input.sessionId });
      } catch (error) {
        return classifyPlatformError(error);
      }
    },

    async stopSpeakerTrackRecording(input: { platform: string; recordingId: string }): Promise<'stopped' | 'not-active'> {
      try {
        return await trackRecorderOf(input.platform).stopTrackRecording(input.recordingId);
      } catch (error) {
        return classifyPlatformError(error);
      }
    },

    /** The presence sweep: does the platform still have a call in the room? */
    async isPlatformMeetingOngoing(input: { platform?: string; platformRoomName: string }): Promise<boolean> {
      try {
        return await platformOf(platforms, input.platform).hasOngoingMeeting(input.platformRoomName);
      } catch (error) {
        return classifyPlatformError(error);
      }
    },

    /** Reconciliation: every finished recording the platform has for this meeting's room. */
    async findPlatformRecordings(input: { platform?: string; platformRoomName: string }): Promise<ReadyRecording[]> {
      const found: ReadyRecording[] = [];
      let cursor: string | undefined;
      try {
        do {
          const page = await platformOf(platforms, input.platform).listRecordings({ roomName: input.platformRoomName, limit: 100, startingAfter: cursor });
          for (const r of page.recordings) {
            if (r.status !== 'finished' || r.roomName !== input.platformRoomName) continue;
            found.push({
              recordingId: r.id,
              kind: r.type,
              startedAt: r.startedAt.toISOString(),
              durationSeconds: r.durationSeconds ?? 0,
              objectKey: r.objectKey,
              tracks: r.tracks?.map((t) => ({ type: t.type, key: t.key, size: t.size, ...(t.sessionId !== undefined && { sessionId: t.sessionId }), ...(t.startedAt && { startedAt: t.startedAt.toISOString() }) })) ?? null,
              platformMeetingId: r.meetingSessionId,
            });
          }
          cursor = page.hasMore ? page.nextCursor : undefined;
        } while (cursor);
      } catch (error) {
        return classifyPlatformError(error);
      }
      return found;
    },

    /**
     * Where the meeting's platform keeps the files in its own storage (Platform.recordingFileLink): copies each file
     * of the recording into ours, from a fresh link, streamed and checked by size, and answers the keys of our
     * copies. Null where the platform writes into our storage (nothing to copy). A copy already made is kept.
     */
    async copyPlatformFiles(input: Pick<RecordingWorkflowInput, 'meetingId' | 'recordingId' | 'kind' | 'objectKey' | 'tracks'>): Promise<Pick<RecordingWorkflowInput, 'objectKey' | 'tracks'> | null> {
      const meeting = await db.em.fork().findOne(Meeting, input.meetingId);
      const platform = meeting && platformOf(platforms, meeting.platform);
      if (!meeting || !platform?.recordingFileLink) return null;
      const copy = async (key: string) => {
        // A reprocessed recording names our copies already.
        if (key.startsWith(platformFileKey(platform.name, ''))) return key;
        const ours = platformFileKey(platform.name, key);
        await copyPlatformFile(platform, storage, { platformRoomName: meeting.platformRoomName, recordingId: input.recordingId, key }, ours);
        return ours;
      };
      const tracks = input.tracks ? await Promise.all(input.tracks.map(async (t) => ({ ...t, key: await copy(t.key) }))) : null;
      // A per-speaker recording's object key is its tracks' common prefix, not a file; a composite's is its file.
      const prefixed = (key: string) => (key.startsWith(platformFileKey(platform.name, '')) ? key : platformFileKey(platform.name, key));
      const objectKey = input.kind === SPEAKER_AUDIO || !input.objectKey ? (input.objectKey && prefixed(input.objectKey)) : await copy(input.objectKey);
      return { objectKey, tracks };
    },

    /** Stores one ready recording: raw-tracks with its audio track keys (video ignored); cloud on its meeting too. */
    /** `durationSeconds`: read from the stored file when the platform did not say (Whereby's recording.finished). */
    async persistRecording(input: RecordingWorkflowInput): Promise<{ audioTracks: number; durationSeconds?: number }> {
      const em = db.em.fork();
      // A recording its owner (or retention) deleted stays deleted: a late or replayed webhook must not bring
      // back its row. The access log — kept after deletion as the audit trail — says it was deleted.
      if (await em.count(RecordingAccessLog, { recordingId: input.recordingId, action: 'delete' })) {
        throw ApplicationFailure.nonRetryable(`Recording ${input.recordingId} was deleted (see its access log); it is not stored again`, 'RecordingDeleted');
      }
      const audioKeys = input.tracks?.filter((t) => t.type === 'audio').map((t) => t.key) ?? [];
      const durationSeconds = input.durationSeconds > 0 || input.kind !== COMPOSITE || !input.objectKey
        ? input.durationSeconds
        : Math.round((await probeContainerDuration(await storage.signedGetUrl(input.objectKey, { expiresInSeconds: 600 }))) ?? 0);
      // A rerun of the pipeline (reprocess) knows the keys but not the sizes: the stored size stays.
      const sizeBytes = input.tracks?.filter((t) => t.type === 'audio').reduce((sum, t) => sum + t.size, 0) ?? null;
      const fields = {
        meeting: input.meetingId,
        type: input.kind,
        bucket: storage.bucket,
        objectKey: input.objectKey,
        trackKeys: input.kind === SPEAKER_AUDIO ? audioKeys : null,
        trackFacts: trackFactsOf(input.tracks),
        recordedAt: new Date(input.startedAt),
        durationSeconds,
        sizeBytes,
        // Raw tracks are processing until their transcript ends; a cloud recording is complete once stored.
        status: input.kind === SPEAKER_AUDIO ? ('processing' as const) : ('completed' as const),
        error: input.kind === SPEAKER_AUDIO && input.tracks === null ? 'the platform listed no tracks (permissions removed?)' : null,
      };
      await em.upsert(Recording, { id: input.recordingId, ...fields }, {
        onConflictFields: ['id'], onConflictAction: 'merge', onConflictExcludeFields: sizeBytes === 0 ? ['createdAt', 'sizeBytes'] : ['createdAt'],
      });
      if (input.kind === COMPOSITE) {
        // Set once: the first path to arrive wins, a second is a no-op.
        await em.nativeUpdate(Meeting, { id: input.meetingId, cloudRecordingKey: null }, { cloudRecordingKey: input.objectKey, cloudRecordingDuration: durationSeconds });
      }
      if (input.platformMeetingId) await em.nativeUpdate(Meeting, { id: input.meetingId, platformMeetingId: null }, { platformMeetingId: input.platformMeetingId });
      // A cloud recording is settled once stored: the consent rule applies now, however late it came (activities/consent.ts).
      if (input.kind === COMPOSITE) await deleteRefusedMedia(db, storage, input.meetingId);
      return { audioTracks: audioKeys.length, ...(durationSeconds !== input.durationSeconds && { durationSeconds }) };
    },

    /** A start the platform accepted: a `pending` row under the workflow's id for it, until the platform confirms. */
    async recordRecordingRequested(input: { meetingId: string; recordingId: string; kind: RecordingKind; requestedAt: string }): Promise<void> {
      await db.em.fork().upsert(Recording, {
        id: input.recordingId, meeting: input.meetingId, type: input.kind, bucket: storage.bucket, objectKey: '', recordedAt: new Date(input.requestedAt), status: 'pending',
      }, { onConflictFields: ['id'], onConflictAction: 'ignore' });
    },

    /**
     * The platform confirmed a recording (recording.started, or its ready came first): its row, under the
     * platform's id, is `recording` unless it has moved on already; the row it replaces goes: the pending row of
     * its start, or (`replacedStatus: 'recording'`) the row under the id that stood in for it until the platform named it.
     */
    async recordRecordingStarted(input: { meetingId: string; recordingId: string; kind: RecordingKind; startedAt: string; replaces: string | null; replacedStatus?: 'pending' | 'recording' }): Promise<void> {
      await db.em.fork().transactional(async (em) => {
        if (input.replaces) await em.nativeDelete(Recording, { id: input.replaces, status: input.replacedStatus ?? 'pending' });
        await em.upsert(Recording, {
          id: input.recordingId, meeting: input.meetingId, type: input.kind, bucket: storage.bucket, objectKey: '', recordedAt: new Date(input.startedAt), status: 'recording',
        }, { onConflictFields: ['id'], onConflictAction: 'ignore' });
      });
    },

    /** `recordingId` is the platform's id, or the workflow's stable `unreported:…` id for a start never reported. */
    async markRecordingMissing(input: { meetingId: string; recordingId: string; kind: RecordingKind | null; reason: string }): Promise<void> {
      const em = db.em.fork();
      const id = input.recordingId;
      const existing = await em.findOne(Recording, id);
      if (existing && existing.status === 'completed') return;
      await em.upsert(Recording, {
        id, meeting: input.meetingId, type: input.kind ?? SPEAKER_AUDIO, bucket: storage.bucket, objectKey: existing?.objectKey ?? '',
        recordedAt: existing?.recordedAt ?? new Date(), status: 'missing', error: input.reason,
      }, { onConflictFields: ['id'], onConflictAction: 'merge', onConflictExcludeFields: ['createdAt', 'recordedAt', 'objectKey'] });
    },

    async recordRecordingError(input: { meetingId: string; recordingId: string | null; kind: RecordingKind | null; message: string }): Promise<void> {
      const em = db.em.fork();
      await em.nativeUpdate(Meeting, { id: input.meetingId }, { recordingError: input.message });
      if (!input.recordingId) return;
      await em.upsert(Recording, {
        id: input.recordingId, meeting: input.meetingId, type: input.kind ?? SPEAKER_AUDIO, bucket: storage.bucket, objectKey: '',
        recordedAt: new Date(), status: 'failed', error: input.message,
      }, { onConflictFields: ['id'], onConflictAction: 'merge', onConflictMergeFields: ['status', 'error'] });
    },

    /** `leftAt` for a join that arrives after the meeting ended (it is recorded as already left); a known leave is kept. */
    async recordParticipantJoined(input: { meetingId: string; sessionId: string; userId: string | null; userName: string | null; isOwner: boolean; at: string; leftAt?: string; receivedAt?: string }): Promise<void> {
      const em = db.em.fork();
      await writeParticipant(em, input.meetingId, { ...input, type: 'participant.joined' });
      await updateParticipantCount(em, input.meetingId);
      observeAppliedLag([input]);
    },

    /** Participant events that waited together, written in their order in one transaction. */
    async recordParticipantEvents(input: { meetingId: string; writes: ParticipantWrite[] }): Promise<void> {
      await db.em.fork().transactional(async (em) => {
        for (const write of input.writes) await writeParticipant(em, input.meetingId, write);
        await updateParticipantCount(em, input.meetingId);
      });
      observeAppliedLag(input.writes);
    },

    /** The meeting ended: every session still open is closed at its end (never before its own join). */
    async closeParticipantSessions(input: { meetingId: string; at: string }): Promise<void> {
      const em = db.em.fork();
      await em.getConnection().execute(
        'update participant_session set left_at = greatest(joined_at, ?::timestamptz) where meeting_id = ? and left_at is null',
        [input.at, input.meetingId],
      );
      await updateParticipantCount(em, input.meetingId);
    },

    async recordParticipantLeft(input: { meetingId: string; sessionId: string; at: string }): Promise<void> {
      const em = db.em.fork();
      await writeParticipant(em, input.meetingId, { type: 'participant.left', sessionId: input.sessionId, at: input.at });
      await updateParticipantCount(em, input.meetingId);
    },

    async recordPlatformMeeting(input: { meetingId: string; platformMeetingId: string }): Promise<void> {
      await db.em.fork().nativeUpdate(Meeting, { id: input.meetingId, platformMeetingId: null }, { platformMeetingId: input.platformMeetingId });
    },
  };
}

type EntityManager = ActivityDependencies['db']['em'];

/**
 * One file from the platform's storage into ours, streamed (never whole in memory) with heartbeats, and kept only
 * when every byte came: the count must match the link's Content-Length and the size the platform states. A file
 * copied before (a retry) is not fetched again. Failures are retried: the next attempt asks for a fresh link.
 */
async function copyPlatformFile(platform: Platform, storage: ObjectStorage, file: { platformRoomName: string; recordingId: string; key: string }, ours: string): Promise<void> {
  let link;
  try {
    link = await platform.recordingFileLink!(file);
  } catch (error) {
    return classifyPlatformError(error);
  }
  if (!link) throw new Error(`${platform.name} has no file ${file.key} in room ${file.platformRoomName} (yet?)`);
  const existing = await storage.head(ours);
  if (existing && link.size !== undefined && existing.size === link.size) return;
  const response = await fetch(link.url, { signal: AbortSignal.timeout(30 * 60_000) });
  if (!response.ok || !response.body) throw new Error(`${platform.name} answered ${response.status} for the file ${file.key} (an expired link is asked for anew on the next attempt)`);
  const declared = response.headers.get('content-length');
  const expected = declared !== null ? Number(declared) : link.size;
  if (link.size !== undefined && expected !== link.size) throw new Error(`${platform.name} serves ${expected} bytes for ${file.key}, which it says has ${link.size}`);
  let received = 0;
  let lastBeat = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (Date.now() - lastBeat > 5_000) {
        lastBeat = Date.now();
        Context.current().heartbeat({ key: file.key, received });
      }
      done(null, chunk);
    },
  });
  // pipeline: a broken download errors the stream the store reads (pipe would leave it waiting).
  const body = pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), counter, () => undefined);
  await storage.put(ours, body, { contentType: response.headers.get('content-type') ?? 'application/octet-stream', ...(expected !== undefined && { size: expected }) });
  const stored = await storage.head(ours);
  if ((expected !== undefined && received !== expected) || stored?.size !== received) {
    await storage.delete(ours);
    throw new Error(`the copy of ${file.key} is incomplete: ${received} of ${expected ?? '?'} bytes came, ${stored?.size ?? 0} stored`);
  }
}

/** A session's row as a participant event leaves it; a known leave is kept by a later join. */
/** A participant event is applied once its row is written: the time since its webhook arrived (a retried write counts again). */
function observeAppliedLag(writes: ReadonlyArray<{ receivedAt?: string }>): void {
  const now = Date.now();
  for (const { receivedAt } of writes) if (receivedAt) metrics.webhookAppliedLagSeconds.observe(Math.max(0, now - Date.parse(receivedAt)) / 1000);
}

async function writeParticipant(em: EntityManager, meetingId: string, write: ParticipantWrite): Promise<void> {
  if (write.type === 'participant.joined') {
    await em.upsert(ParticipantSession, {
      meeting: meetingId, sessionId: write.sessionId, userId: write.userId, userName: write.userName, isOwner: write.isOwner, joinedAt: new Date(write.at),
      ...(write.leftAt ? { leftAt: new Date(write.leftAt) } : {}),
    }, { onConflictFields: ['meeting', 'sessionId'], onConflictAction: 'merge', onConflictMergeFields: ['userId', 'userName', 'isOwner', 'joinedAt'] });
    return;
  }
  // A leave may come before its join: the row is made here (joinedAt until the join says) and the join keeps leftAt.
  await em.upsert(ParticipantSession, {
    meeting: meetingId, sessionId: write.sessionId, joinedAt: new Date(write.at), leftAt: new Date(write.at),
  }, { onConflictFields: ['meeting', 'sessionId'], onConflictAction: 'merge', onConflictMergeFields: ['leftAt'] });
}

async function updateParticipantCount(em: ActivityDependencies['db']['em'], meetingId: string): Promise<void> {
  const present = await em.count(ParticipantSession, { meeting: meetingId, leftAt: null });
  await em.nativeUpdate(Meeting, { id: meetingId }, { participantCount: present });
}

/** What the platform's events said of each track (its speaker session and first sample), by key; null if nothing. */
function trackFactsOf(tracks: RecordingWorkflowInput['tracks']): Record<string, StoredTrackFacts> | null {
  const stated = (tracks ?? []).filter((t) => t.type === 'audio' && t.sessionId && t.startedAt);
  return stated.length ? Object.fromEntries(stated.map((t) => [t.key, { sessionId: t.sessionId!, startedAt: t.startedAt! }])) : null;
}
