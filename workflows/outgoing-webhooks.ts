// How an outgoing webhook activity is run, whichever workflow sends it: retried with backoff for about a day
// (5xx, 429, timeouts); a 4xx answer or a refused destination is final.
import type { ActivityOptions } from '@temporalio/workflow';

export const OUTGOING_WEBHOOK_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 30, nonRetryableErrorTypes: ['WebhookRefused'] },
};
