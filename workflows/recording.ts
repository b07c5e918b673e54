// recordingWorkflow: one platform recording, processed once. Workflow id `recording/<platform recording id>`,
// so whichever path finds a recording first (webhook, reconciliation, a late webhook after the meeting's
// run) starts it, and the others find it already there.
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { ReadyRecording } from './meeting.ts';

export interface RecordingWorkflowInput extends ReadyRecording {
  meetingId: string;
  roomName: string;
}

export interface RecordingWorkflowResult {
  recordingId: string;
  kind: ReadyRecording['kind'];
  audioTracks: number;
}

export const recordingWorkflowId = (recordingId: string) => `recording/${recordingId}`;

const { persistRecording } = proxyActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function recordingWorkflow(input: RecordingWorkflowInput): Promise<RecordingWorkflowResult> {
  setCurrentDetails(`Storing ${input.kind} recording ${input.recordingId} of meeting ${input.meetingId}.`);
  const stored = await persistRecording(input);
  setCurrentDetails(input.kind === 'raw-tracks'
    ? `Stored with ${stored.audioTracks} audio track(s); video tracks ignored.`
    : `Cloud recording stored on the meeting (${input.durationSeconds} s).`);
  return { recordingId: input.recordingId, kind: input.kind, audioTracks: stored.audioTracks };
}
