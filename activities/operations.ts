// Activities for operators: the digest of what is stuck or failed (operations/health-report.ts), posted to the
// operators' webhook, signed like rooms' webhooks (x-webhook-signature over `timestamp.body` with its secret).
import { ApplicationFailure } from '@temporalio/common';
import { healthReport } from '../operations/health-report.ts';
import { postSignedWebhook } from './outgoing-webhooks.ts';
import type { ActivityDependencies } from './index.ts';

export interface OperatorDigestResult {
  healthy: boolean;
  /** Each list's count: stuckRecordings, stalledTranscripts, failedRecordings, failedTranscripts, failedCopies. */
  counts: Record<string, number>;
  /** Posted to the operators' webhook (nothing is posted when all is well, or when none is configured). */
  sent: boolean;
}

export function createOperationsActivities({ db, operations }: ActivityDependencies) {
  return {
    async sendOperatorDigest(): Promise<OperatorDigestResult> {
      if (!operations) throw ApplicationFailure.nonRetryable('this worker has no operator settings', 'OperationsMissing');
      const report = await healthReport(db, { recordingStuckAfterSeconds: operations.recordingStuckAfterSeconds });
      const { stuckRecordings, stalledTranscripts, failedRecordings, failedTranscripts, failedCopies } = report;
      const counts = {
        stuckRecordings: stuckRecordings.count, stalledTranscripts: stalledTranscripts.count, failedRecordings: failedRecordings.count,
        failedTranscripts: failedTranscripts.count, failedCopies: failedCopies.count,
      };
      if (report.healthy || !operations.webhookUrl) return { healthy: report.healthy, counts, sent: false };
      const body = JSON.stringify({ event: 'operator.digest', report });
      await postSignedWebhook(operations.webhookUrl, { event: 'operator.digest', id: `operator-digest/${report.generatedAt}`, secret: operations.webhookSecret, body });
      return { healthy: false, counts, sent: true };
    },
  };
}
