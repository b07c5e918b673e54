// What a recording owns in storage, and deleting it (recording deletion, retention, a consent refusal):
//   composite:   its MP4 (`objectKey`, also the meeting's `cloudRecordingKey`)
//   per-speaker: its tracks, `<objectKey>-…` as the platform names them (`trackKeys` lists the audio ones)
//   transcript:  transcripts/<transcriptId>/… (words, segments, exports, audio.mp3, waveform.json)
//   pipeline:    work/<recordingId>/… (chunks, manifests, partial words)
// The layout itself is recordings/keys.ts.
import type { Recording, Transcript } from '../db/entities.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import { COMPOSITE } from '../meetings/messages.ts';
import { recordingWorkPrefix, tracksPrefix, transcriptPrefix } from './keys.ts';

export interface DeletionTargets {
  /** Exact keys. */
  keys: string[];
  /** Every key under these prefixes. */
  prefixes: string[];
}

/** Where a recording's media is (its tracks and the platform's other files, its MP4, pipeline scratch, the mixed
 * MP3): what a consent refusal deletes. The words, exports and waveform are not media. */
export function mediaTargets(recording: Pick<Recording, 'id' | 'type' | 'objectKey' | 'trackKeys'>, transcript: Pick<Transcript, 'audioKey'> | null): DeletionTargets {
  const keys = new Set<string>(recording.trackKeys ?? []);
  const prefixes = new Set<string>([recordingWorkPrefix(recording.id)]);
  if (recording.objectKey) {
    if (recording.type === COMPOSITE) keys.add(recording.objectKey);
    else prefixes.add(tracksPrefix(recording.objectKey));
  }
  if (transcript?.audioKey) keys.add(transcript.audioKey);
  return { keys: [...keys], prefixes: [...prefixes].filter((prefix) => prefix.length > 1 && !prefix.startsWith('/')) };
}

/** Where a recording's objects are (its media, and its transcript's files); never an empty or bucket-wide prefix. */
export function deletionTargets(recording: Pick<Recording, 'id' | 'type' | 'objectKey' | 'trackKeys'>, transcript: Pick<Transcript, 'id' | 'audioKey' | 'waveformKey'> | null): DeletionTargets {
  const media = mediaTargets(recording, transcript);
  if (!transcript) return media;
  return {
    keys: [...new Set([...media.keys, ...(transcript.waveformKey ? [transcript.waveformKey] : [])])],
    prefixes: [...media.prefixes, transcriptPrefix(transcript.id)],
  };
}

/** Deletes every key and everything under every prefix; a missing object is no error. Calls `onDeleted` after each. */
export async function deleteTargets(storage: ObjectStorage, targets: DeletionTargets, onDeleted: (key: string) => void = () => {}): Promise<void> {
  for (const key of targets.keys) {
    await storage.delete(key);
    onDeleted(key);
  }
  for (const prefix of targets.prefixes) {
    for await (const object of storage.list(prefix)) {
      await storage.delete(object.key);
      onDeleted(object.key);
    }
  }
}
