// Activities for operators: the digest of what is stuck or failed (operations/health-report.ts), posted to the
// operators' webhook, signed like rooms' webhooks (x-webhook-signature over `timestamp.body` with its secret), and
// mailed to the operators' address (OPERATOR_DIGEST_EMAIL) through the mail server, and posted to their Zulip stream
// (OPERATOR_DIGEST_ZULIP_STREAM) by the rooms' bot.
import { ApplicationFailure } from '@temporalio/common';
import { healthReport, type HealthReport } from '../operations/health-report.ts';
import { escapeHtml, MailError } from '../delivery/email.ts';
import { postZulipMessage, ZulipError } from '../delivery/zulip.ts';
import { postSignedWebhook } from './outgoing-webhooks.ts';
import type { ActivityDependencies } from './index.ts';

export interface OperatorDigestResult {
  healthy: boolean;
  /** Each list's count: stuckRecordings, stalledTranscripts, failedRecordings, failedTranscripts, failedCopies, failedDeliveries. */
  counts: Record<string, number>;
  /** Posted to the operators' webhook or mailed to them (nothing is sent when all is well, or when neither is configured). */
  sent: boolean;
  /** Where it went: `webhook`, `email`, `zulip`. */
  sentTo?: string[];
}

export function createOperationsActivities({ db, operations, delivery }: ActivityDependencies) {
  return {
    async sendOperatorDigest(): Promise<OperatorDigestResult> {
      if (!operations) throw ApplicationFailure.nonRetryable('this worker has no operator settings', 'OperationsMissing');
      const report = await healthReport(db, { recordingStuckAfterSeconds: operations.recordingStuckAfterSeconds });
      const counts = Object.fromEntries(DIGEST_LISTS.map((list) => [list, report[list].count]));
      if (report.healthy || (!operations.webhookUrl && !operations.email && !operations.zulip)) return { healthy: report.healthy, counts, sent: false };
      const sentTo: string[] = [];
      if (operations.webhookUrl) {
        const body = JSON.stringify({ event: 'operator.digest', report });
        await postSignedWebhook(operations.webhookUrl, { event: 'operator.digest', id: `operator-digest/${report.generatedAt}`, secret: operations.webhookSecret, body });
        sentTo.push('webhook');
      }
      if (operations.email) {
        if (!delivery?.mailer) throw ApplicationFailure.nonRetryable('OPERATOR_DIGEST_EMAIL is set but this worker has no mail server (SMTP_URL)', 'DeliveryRefused');
        const host = new URL(delivery.publicUrl).hostname;
        try {
          await delivery.mailer.send({ to: operations.email, ...digestMail(report, delivery.publicUrl), messageId: `<operator-digest-${report.generatedAt}@${host}>` });
        } catch (error) {
          if (error instanceof MailError && !error.retryable) throw ApplicationFailure.nonRetryable(error.message, 'DeliveryRefused');
          throw error;
        }
        sentTo.push('email');
      }
      if (operations.zulip) {
        if (!delivery?.zulip) throw ApplicationFailure.nonRetryable('OPERATOR_DIGEST_ZULIP_STREAM is set but this worker has no Zulip bot', 'DeliveryRefused');
        const { subject, text } = digestMail(report, delivery.publicUrl);
        try {
          await postZulipMessage({ ...delivery.zulip, ...operations.zulip }, `**${subject}**\n\n\`\`\`text\n${text}\n\`\`\``);
        } catch (error) {
          if (error instanceof ZulipError && !error.retryable) throw ApplicationFailure.nonRetryable(error.message, 'DeliveryRefused');
          throw error;
        }
        sentTo.push('zulip');
      }
      return { healthy: false, counts, sent: true, sentTo };
    },
  };
}

const DIGEST_LISTS = ['stuckRecordings', 'stalledTranscripts', 'failedRecordings', 'failedTranscripts', 'failedCopies', 'failedDeliveries'] as const;
const LIST_TITLES: Record<(typeof DIGEST_LISTS)[number], string> = {
  stuckRecordings: 'Recordings stuck past their timeout', stalledTranscripts: 'Transcripts that stopped moving', failedRecordings: 'Recordings that failed',
  failedTranscripts: 'Transcripts in error', failedCopies: "Copies to owners' storage that failed", failedDeliveries: 'Notes not delivered (mail, Zulip)',
};

/** The digest as a plain mail: each non-empty list with its count and first items; the whole report is at /v1/admin/health. */
function digestMail(report: HealthReport, publicUrl: string): { subject: string; text: string; html: string } {
  const lists = DIGEST_LISTS.filter((list) => report[list].count > 0);
  const lines = lists.flatMap((list) => {
    const { count, items } = report[list];
    return [
      `${LIST_TITLES[list]}: ${count}`,
      ...items.slice(0, 10).map((item) => {
        const facts = item as unknown as Record<string, unknown>;
        const detail = (facts.error ?? facts.status ?? facts.step ?? '') as string;
        return `- ${item.id}${item.roomName ? ` (room ${item.roomName})` : ''}${detail ? `: ${detail}` : ''}`;
      }),
      ...(count > 10 ? [`- and ${count - 10} more`] : []),
      '',
    ];
  });
  const text = [`What is stuck or failed, ${report.generatedAt}:`, '', ...lines, `The whole report: ${publicUrl}/v1/admin/health (admins)`].join('\n');
  return {
    subject: `Meeting recorder: ${lists.map((list) => `${report[list].count} ${LIST_TITLES[list].toLowerCase()}`).join(', ')}`,
    text,
    html: `<!doctype html><html><body><pre style="font-family: monospace">${escapeHtml(text)}</pre></body></html>`,
  };
}
