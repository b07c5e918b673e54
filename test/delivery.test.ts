// Notes delivered where people read (issue 16 item 2), through the real product: a meeting held on the Daily simulator
// by participants with accounts, transcribed by Whisper; when its transcript ends, each participant gets one mail
// through a real SMTP server (STARTTLS, AUTH) with the title, summary, action items and link, the room's Zulip topic
// gets the notes (a stand-in speaking Zulip's API), and a correction edits that message in place. A refused address
// and a mail server's temporary failure, a Zulip refusal marked on the transcript, and the operators' digest by mail.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct, type TestUser } from './support/product.ts';
import { holdMeeting } from './support/recorded-meeting.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp-server.ts';
import { startZulipStandIn, type ZulipStandIn } from './support/zulip-stand-in.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../recordings/messages.ts';
import { operatorDigestWorkflow } from '../workflows/operator-digest.ts';

/** Polls `probe` until it gives a value, failing after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
  }
}

const BOT = { email: 'notes-bot@zulip.example.com', apiKey: 'zulip-bot-api-key-for-tests-0123' };

describe('notes delivered when a transcript ends', () => {
  let product: TestProduct;
  let smtp: SmtpTestServer;
  let zulip: ZulipStandIn;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let transcriptId: string;
  let result: RecordingWorkflowResult;
  const roomName = 'weekly-notes';

  before(async () => {
    [smtp, zulip] = await Promise.all([startSmtpServer(), startZulipStandIn({ bots: [BOT], streams: ['meetings'] })]);
    product = await startTestProduct({
      name: 'delivery',
      env: {
        SMTP_URL: smtp.url, MAIL_FROM: 'Meeting notes <notes@recorder.test>', SMTP_TLS_REJECT_UNAUTHORIZED: 'false', OPERATOR_DIGEST_EMAIL: 'ops@example.com',
        ZULIP_SITE: zulip.url, ZULIP_BOT_EMAIL: BOT.email, ZULIP_API_KEY: BOT.apiKey, OPERATOR_DIGEST_ZULIP_STREAM: 'meetings', OPERATOR_DIGEST_ZULIP_TOPIC: 'operations',
      },
    });
    const user = (name: string) => product.createUser({ email: `${name}-notes@example.com` });
    [alice, bob, carol] = await Promise.all([user('alice'), user('bob'), user('carol')]);
  });
  after(async () => {
    await product?.stop();
    await smtp?.close();
    await zulip?.close();
  });

  it("the room form's choices are what this server can deliver", async () => {
    const defaults = (await product.request('GET', '/v1/room-defaults')).body;
    assert.deepEqual(defaults.delivery, { email: true, zulip: true });
    assert.equal(defaults.defaults.emailParticipants, false);
    assert.equal(defaults.defaults.zulipStream, null);
    const bad = await product.request('POST', '/v1/rooms', { name: 'bad-delivery', emailParticipants: 'yes', zulipStream: '' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field).sort(), ['emailParticipants', 'zulipStream']);
  });

  it('mails each participant with an account once, and posts the notes to the Zulip topic', { timeout: 240_000 }, async () => {
    const created = await product.request('POST', '/v1/rooms', { name: roomName, recordingTrigger: 'automatic', emailParticipants: true, zulipStream: 'meetings', zulipTopic: 'Weekly notes' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.emailParticipants, created.body.zulipStream, created.body.zulipTopic], [true, 'meetings', 'Weekly notes']);
    // Carol's address is refused by the mail server; the first mail is answered "try again later" (451).
    smtp.refuse(carol.email);
    smtp.failNext(1);
    const meeting = await holdMeeting(product, roomName, [
      { userName: 'Alice', userId: alice.id, voice: 'en-us', says: 'Good morning everyone. The budget is on track.' },
      { userName: 'Bob', userId: bob.id, voice: 'en-gb', says: 'Thank you. We will hire two engineers.' },
      { userName: 'Carol', userId: carol.id, voice: 'en-us', says: 'Agreed.' },
    ]);
    const workflows = product.services.temporal.workflow;
    const state: MeetingState = await workflows.getHandle(meetingWorkflowId(meeting.id)).result();
    const raw = state.recordings.find((r) => r.kind === 'raw-tracks');
    assert.ok(raw, JSON.stringify(state.recordings));
    result = await workflows.getHandle(recordingWorkflowId(raw.id)).result();
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    transcriptId = result.transcriptId!;
    assert.ok(result.warnings?.some((w) => /mail not delivered to 1 of 3 participant\(s\).*550/.test(w)), JSON.stringify(result.warnings));

    const transcript = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    // One mail each to Alice and Bob (the 451 was tried again without sending twice), none to Carol.
    assert.deepEqual(smtp.mails.map((m) => m.envelopeTo).sort(), [[alice.email], [bob.email]]);
    const host = new URL(product.config.api.publicUrl).hostname;
    const link = `${product.config.api.publicUrl}/transcripts/${transcriptId}`;
    for (const [user, mail] of [alice, bob].map((u) => [u, smtp.mails.find((m) => m.envelopeTo[0] === u.email)!] as const)) {
      const { parsed } = mail;
      assert.equal(parsed.subject, `Meeting notes: ${transcript.title}`);
      assert.deepEqual(parsed.from?.value.map((a) => [a.name, a.address]), [['Meeting notes', 'notes@recorder.test']]);
      assert.equal(parsed.messageId, `<transcript-${transcriptId}.${user.id}@${host}>`);
      assert.equal(parsed.headers.get('auto-submitted'), 'auto-generated');
      assert.ok(!mail.raw.includes(carol.email) && !mail.raw.includes(user === alice ? bob.email : alice.email), 'no one sees the others’ addresses');
      const text = parsed.text ?? '';
      assert.ok(text.includes(transcript.title), text);
      assert.match(text, /Participants: Alice, Bob, Carol/);
      const summary: string = transcript.longSummary ?? transcript.shortSummary;
      assert.ok(summary && text.includes(summary.split('\n')[0]!), `the summary is in the mail: ${text}`);
      assert.match(text, /engineers/, 'what was said, in the summary');
      for (const item of transcript.actionItems as string[]) assert.ok(text.includes(item), `action item ${item} in the mail`);
      assert.ok(text.includes(`Transcript: ${link} (it opens for those the recording is shared with`), 'the link, and that it needs the owner to share it');
      assert.ok(String(parsed.html).includes(`<a href="${link}">Open the transcript</a>`));
    }
    assert.equal(transcript.delivery.email.status, 'sent');
    assert.deepEqual([transcript.delivery.email.sent, transcript.delivery.email.failed], [2, 1]);
    assert.match(transcript.delivery.email.error, /550/);

    assert.equal(zulip.messages.length, 1);
    const [message] = zulip.messages;
    assert.deepEqual([message!.stream, message!.topic, message!.sender], ['meetings', 'Weekly notes', BOT.email]);
    assert.ok(message!.content.includes(transcript.title) && message!.content.includes(link), message!.content);
    assert.deepEqual({ ...transcript.delivery.zulip, at: undefined }, { status: 'posted', at: undefined, stream: 'meetings', topic: 'Weekly notes', error: null });
    // Bob sees the transcript only once shared; the delivery record is the owner's.
    assert.equal((await product.as(bob.headers)('GET', `/v1/transcripts/${transcriptId}`)).status, 404);
  });

  it('a correction edits the Zulip message in place, and mails no one again', { timeout: 60_000 }, async () => {
    const { revision, participants } = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    const alices = participants.find((p: { name: string }) => p.name === 'Alice').speaker;
    const renamed = await product.request('PATCH', `/v1/transcripts/${transcriptId}/speakers/${alices}`, { revision, name: 'Alice Liddell' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const edited = await until('the Zulip message edited', () => (zulip.messages[0]?.edits === 1 ? zulip.messages[0] : undefined), 30_000);
    assert.equal(zulip.messages.length, 1, 'edited, not posted again');
    assert.match(edited.content, /Alice Liddell/);
    const delivery = await until('the edit recorded', async () => {
      const shown = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body.delivery;
      return shown.zulip.status === 'edited' ? shown : undefined;
    }, 10_000);
    assert.equal(delivery.email.sent, 2);
    assert.equal(smtp.mails.length, 2);
  });

  it("a Zulip refusal is marked on the transcript, and the operators' digest is mailed and posted with it", { timeout: 60_000 }, async () => {
    assert.equal((await product.request('PATCH', `/v1/rooms/${roomName}`, { zulipStream: 'no-such-stream' })).status, 200);
    const { revision, participants } = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    const bobs = participants.find((p: { name: string }) => p.name === 'Bob').speaker;
    assert.equal((await product.request('PATCH', `/v1/transcripts/${transcriptId}/speakers/${bobs}`, { revision, name: 'Bob Builder' })).status, 200);
    const delivery = await until('the Zulip refusal recorded', async () => {
      const shown = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body.delivery;
      return shown.zulip.status === 'failed' ? shown : undefined;
    }, 30_000);
    assert.match(delivery.zulip.error, /no-such-stream/);
    assert.equal(delivery.zulip.stream, 'no-such-stream');
    const report = (await product.request('GET', '/v1/admin/health')).body;
    assert.deepEqual(report.failedDeliveries.items.map((i: { id: string; channel: string }) => [i.id, i.channel]), [[transcriptId, 'zulip']]);

    const digest = await product.services.temporal.workflow.execute(operatorDigestWorkflow, { taskQueue: product.config.temporal.taskQueue, workflowId: `operator-digest-test-${Date.now()}` });
    assert.equal(digest.sent, true);
    assert.deepEqual(digest.sentTo, ['email', 'zulip']);
    const posted = zulip.messages.find((m) => m.topic === 'operations');
    assert.ok(posted && posted.stream === 'meetings' && posted.content.includes(transcriptId), 'the digest was posted to the operators\' topic');
    assert.equal(digest.counts.failedDeliveries, 1);
    const mail = smtp.mails.find((m) => m.envelopeTo[0] === 'ops@example.com');
    assert.ok(mail, 'the digest was mailed');
    assert.match(mail.parsed.subject ?? '', /1 notes not delivered/);
    assert.ok((mail.parsed.text ?? '').includes(transcriptId));
  });
});
