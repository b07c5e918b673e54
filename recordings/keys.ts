// Where a recording's objects live in storage, written once: the pipeline writes these keys, the API reads them,
// deletion removes them. Keys the platform chose (its MP4, its tracks) are stored on the recording as given.

/** Pipeline scratch of one recording (decoded chunks, partial words): removed when its transcript is finished. */
export const recordingWorkPrefix = (recordingId: string) => `work/${recordingId}/`;

/** One file of one track's scratch: `chunk-0.wav`…, `manifest.json`, `words-partial.json`. */
export const trackWorkKey = (recordingId: string, track: number, file: string) => `${recordingWorkPrefix(recordingId)}track-${track}/${file}`;

/** A transcript's files (words, segments, exports, the mixed MP3, the waveform) are under this prefix. */
export const transcriptPrefix = (transcriptId: string) => `transcripts/${transcriptId}/`;

/** One of a transcript's files: `segments.json`, `transcript.vtt`, `audio.mp3`, `words/track-0.json`… */
export const transcriptKey = (transcriptId: string, file: string) => `${transcriptPrefix(transcriptId)}${file}`;

/** A file of a transcript's current content (segments.json, the exports): the pipeline's own while `contentVersion` is
 * null, else the correction's that made it, under `revisions/<contentVersion>/` (written before the row names it). */
export const transcriptContentKey = (transcript: { id: string; contentVersion?: string | null }, file: string) =>
  transcriptKey(transcript.id, transcript.contentVersion ? `revisions/${transcript.contentVersion}/${file}` : file);

/** A file of an earlier version of a transcript (segments.json, the exports), kept when a rerun replaced it. */
export const transcriptVersionKey = (transcriptId: string, number: number, file: string) => transcriptKey(transcriptId, `versions/${number}/${file}`);

/** A per-speaker audio recording's tracks are named after its object key and a dash (the dash keeps a composite
 * MP4 started in the same millisecond, whose key is the bare object key, out of the prefix). */
export const tracksPrefix = (objectKey: string) => `${objectKey}-`;

/** Our copy of a file a platform keeps in its own storage (100ms): under its platform, by the platform's own key. */
export const platformFileKey = (platform: string, key: string) => `platform-files/${platform}/${key}`;
