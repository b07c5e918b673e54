// Consent: "may we keep your audio after transcription?". If anyone in a meeting says no, none of the meeting's
// media is kept: every recording's raw tracks (and the platform's other files of that recording), the pipeline's
// scratch, the mixed MP3, and the cloud (composite) MP4, which carries every voice. Words, exports and summaries
// stay: the question is about audio, and the participant was told the transcript stays (web/src/pages/Room.tsx).
// Reflector applies the same meeting-wide rule after transcription (cleanup_consent).
//
// One rule, applied whatever order things come in:
// - whenever a recording reaches its end state: its transcript ended or failed (activities/transcription.ts),
//   a cloud recording stored (activities/recordings.ts);
// - whenever a refusal is recorded (the consent endpoint starts workflows/consent.ts).
// It touches only recordings in an end state; one still in its pipeline is left to that pipeline, which applies
// the rule after writing its end state. So a refusal recorded while a pipeline ends is seen by one side or the
// other: the pipeline reads the refusals after its end state is written, the refusal's run reads the end states
// after the refusal is written.
import { Meeting, MeetingConsent, Recording, Transcript, type RecordingStatus } from '../db/entities.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import { deleteTargets, mediaTargets } from '../recordings/deletion.ts';
import { COMPOSITE } from '../meetings/messages.ts';
import type { ActivityDependencies } from './index.ts';

/** Statuses in which nothing writes a recording's media any more. */
const SETTLED_STATUSES: RecordingStatus[] = ['completed', 'failed', 'missing'];

export interface RefusedMediaDeletion {
  refused: boolean;
  /** The recordings whose media is now deleted (all the meeting's settled ones when someone refused). */
  recordingIds: string[];
}

/** If anyone in the meeting refused consent, deletes the media of its settled recordings and marks them. Idempotent. */
export async function deleteRefusedMedia(db: ActivityDependencies['db'], storage: ObjectStorage, meetingId: string): Promise<RefusedMediaDeletion> {
  const em = db.em.fork();
  if ((await em.count(MeetingConsent, { meeting: meetingId, consentGiven: false })) === 0) return { refused: false, recordingIds: [] };
  // A recording with no key has no media of ours (a start never reported, an error before it was ready).
  const recordings = await em.find(Recording, { meeting: meetingId, status: { $in: SETTLED_STATUSES }, objectKey: { $ne: '' } }, { orderBy: { recordedAt: 'asc', id: 'asc' } });
  for (const recording of recordings) {
    const transcript = await em.findOne(Transcript, { recording: recording.id });
    await deleteTargets(storage, mediaTargets(recording, transcript));
    if (transcript) await em.nativeUpdate(Transcript, { id: transcript.id }, { audioDeleted: true });
    await em.nativeUpdate(Recording, { id: recording.id }, { mediaDeleted: true });
    if (recording.type === COMPOSITE) await em.nativeUpdate(Meeting, { id: meetingId, cloudRecordingKey: recording.objectKey }, { cloudRecordingKey: null });
  }
  return { refused: true, recordingIds: recordings.map((r) => r.id) };
}

export function createConsentActivities({ db, storage }: ActivityDependencies) {
  return {
    /** A refusal was recorded: the media of every recording already settled goes now. */
    async deleteRefusedMedia(input: { meetingId: string }): Promise<RefusedMediaDeletion> {
      return deleteRefusedMedia(db, storage, input.meetingId);
    },
  };
}
