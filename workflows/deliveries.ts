// Delivering a finished transcript's notes (activities/delivery.ts): the mail to the participants and the Zulip
// message, side by side, each retried for about forty minutes; a failure becomes a warning (and is marked on the
// transcript for its readers and the operators' digest), never a failed transcript.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import { failureMessage } from './failure-message.ts';

type Activities = ReturnType<typeof activities.createActivities>;
export type DeliveryChannel = 'email' | 'zulip';

export async function deliverNotes(transcriptId: string, channels: DeliveryChannel[] = ['email', 'zulip']): Promise<string[]> {
  const deliver = proxyActivities<Activities>({
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10, nonRetryableErrorTypes: ['DeliveryRefused'] },
  });
  const light = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });
  const warnings: string[] = [];
  const chosen = await light.planDelivery({ transcriptId, channels });
  await Promise.all(chosen.map(async (channel) => {
    try {
      const result = channel === 'email'
        ? await deliver.deliverTranscriptByEmail.executeWithOptions({ summary: "mail the notes to the meeting's participants" }, [{ transcriptId }])
        : await deliver.deliverTranscriptToZulip.executeWithOptions({ summary: "post the notes to the room's Zulip topic" }, [{ transcriptId }]);
      if ('warning' in result && result.warning) warnings.push(result.warning);
    } catch (failure) {
      const error = failureMessage(failure);
      warnings.push(`${channel === 'email' ? 'mail' : 'Zulip message'} not delivered: ${error}`);
      await light.recordDeliveryFailure({ transcriptId, channel, error });
    }
  }));
  return warnings;
}
