// consentRefusalWorkflow: someone in a meeting refused consent (POST /v1/meetings/:id/consent, false). The media
// of every recording of the meeting already settled (completed, failed, missing) is deleted now, retried through
// storage failures until done; recordings still in their pipeline apply the same rule when they end
// (activities/consent.ts). Workflow id `consent-refusal/<meetingId>`: a second refusal while one runs meets it.
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';

export interface ConsentRefusalInput {
  meetingId: string;
}

export const consentRefusalWorkflowId = (meetingId: string) => `consent-refusal/${meetingId}`;

type Activities = ReturnType<typeof activities.createActivities>;

export async function consentRefusalWorkflow(input: ConsentRefusalInput): Promise<{ recordingIds: string[] }> {
  // No maximum attempts: refused media is deleted, not abandoned; the backoff caps at 5 minutes between tries.
  const consent = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  setCurrentDetails(`Consent refused in meeting ${input.meetingId}: deleting the media of its settled recordings.`);
  const deleted = await consent.deleteRefusedMedia({ meetingId: input.meetingId });
  setCurrentDetails(`Consent refused in meeting ${input.meetingId}: media of ${deleted.recordingIds.length} recording(s) deleted.`);
  return { recordingIds: deleted.recordingIds };
}
