// retentionWorkflow: run daily by the Temporal Schedule `recording-retention` (runtime/schedules.ts).
// Deletes every recording whose time is up — recordedAt + its room's retentionDays, else the default — each
// through its own child `recording-deletion/<id>`. Idempotent: what it claims is marked first, so a second
// run finds nothing; a deletion already running (the owner asked) is awaited, not started twice; and
// deletions asked for long ago whose rows still exist (interrupted before their workflow started) are run
// again. "Now" is the workflow's clock, so a test server that skips time moves it.
import {
  ChildWorkflowFailure,
  continueAsNew,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type * as activities from '../activities/index.ts';
import { recordingDeletionWorkflow, recordingDeletionWorkflowId } from './recording-deletion.ts';
import { RecordingIdAttribute } from './search-attributes.ts';

export interface RetentionInput {
  /** Days a recording lives when its room sets none; null: such recordings are kept. */
  defaultRetentionDays: number | null;
  /** Deletions asked for more than this long ago whose rows remain are run again. Default 1 hour. */
  redriveAfterMinutes?: number;
  /** Whether children carry the RecordingId search attribute (servers without custom attributes: false). */
  searchAttributes?: boolean;
  /** Carried across continue-as-new. */
  progress?: RetentionResult & { asOf: string; redriveCursor: string | null; redriveDone: boolean };
}

export interface RetentionResult {
  /** Recordings whose retention ran out, claimed by this run. */
  expired: number;
  /** Older unfinished deletions run again. */
  redriven: number;
  deleted: number;
  failed: string[];
}

export const RETENTION_SCHEDULE_ID = 'recording-retention';

type Activities = ReturnType<typeof activities.createActivities>;

export async function retentionWorkflow(input: RetentionInput): Promise<RetentionResult> {
  const db = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  const waiting = proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  const carried = input.progress;
  const asOf = carried?.asOf ?? new Date().toISOString();
  const result: RetentionResult = { expired: carried?.expired ?? 0, redriven: carried?.redriven ?? 0, deleted: carried?.deleted ?? 0, failed: carried?.failed ?? [] };
  let redriveCursor = carried?.redriveCursor ?? null;
  let redriveDone = carried?.redriveDone ?? false;
  const describe = (doing: string) =>
    setCurrentDetails(`Retention as of ${asOf} (default ${input.defaultRetentionDays ?? 'none'} day(s)): ${doing}\nExpired ${result.expired}, re-run ${result.redriven}, deleted ${result.deleted}, failed ${result.failed.length}.`);

  async function deleteRecording(recordingId: string): Promise<void> {
    const workflowId = recordingDeletionWorkflowId(recordingId);
    try {
      const child = await startChild(recordingDeletionWorkflow, {
        workflowId,
        args: [{ recordingId, reason: 'retention', requestedBy: null }],
        // A closed earlier run (terminated, say) may be run again: deleting is idempotent.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Delete recording ${recordingId} (retention)`,
        typedSearchAttributes: input.searchAttributes === false ? undefined : [{ key: RecordingIdAttribute, value: recordingId }],
      });
      await child.result();
      result.deleted++;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        const outcome = await waiting.awaitRecordingDeletion.executeWithOptions({ summary: `await the running deletion of ${recordingId}` }, [{ workflowId }]);
        if (outcome === 'completed') result.deleted++;
        else result.failed.push(recordingId);
      } else if (error instanceof ChildWorkflowFailure) {
        result.failed.push(recordingId);
      } else {
        throw error;
      }
    }
  }

  const continueIfLong = async () => {
    if (!workflowInfo().continueAsNewSuggested) return;
    await continueAsNew<typeof retentionWorkflow>({ ...input, progress: { ...result, asOf, redriveCursor, redriveDone } });
  };

  // 1. Deletions asked for long ago whose rows are still there.
  const redriveBefore = new Date(Date.parse(asOf) - (input.redriveAfterMinutes ?? 60) * 60_000).toISOString();
  while (!redriveDone) {
    describe('looking for interrupted deletions.');
    const ids = await db.findUnfinishedDeletions({ before: redriveBefore, afterId: redriveCursor ?? undefined });
    if (ids.length === 0) {
      redriveDone = true;
      break;
    }
    result.redriven += ids.length;
    redriveCursor = ids.at(-1)!;
    describe(`running ${ids.length} interrupted deletion(s) again.`);
    await Promise.all(ids.map(deleteRecording));
    await continueIfLong();
  }

  // 2. Expired recordings, a batch at a time: each batch is marked as it is claimed, so the next query moves on.
  for (;;) {
    describe('claiming expired recordings.');
    const ids = await db.claimExpiredRecordings({ now: asOf, defaultRetentionDays: input.defaultRetentionDays });
    if (ids.length === 0) break;
    result.expired += ids.length;
    describe(`deleting ${ids.length} expired recording(s).`);
    await Promise.all(ids.map(deleteRecording));
    await continueIfLong();
  }

  describe('done.');
  return result;
}
