// Logs and secrets. The logger's redaction: every secret-bearing key is censored wherever a line carries it (fields,
// nested objects and arrays, an error's properties, a child's bindings), other fields kept. The product at
// LOG_LEVEL=debug (API, worker and the Temporal SDK's runtime, all into one captured logger), through a sign-in with a
// password, an API key made and used, a guest's meeting token, Daily's signed webhooks of a recorded meeting, a signed
// download link and requests that fail (4xx, and a 500 from the database): none of the secrets it was given or gave out
// is in any line, and the lines say which meeting and recording they are about.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, SECRET_KEYS } from '../runtime/log.ts';
import { installWorkerRuntime } from '../runtime/temporal.ts';
import { waitFor } from './support/start-command.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';

type LogLine = Record<string, unknown> & { level: string; msg: string };

/** A logger at `level` whose lines are kept here, as written and parsed. */
function capturedLogger(level: 'debug' | 'info') {
  const written: string[] = [];
  const log = createLogger(level, { destination: { write: (line: string) => void written.push(line) } });
  return { log, written, lines: () => written.map((line) => JSON.parse(line) as LogLine) };
}

// The SDK's Runtime is process-wide and the first install holds: this file's logger is installed before
// test/support/product.ts (imported below, after it) would install its own.
const productLogs = capturedLogger('debug');
installWorkerRuntime(productLogs.log);
const { startTestProduct, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, recordingWorkflowResult, sendDailyWebhook } = await import('./support/product.ts');

describe('the logger redacts by configuration', () => {
  const secret = 'secret-value-7f3a9c';

  it('censors each secret key at the top and within object fields, in arrays too; keeps the other fields', () => {
    const { log, written, lines } = capturedLogger('info');
    for (const key of SECRET_KEYS) {
      log.info({ [key]: secret, config: { [key]: secret }, body: [{ [key]: secret }], meetingId: 'm-1', count: 3 }, `a line with ${key}`);
    }
    assert.equal(written.length, SECRET_KEYS.length);
    for (const [i, line] of lines().entries()) {
      const key = SECRET_KEYS[i]!;
      assert.equal(line[key], '[redacted]', key);
      assert.deepEqual(line.config, { [key]: '[redacted]' }, key);
      assert.deepEqual(line.body, [{ [key]: '[redacted]' }], key);
      assert.deepEqual([line.meetingId, line.count, line.msg, line.level], ['m-1', 3, `a line with ${key}`, 'info']);
    }
    assert.ok(!written.join('').includes(secret));
  });

  it('censors request headers, configuration, connection strings, errors and child bindings', () => {
    const { log, written, lines } = capturedLogger('info');
    log.info({ headers: { authorization: `Bearer ${secret}`, cookie: `mr_session=${secret}`, 'x-api-key': secret, 'x-webhook-signature': secret, accept: 'application/json' } }, 'headers');
    log.info({ config: { appSecret: secret, database: { kind: 'postgresql', url: `postgres://app:${secret}@db/app` }, hms: { webhookHeader: { name: 'x-hook', value: secret } } } }, 'config');
    log.warn({ error: Object.assign(new Error('the platform refused'), { request: { headers: { authorization: secret } } }) }, 'an error');
    log.child({ workflowId: 'meeting/m-2', credentials: { token: secret } }).info('from a child');
    assert.ok(!written.join('').includes(secret), written.join(''));
    const [headers, config, failure, child] = lines() as [LogLine, LogLine, LogLine, LogLine];
    assert.deepEqual(headers.headers, { authorization: '[redacted]', cookie: '[redacted]', 'x-api-key': '[redacted]', 'x-webhook-signature': '[redacted]', accept: 'application/json' });
    assert.deepEqual(config.config, { appSecret: '[redacted]', database: { kind: 'postgresql', url: '[redacted]' }, hms: { webhookHeader: { name: 'x-hook', value: '[redacted]' } } });
    assert.deepEqual((failure.error as Record<string, unknown>).message, 'the platform refused');
    assert.match(String((failure.error as Record<string, unknown>).stack), /^Error: the platform refused/);
    assert.deepEqual((failure.error as Record<string, unknown>).request, { headers: { authorization: '[redacted]' } });
    assert.deepEqual([child.workflowId, child.credentials], ['meeting/m-2', { token: '[redacted]' }]);
  });
});

