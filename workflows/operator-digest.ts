// operatorDigestWorkflow: run every OPERATOR_DIGEST_MINUTES by the Temporal Schedule `operator-digest`
// (runtime/schedules.ts). One activity reads what is stuck or failed (operations/health-report.ts) and, when there is
// anything, posts it to the operators' webhook; its result (the counts, sent or not) is the run's, in the Temporal UI.
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { OperatorDigestResult } from '../activities/operations.ts';

type Activities = ReturnType<typeof activities.createActivities>;

export const OPERATOR_DIGEST_SCHEDULE_ID = 'operator-digest';

const { sendOperatorDigest } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // A receiver that is down is tried again for about ten minutes; the next run comes anyway.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8 },
});

export async function operatorDigestWorkflow(): Promise<OperatorDigestResult> {
  const result = await sendOperatorDigest();
  setCurrentDetails(result.healthy ? 'Nothing stuck or failed' : `${Object.entries(result.counts).filter(([, n]) => n > 0).map(([list, n]) => `${list}: ${n}`).join(', ')}${result.sent ? ' (sent)' : ''}`);
  return result;
}
