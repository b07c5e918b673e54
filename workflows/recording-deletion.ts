// recordingDeletionWorkflow: deletes one recording for good, through failures. Workflow id
// `recording-deletion/<recording id>`, so a second request (the owner clicking twice, retention finding it
// too) meets the same run. The recording was already marked (deletionRequestedAt): nobody can see it any
// more, whatever happens here.
//
// 1. Stop the pipeline `recording/<id>` if it runs, and wait until it has closed (it would write again).
// 2. Delete every object in storage (retried with backoff until storage answers; deleting a missing object
//    is no error, so a retry after a failure halfway just finishes the job).
// 3. Delete the rows: transcript, shares, recording (the access log stays: it is the audit trail).
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';

export type DeletionReason = 'owner' | 'retention';

export interface RecordingDeletionInput {
  recordingId: string;
  reason: DeletionReason;
  /** The user who asked (owner or admin); null for retention. */
  requestedBy?: string | null;
}

export interface RecordingDeletionResult {
  recordingId: string;
  reason: DeletionReason;
  pipeline: 'not-found' | 'closed' | 'cancelled';
  objectsDeleted: number;
  rowsDeleted: boolean;
}

export const recordingDeletionWorkflowId = (recordingId: string) => `recording-deletion/${recordingId}`;

type Activities = ReturnType<typeof activities.createActivities>;

export async function recordingDeletionWorkflow(input: RecordingDeletionInput): Promise<RecordingDeletionResult> {
  // No maximum attempts: a deletion is finished, not abandoned; the backoff caps at 5 minutes between tries.
  const deletion = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  const { recordingId } = input;

  setCurrentDetails(`Deleting recording ${recordingId} (${input.reason}): stopping its pipeline if it runs.`);
  const pipeline = await deletion.stopRecordingPipeline.executeWithOptions({ summary: 'stop the recording pipeline' }, [{ recordingId }]);

  setCurrentDetails(`Deleting recording ${recordingId} (${input.reason}): deleting its objects in storage.`);
  const objects = await deletion.deleteRecordingObjects.executeWithOptions({ summary: 'delete the objects in storage' }, [{ recordingId }]);

  setCurrentDetails(`Deleting recording ${recordingId} (${input.reason}): ${objects.deleted} object(s) deleted; deleting its rows.`);
  const rows = await deletion.deleteRecordingRows.executeWithOptions({ summary: 'delete the rows' }, [{ recordingId }]);

  setCurrentDetails(`Recording ${recordingId} deleted (${input.reason}): pipeline ${pipeline}, ${objects.deleted} object(s), rows ${rows.deleted ? 'deleted' : 'already gone'}.`);
  return { recordingId, reason: input.reason, pipeline, objectsDeleted: objects.deleted, rowsDeleted: rows.deleted };
}
