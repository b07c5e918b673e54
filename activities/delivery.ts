// Delivery of a finished transcript's notes where people read (the room chooses): a mail to the meeting's participants
// who have an account (delivery/email.ts), and a message to a Zulip stream (delivery/zulip.ts) edited in place when the
// transcript is corrected or rerun. Each is its own retried activity; what happened is kept on the transcript
// (`delivery`), a failure there is a warning, never a failed transcript.
import { ApplicationFailure } from '@temporalio/activity';
import { ActionItem, Meeting, ParticipantSession, Recording, RecordingShare, Room, Transcript, type TranscriptDelivery } from '../db/entities.ts';
import { User } from '../auth/entities.ts';
import { MailError, meetingNotesMail, type Mailer } from '../delivery/email.ts';
import { deliverToZulip, ZulipError, zulipSummaryContent } from '../delivery/zulip.ts';
import type { ZulipServer } from '../runtime/config.ts';
import { metrics } from '../runtime/metrics.ts';
import type { ActivityDependencies } from './index.ts';

export const DELIVERY_REFUSED = 'DeliveryRefused';

export interface DeliveryDependencies {
  /** The mail server (SMTP_URL); null: this server sends no mail. */
  mailer: Mailer | null;
  /** The Zulip organization and bot; null: none configured. */
  zulip: ZulipServer | null;
  /** Links in the notes point here (PUBLIC_URL). */
  publicUrl: string;
}

export type DeliveryResult = { status: 'off' } | { status: 'sent' | 'partly-sent' | 'no-recipients' | 'already-sent'; sent: number; failed: number; warning?: string } | { status: 'posted' | 'edited' | 'unchanged'; messageId: number };

type Em = ReturnType<ActivityDependencies['db']['em']['fork']>;

