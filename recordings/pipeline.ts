// How the API starts a recording's processing, `recording/<id>`: a late webhook (the meeting's run has finished)
// and a reprocess request start it here with the same id, queue and search attributes; they differ only in
// whether a run that exists or existed is kept (`once`) or run again (`again`). The meeting workflow starts the
// same workflow as its child (workflows/meeting.ts), with the same id.
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { recordingWorkflow } from '../workflows/recording.ts';
import { MeetingIdAttribute, RecordingIdAttribute, RoomNameAttribute } from '../workflows/search-attributes.ts';
import { recordingWorkflowId, type RecordingWorkflowInput } from './messages.ts';

export interface RecordingPipelineStart {
  /** `once`: a run already there, running or finished, is the one (processed once, whichever path comes first).
   * `again`: a new run after a finished one; WorkflowExecutionAlreadyStartedError while one runs. */
  runs: 'once' | 'again';
  /** The run's summary in the Temporal UI. */
  summary: string;
}

export async function startRecordingPipeline(temporal: Client, taskQueue: string, input: RecordingWorkflowInput, start: RecordingPipelineStart) {
  return temporal.workflow.start(recordingWorkflow, {
    workflowId: recordingWorkflowId(input.recordingId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: start.runs === 'once' ? WorkflowIdConflictPolicy.USE_EXISTING : WorkflowIdConflictPolicy.FAIL,
    workflowIdReusePolicy: start.runs === 'once' ? WorkflowIdReusePolicy.REJECT_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: MeetingIdAttribute, value: input.meetingId },
      { key: RoomNameAttribute, value: input.roomName },
      { key: RecordingIdAttribute, value: input.recordingId },
    ],
    staticSummary: start.summary,
  });
}
