// The messages of a recording's processing, shared by the API, workflows/ (recordingWorkflow) and
// activities/: pure types and constants, no I/O, so workflow code may import them.
import type { ReadyRecording } from '../meetings/messages.ts';

export interface RecordingWorkflowInput extends ReadyRecording {
  meetingId: string;
  roomName: string;
}

export interface RecordingWorkflowResult {
  recordingId: string;
  kind: ReadyRecording['kind'];
  audioTracks: number;
  transcriptId?: string;
  transcriptStatus?: 'ended' | 'error';
  warnings?: string[];
}

export type TranscriptionStep = 'storing' | 'tracks' | 'transcribing' | 'merging' | 'mixdown' | 'summarizing' | 'finishing' | 'done' | 'failed';

export interface TranscriptionProgress {
  step: TranscriptionStep;
  tracksTotal: number;
  tracksDone: number;
  tracksFailed: number;
  warnings: string[];
}

export const recordingWorkflowId = (recordingId: string) => `recording/${recordingId}`;