export function createDeliveryActivities({ db, delivery }: ActivityDependencies) {
  /** Sets one channel's outcome in transcript.delivery without touching the row's other fields (or its version). */
  const record = async <K extends keyof TranscriptDelivery>(transcriptId: string, channel: K, outcome: TranscriptDelivery[K]) => {
    await db.em.getConnection().execute(
      `update transcript set delivery = coalesce(delivery, '{}'::jsonb) || jsonb_build_object(?::text, ?::jsonb) where id = ?`,
      [channel, JSON.stringify(outcome), transcriptId],
    );
  };

  return {
    /** Where the room sends its notes (none: the workflow schedules no delivery at all). */
    async planDelivery(input: { transcriptId: string; channels: Array<'email' | 'zulip'> }): Promise<Array<'email' | 'zulip'>> {
      const { room } = await transcriptContext(db.em.fork(), input.transcriptId);
      if (!room) return [];
      return input.channels.filter((channel) => (channel === 'email' ? room.emailParticipants : Boolean(room.zulipStream)));
    },

    /**
     * Mails the notes to each participant with an account, one mail each (no one sees the others' addresses). Who got
     * it is written after each mail, so a retry (a 4xx reply, no connection) sends only to the others; a refused address
     * (5xx) is listed and the rest still go. A rerun of the recording sends nothing again.
     */
    async deliverTranscriptByEmail(input: { transcriptId: string }): Promise<DeliveryResult> {
      const em = db.em.fork();
      const { transcript, recording, room } = await transcriptContext(em, input.transcriptId);
      if (!room?.emailParticipants) return { status: 'off' };
      const mailer = delivery?.mailer;
      if (!mailer) throw ApplicationFailure.nonRetryable('the room mails its notes but this worker has no mail server (SMTP_URL)', DELIVERY_REFUSED);
      const sentTo = [...(transcript.delivery?.email?.sentTo ?? [])];
      const recipients = await meetingAccounts(em, transcript, recording);
      const todo = recipients.filter((user) => !sentTo.includes(user.id));
      const at = () => new Date().toISOString();
      if (todo.length === 0) {
        if (sentTo.length) return { status: 'already-sent', sent: sentTo.length, failed: 0 };
        await record(input.transcriptId, 'email', { status: 'no-recipients', at: at(), sentTo: [], failed: [] });
        return { status: 'no-recipients', sent: 0, failed: 0 };
      }
      const failed: Array<{ userId: string; error: string }> = [];
      const notes = await notesOf(em, transcript, room, delivery.publicUrl);
      const shared = new Set((await em.find(RecordingShare, { recording: recording.id })).map((share) => share.user.id));
      const host = new URL(delivery.publicUrl).hostname;
      for (const user of todo) {
        const mail = meetingNotesMail({
          ...notes, roomName: room.name, recordedAt: recording.recordedAt, durationSeconds: transcript.durationSeconds == null ? null : Number(transcript.durationSeconds),
          canOpen: user.id === room.ownerId || user.role === 'admin' || recording.shareMode === 'public' || (recording.shareMode === 'shared' && shared.has(user.id)),
        });
        try {
          await mailer.send({ to: user.email, ...mail, messageId: `<transcript-${transcript.id}.${user.id}@${host}>` });
          metrics.outgoingDeliveries.inc({ outcome: 'delivered' });
          sentTo.push(user.id);
          await record(input.transcriptId, 'email', { status: 'sent', at: at(), sentTo, failed });
        } catch (error) {
          metrics.outgoingDeliveries.inc({ outcome: error instanceof MailError && !error.retryable ? 'refused' : 'failed' });
          if (!(error instanceof MailError) || error.retryable) throw error;
          failed.push({ userId: user.id, error: error.message });
          // Refused credentials refuse every mail: no use trying the others.
          if (/credentials/.test(error.message)) break;
        }
      }
      const status = sentTo.length === 0 ? 'failed' : 'sent';
      const warning = failed.length ? `mail not delivered to ${failed.length} of ${recipients.length} participant(s): ${failed[0]!.error}` : undefined;
      await record(input.transcriptId, 'email', { status, at: at(), sentTo, failed, ...(warning && { error: warning }) });
      if (status === 'failed') throw ApplicationFailure.nonRetryable(warning!, DELIVERY_REFUSED);
      return { status: failed.length ? 'partly-sent' : 'sent', sent: sentTo.length, failed: failed.length, ...(warning && { warning }) };
    },

    /**
     * Posts the notes to the room's Zulip stream and topic, or edits the message posted before (a correction, a rerun:
     * the transcript's revision moved); a message deleted at Zulip is posted again. Nothing is sent for a revision
     * already there.
     */
    async deliverTranscriptToZulip(input: { transcriptId: string }): Promise<DeliveryResult> {
      const em = db.em.fork();
      const { transcript, recording, room } = await transcriptContext(em, input.transcriptId);
      if (!room?.zulipStream) return { status: 'off' };
      const server = delivery?.zulip;
      if (!server) throw ApplicationFailure.nonRetryable('the room posts its notes to Zulip but this worker has no Zulip bot (ZULIP_SITE, ZULIP_BOT_EMAIL, ZULIP_API_KEY)', DELIVERY_REFUSED);
      const target = { ...server, stream: room.zulipStream, topic: room.zulipTopic ?? room.name };
      const before = transcript.delivery?.zulip;
      const sameTarget = before?.messageId != null && before.stream === target.stream;
      if (sameTarget && before.status !== 'failed' && before.revision === transcript.revision && before.topic === target.topic) return { status: 'unchanged', messageId: before.messageId! };
      const content = zulipSummaryContent({
        ...await notesOf(em, transcript, room, delivery.publicUrl), durationSeconds: transcript.durationSeconds == null ? recording.durationSeconds ?? null : Number(transcript.durationSeconds), revision: transcript.revision,
      });
      const outcome = { at: new Date().toISOString(), stream: target.stream, topic: target.topic, revision: transcript.revision };
      try {
        const posted = await deliverToZulip(target, content, sameTarget ? before.messageId : null);
        metrics.outgoingDeliveries.inc({ outcome: 'delivered' });
        await record(input.transcriptId, 'zulip', { ...outcome, status: posted.edited ? 'edited' : 'posted', messageId: posted.messageId });
        return { status: posted.edited ? 'edited' : 'posted', messageId: posted.messageId };
      } catch (error) {
        if (!(error instanceof ZulipError)) throw error;
        metrics.outgoingDeliveries.inc({ outcome: error.retryable ? 'failed' : 'refused' });
        if (error.retryable) {
          throw ApplicationFailure.create({ message: error.message, type: 'ZulipUnavailable', ...(error.retryAfterSeconds !== undefined && { nextRetryDelay: `${error.retryAfterSeconds} seconds` }) });
        }
        await record(input.transcriptId, 'zulip', { ...outcome, status: 'failed', messageId: before?.messageId ?? null, error: error.message });
        throw ApplicationFailure.nonRetryable(error.message, DELIVERY_REFUSED);
      }
    },

    /** A delivery whose retries ran out: its channel marked failed on the transcript, for the reader and the digest. */
    async recordDeliveryFailure(input: { transcriptId: string; channel: 'email' | 'zulip'; error: string }): Promise<void> {
      const transcript = await db.em.fork().findOneOrFail(Transcript, input.transcriptId);
      const at = new Date().toISOString();
      const before = transcript.delivery?.[input.channel];
      if (before?.status === 'failed') return;
      if (input.channel === 'email') await record(input.transcriptId, 'email', { status: 'failed', at, sentTo: transcript.delivery?.email?.sentTo ?? [], failed: transcript.delivery?.email?.failed ?? [], error: input.error });
      else await record(input.transcriptId, 'zulip', { status: 'failed', at, stream: transcript.delivery?.zulip?.stream ?? '', topic: transcript.delivery?.zulip?.topic ?? '', messageId: transcript.delivery?.zulip?.messageId ?? null, revision: transcript.revision, error: input.error });
    },
  };
}

