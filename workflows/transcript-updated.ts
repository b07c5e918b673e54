// transcriptUpdatedWorkflow: a transcript was corrected (api/corrections.ts); the room's outgoing webhook
// `transcript.updated` is delivered like `transcript.completed`: the same activity, signature and retry policy.
// Workflow id `transcript-updated/<editId>`: one delivery per correction.
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import { OUTGOING_WEBHOOK_ACTIVITY } from './outgoing-webhooks.ts';

export interface TranscriptUpdatedInput {
  transcriptId: string;
  editId: string;
}

export const transcriptUpdatedWorkflowId = (editId: string) => `transcript-updated/${editId}`;

type Activities = ReturnType<typeof activities.createActivities>;

export async function transcriptUpdatedWorkflow(input: TranscriptUpdatedInput): Promise<{ sent: boolean; status?: number }> {
  const webhook = proxyActivities<Activities>(OUTGOING_WEBHOOK_ACTIVITY);
  setCurrentDetails(`Transcript ${input.transcriptId} corrected (edit ${input.editId}): sending transcript.updated.`);
  return webhook.sendTranscriptWebhook({ transcriptId: input.transcriptId, event: 'transcript.updated', editId: input.editId });
}
