// Email over SMTP (nodemailer): the meeting notes a finished transcript sends to its participants, and the sending
// itself, with SMTP's answers sorted into what a retry can fix (a 4xx reply, no connection) and what it cannot (a 5xx
// reply, refused credentials). Configured by SMTP_URL and MAIL_FROM (README "Delivery").
import { createTransport, type Transporter } from 'nodemailer';

export interface MailConfig {
  /** `smtp://user:password@host:587` (STARTTLS when the server offers it) or `smtps://…:465` (TLS from the start). */
  url: string;
  /** The From header: `Meeting notes <notes@example.com>`. */
  from: string;
  /** Refuse a server whose certificate does not verify (off only for a local test server). */
  requireValidCertificate: boolean;
}

export class MailError extends Error {
  readonly retryable: boolean;
  readonly responseCode: number | undefined;
  constructor(message: string, retryable: boolean, responseCode?: number) {
    super(message);
    this.name = 'MailError';
    this.retryable = retryable;
    this.responseCode = responseCode;
  }
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable per message and recipient, so a resend after a lost answer can be recognised as the same mail. */
  messageId: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export function createMailer(config: MailConfig): Mailer {
  const transport: Transporter = createTransport({
    url: config.url, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000,
    tls: { rejectUnauthorized: config.requireValidCertificate },
  });
  return {
    async send(mail) {
      try {
        await transport.sendMail({
          from: config.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId,
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
        });
      } catch (error) {
        throw asMailError(error);
      }
    },
    close: () => transport.close(),
  };
}

/** SMTP's reply codes: 5xx is permanent (the address or the message is refused), 4xx and a lost connection pass. */
function asMailError(error: unknown): MailError {
  const { code, responseCode, response, message } = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const said = (response ?? message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300);
  if (code === 'EAUTH') return new MailError(`the mail server refused our credentials: ${said}`, false, responseCode);
  if (responseCode !== undefined && responseCode >= 500) return new MailError(`the mail server refused the mail (${responseCode}): ${said}`, false, responseCode);
  return new MailError(`the mail could not be sent${responseCode ? ` (${responseCode})` : ''}: ${said}`, true, responseCode);
}

export interface MeetingNotes {
  title: string;
  roomName: string;
  recordedAt: Date;
  durationSeconds: number | null;
  participants: string[];
  summary: string | null;
  actionItems: Array<{ text: string; owner: string | null; due: string | null }>;
  link: string;
  /** Whether the recipient may open the link (the room's owner, an admin, someone it is shared with, or a public link). */
  canOpen: boolean;
}

/** The mail of a finished transcript: its title, summary and action items in the mail itself, and a link to it. */
export function meetingNotesMail(notes: MeetingNotes): Pick<OutgoingMail, 'subject' | 'text' | 'html'> {
  const when = `${notes.recordedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const length = notes.durationSeconds ? `, ${Math.max(1, Math.round(notes.durationSeconds / 60))} min` : '';
  const who = notes.participants.length ? notes.participants.join(', ') : 'no one named';
  const items = notes.actionItems.map((item) => `${item.text}${item.owner ? ` (${item.owner}${item.due ? `, due ${item.due}` : ''})` : item.due ? ` (due ${item.due})` : ''}`);
  const access = notes.canOpen ? '' : ' (it opens for those the recording is shared with: ask the room\'s owner)';
  const text = [
    notes.title,
    `${notes.roomName}, ${when}${length}. Participants: ${who}.`,
    '',
    'Summary',
    notes.summary ?? 'No summary was made.',
    '',
    'Action items',
    ...(items.length ? items.map((item) => `- ${item}`) : ['None.']),
    '',
    `Transcript: ${notes.link}${access}`,
    '',
    '-- ',
    'Sent by the meeting recorder because the room sends its notes to the participants.',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.4">',
    `<h1 style="font-size: 1.3em">${escapeHtml(notes.title)}</h1>`,
    `<p>${escapeHtml(`${notes.roomName}, ${when}${length}`)}. Participants: ${escapeHtml(who)}.</p>`,
    '<h2 style="font-size: 1.1em">Summary</h2>',
    ...(notes.summary ?? 'No summary was made.').split(/\n{2,}/).map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    '<h2 style="font-size: 1.1em">Action items</h2>',
    items.length ? `<ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>` : '<p>None.</p>',
    `<p><a href="${escapeHtml(notes.link)}">Open the transcript</a>${escapeHtml(access)}</p>`,
    '<p style="color: #666; font-size: 0.9em">Sent by the meeting recorder because the room sends its notes to the participants.</p>',
    '</body></html>',
  ].join('\n');
  return { subject: `Meeting notes: ${notes.title}`, text, html };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