/** What both channels say of a transcript: its title, link, summary, participants and open action items. */
async function notesOf(em: Em, transcript: Transcript, room: Room, publicUrl: string) {
  const items = await em.find(ActionItem, { transcript: transcript.id, deletedAt: null }, { orderBy: { position: 'asc' } });
  return {
    title: transcript.title ?? `Meeting in ${room.name}`, link: `${publicUrl}/transcripts/${transcript.id}`,
    summary: transcript.longSummary ?? transcript.shortSummary ?? null, participants: (transcript.participants ?? []).map((p) => p.name),
    actionItems: items.map((item) => ({ text: item.text, owner: item.owner ?? null, due: item.due ?? null })),
  };
}

async function transcriptContext(em: Em, transcriptId: string) {
  const transcript = await em.findOneOrFail(Transcript, transcriptId, { populate: ['recording'] });
  const recording = await em.findOneOrFail(Recording, transcript.recording.id, { populate: ['meeting'] });
  const meeting = recording.meeting ? await em.findOne(Meeting, recording.meeting.id) : null;
  const room = meeting ? await em.findOne(Room, meeting.room.id) : null;
  return { transcript, recording, meeting, room };
}

/** The meeting's participants who have an account: named on the transcript, or seen joining its meeting. */
async function meetingAccounts(em: Em, transcript: Transcript, recording: Recording): Promise<User[]> {
  const ids = new Set((transcript.participants ?? []).flatMap((p) => (p.userId ? [p.userId] : [])));
  if (recording.meeting) {
    for (const session of await em.find(ParticipantSession, { meeting: recording.meeting.id, userId: { $ne: null } })) ids.add(session.userId!);
  }
  if (ids.size === 0) return [];
  return em.find(User, { id: { $in: [...ids] } }, { orderBy: { email: 'asc' } });
}
