// transcriptUpdatedWorkflow: a transcript was corrected (api/corrections.ts) or an earlier version of it restored
// (api/transcript-versions.ts); the room's outgoing webhook `transcript.updated` is delivered like
// `transcript.completed`: the same activity, signature and retry policy. Workflow id `transcript-updated/<editId>`
// (one delivery per correction) or `transcript-updated/<transcriptId>/revision-<n>` (per restore). The room's Zulip
// message, when it posted one, is edited to the transcript as it is now, beside the webhook.
import { patched, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import { deliverNotes } from './deliveries.ts';
import type * as activities from '../activities/index.ts';
import { OUTGOING_WEBHOOK_ACTIVITY } from './outgoing-webhooks.ts';

export interface TranscriptUpdatedInput {
  transcriptId: string;
  /** The correction that made it (one of editId and restored). */
  editId?: string;
  /** The version restored, and the revision the restore made. */
  restored?: { version: number; revision: number };
}

export const transcriptUpdatedWorkflowId = (editId: string) => `transcript-updated/${editId}`;
export const transcriptRestoredWorkflowId = (transcriptId: string, revision: number) => `transcript-updated/${transcriptId}/revision-${revision}`;

type Activities = ReturnType<typeof activities.createActivities>;

export async function transcriptUpdatedWorkflow(input: TranscriptUpdatedInput): Promise<{ sent: boolean; status?: number }> {
  const webhook = proxyActivities<Activities>(OUTGOING_WEBHOOK_ACTIVITY);
  const change = input.restored ? `version ${input.restored.version} restored` : `corrected (edit ${input.editId})`;
  setCurrentDetails(`Transcript ${input.transcriptId} ${change}: sending transcript.updated.`);
  if (patched(ZULIP_EDITED)) {
    const [sent, warnings] = await Promise.all([
      webhook.sendTranscriptWebhook({ transcriptId: input.transcriptId, event: 'transcript.updated', ...(input.editId && { editId: input.editId }), ...(input.restored && { restored: input.restored }) })
        .then((answer) => ({ answer }), (error: unknown) => ({ error })),
      deliverNotes(input.transcriptId, ['zulip']),
    ]);
    if (warnings.length) setCurrentDetails(`Transcript ${input.transcriptId} ${change}: ${warnings.join('; ')}`);
    if ('error' in sent) throw sent.error;
    return sent.answer;
  }
  return webhook.sendTranscriptWebhook({ transcriptId: input.transcriptId, event: 'transcript.updated', ...(input.editId && { editId: input.editId }), ...(input.restored && { restored: input.restored }) });
}

/** patched(): the room's Zulip message is edited after a correction or a restore. */
const ZULIP_EDITED = 'zulip-edited-on-update';