describe('the product at LOG_LEVEL=debug writes no secret', { timeout: 300_000 }, () => {
  let product: Awaited<ReturnType<typeof startTestProduct>>;
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver();
    product = await startTestProduct({ name: 'logredaction', log: productLogs.log, env: { LOG_LEVEL: 'debug', RECORDING_READY_TIMEOUT_SECONDS: '30' } });
  });
  after(async () => {
    await product?.stop();
    receiver?.close();
  });

  it('through sign-in, keys, tokens, webhooks, a recorded meeting and failures', async () => {
    const secrets: Record<string, string> = {
      appSecret: product.config.appSecret,
      dailyApiKey: product.config.daily.apiKey,
      dailyWebhookSecret: product.config.daily.webhookSecret,
      adminPassword: TEST_ADMIN_PASSWORD,
      adminApiKey: product.adminHeaders['x-api-key']!,
      roomWebhookSecret: 'room-webhook-secret-5b1e0d44a7',
      wrongPassword: 'not-the-admin-password-93c1',
    };

    // A sign-in with a password (after a wrong one), a session cookie, an API key made with it and used.
    assert.equal((await product.as({})('POST', '/v1/auth/login', { email: TEST_ADMIN_EMAIL, password: secrets.wrongPassword })).status, 401);
    const login = await product.as({})('POST', '/v1/auth/login', { email: TEST_ADMIN_EMAIL, password: TEST_ADMIN_PASSWORD });
    assert.equal(login.status, 200);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('mr_session='))!.split(';')[0]!;
    secrets.sessionCookie = cookie.slice('mr_session='.length);
    const key = await product.as({ cookie })('POST', '/v1/api-keys', { name: 'log-redaction' });
    assert.equal(key.status, 201);
    const apiKey: string = key.body.key;
    secrets.apiKey = apiKey;
    const asKey = product.as({ 'x-api-key': apiKey });

    // A room with a webhook secret that guests may join; its meeting; the platform's join token; a guest's meeting token, used.
    const room = await asKey('POST', '/v1/rooms', { name: 'log-redaction', allowAnonymous: true, webhookUrl: receiver.url, webhookSecret: secrets.roomWebhookSecret });
    assert.equal(room.status, 201, JSON.stringify(room.body));
    const meeting = (await asKey('POST', '/v1/rooms/log-redaction/meetings')).body;
    const join = await asKey('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Owner' });
    assert.equal(join.status, 200, JSON.stringify(join.body));
    secrets.platformJoinToken = join.body.token;
    const guest = await product.as({})('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Guest' });
    assert.equal(guest.status, 200, JSON.stringify(guest.body));
    secrets.meetingToken = guest.body.meetingToken;
    assert.equal((await product.as({ authorization: `Bearer ${secrets.meetingToken}` })('POST', `/v1/meetings/${meeting.id}/consent`, { consentGiven: true })).status, 200);

    // A signed webhook Daily would send; then the meeting itself: the simulator's webhooks are signed with the secret.
    const signed = await sendDailyWebhook(product, JSON.stringify({ version: '1.0.0', type: 'meeting.started', id: 'evt-log-redaction', payload: { meeting_id: 'm', room: 'nowhere', start_ts: 1 }, event_ts: Date.now() / 1000 }));
    assert.ok(signed.status < 300, String(signed.status));
    const ann = await product.daily.join(meeting.platformRoomName, { userName: 'Ann', userId: 'ann', owner: true, voice: 'en-us' });
    await waitFor(async () => (await asKey('GET', `/v1/meetings/${meeting.id}`)).body.participantCount > 0, 15_000, "Ann's join applied");
    assert.equal((await asKey('POST', `/v1/meetings/${meeting.id}/recordings/start`, { manual: true })).body.status, 'recording');
    await sleep((await product.daily.say(ann.sessionId, { text: 'The budget is on track.' })).durationMs + 800);
    await product.daily.leave(ann.sessionId);
    const state: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    const raw = state.recordings.find((r) => r.kind === 'raw-tracks');
    assert.ok(raw, JSON.stringify(state.recordings));
    const result = await recordingWorkflowResult(product, raw.id);
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    assert.ok(receiver.deliveries.length > 0, "the room's webhook was sent, signed with its secret");
    for (const other of state.recordings.filter((r) => r.id !== raw.id)) await recordingWorkflowResult(product, other.id);
    const download = await asKey('GET', `/v1/recordings/${raw.id}/download`);
    assert.equal(download.status, 307);
    secrets.downloadSignature = new URL(download.headers.get('location')!, product.url).searchParams.get('sig')!;
    assert.ok(secrets.downloadSignature);

    // Failures: a refusal on the meeting's route (it has ended), and a 500 when the database refuses the room's secret.
    assert.equal((await asKey('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Late' })).status, 409);
    const connection = product.services.db.em.getConnection();
    await connection.execute(`alter table "room" add constraint "log_redaction_no_secrets" check ("webhook_secret" is null) not valid`);
    try {
      assert.equal((await asKey('POST', '/v1/rooms', { name: 'log-redaction-two', webhookSecret: secrets.roomWebhookSecret })).status, 500);
    } finally {
      await connection.execute(`alter table "room" drop constraint if exists "log_redaction_no_secrets"`);
    }
    await sleep(500); // the SDK's buffered lines

    const lines = productLogs.lines();
    const text = productLogs.written.join('');
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(value.length >= 16, `${name} is long enough to be found`);
      for (const form of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])) assert.equal(text.includes(form), false, `a log line contains ${name}`);
    }

    // The capture is real: the SDK's lines of the meeting's and the recording's workflows and activities, with their ids.
    const aboutMeeting = lines.filter((line) => line.meetingId === meeting.id);
    assert.ok(aboutMeeting.some((line) => line.sdkComponent === 'workflow' || line.msg === 'Workflow started'), 'a workflow line of the meeting');
    assert.ok(aboutMeeting.some((line) => line.activityType && line.workflowId === meetingWorkflowId(meeting.id) && typeof line.runId === 'string'), 'an activity line of the meeting, with its run');
    assert.ok(lines.some((line) => line.recordingId === raw.id && line.activityType), 'an activity line of the recording');
    // The SDK's activity lines carry the activity's task token: censored in each (the redaction is on in the product).
    const activityLines = lines.filter((line) => line.activityType);
    assert.ok(activityLines.length > 0 && activityLines.every((line) => line.taskToken === '[redacted]'), 'task tokens censored');
    // The API's error path: the refusal with the meeting's id and route, the 500 with its cause; neither with headers.
    const refused = lines.find((line) => line.msg === 'request refused' && line.meetingId === meeting.id && line.status === 409);
    assert.ok(refused, 'the refused join is logged with its meeting');
    assert.deepEqual([refused.method, refused.path, refused.route], ['POST', `/v1/meetings/${meeting.id}/join`, '/v1/meetings/:id/join']);
    const failed = lines.find((line) => line.msg === 'request failed' && line.path === '/v1/rooms');
    assert.ok(failed, 'the 500 is logged');
    assert.equal(failed.level, 'error');
    assert.match(String(failed.error), /log_redaction_no_secrets/);
    assert.ok(lines.every((line) => line.headers === undefined && line.body === undefined), 'no request headers or bodies');
  });
});
