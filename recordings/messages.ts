// The messages of a recording's processing, shared by the API, workflows/ (recordingWorkflow) and
// activities/: pure types and constants, no I/O, so workflow code may import them.
import type { PerSpeakerAudio, ReadyRecording } from '../meetings/messages.ts';

export interface RecordingWorkflowInput extends ReadyRecording {
  meetingId: string;
  roomName: string;
  /** The platform records no per-speaker audio (RecordingCapabilities.perSpeakerAudio `none`): the composite gets a
   * transcript of its mixed audio with one speaker, the whole room. Absent: the composite is only stored. */
  compositeTranscript?: true;
  /** The language this run transcribes (a reprocess may ask another, ISO 639-1); absent: TRANSCRIPT_LANGUAGE. */
  language?: string;
  /** The speech engine this run hears with, by its label (a reprocess may choose another configured one); absent: the default. */
  speechEngine?: string;
}

/** The one speaker of a composite-only transcript: the whole room (no diarization model is available offline). */
/** Set wherever a recording's processing starts, from its meeting's platform's capability. */
export const compositeTranscriptFor = (perSpeakerAudio: PerSpeakerAudio | undefined): Pick<RecordingWorkflowInput, 'compositeTranscript'> =>
  perSpeakerAudio === 'none' ? { compositeTranscript: true } : {};

export const compositeSpeakerName = (roomName: string) => `Room ${roomName}`;

export interface RecordingWorkflowResult {
  recordingId: string;
  kind: ReadyRecording['kind'];
  audioTracks: number;
  transcriptId?: string;
  transcriptStatus?: 'ended' | 'error';
  warnings?: string[];
}

export type TranscriptionStep = 'storing' | 'tracks' | 'transcribing' | 'merging' | 'mixdown' | 'summarizing' | 'finishing' | 'delivering' | 'copying' | 'done' | 'failed';

export interface TranscriptionProgress {
  step: TranscriptionStep;
  tracksTotal: number;
  tracksDone: number;
  tracksFailed: number;
  warnings: string[];
}

export const recordingWorkflowId = (recordingId: string) => `recording/${recordingId}`;
