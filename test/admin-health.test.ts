// GET /v1/admin/health (operations/health-report.ts): recordings stuck past their timeouts, transcripts that stopped
// moving, and the failures of the last days, each named with its room and meeting; for admins only. Then the same
// report as the operators' digest: the `operator-digest` schedule's run posts it, signed, to OPERATOR_WEBHOOK_URL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';
import { ensureOperatorDigestSchedule, ensureSchedules } from '../runtime/schedules.ts';
import { OPERATOR_DIGEST_SCHEDULE_ID } from '../workflows/operator-digest.ts';
import { Recording, Transcript } from '../db/entities.ts';

const SECRET = 'operators-digest-secret-0123456789';
let product: TestProduct;
let receiver: WebhookReceiver;
before(async () => {
  receiver = await startWebhookReceiver();
  product = await startTestProduct({ name: 'adminhealth', env: { OPERATOR_WEBHOOK_URL: receiver.url, OPERATOR_WEBHOOK_SECRET: SECRET, OPERATOR_DIGEST_MINUTES: '30' } });
});
after(async () => {
  receiver?.close();
  await product?.stop();
});

test('lists what is stuck or failed, and nothing that is well', { timeout: 60_000 }, async () => {
  assert.equal((await product.request('GET', '/v1/admin/health')).body.healthy, true, 'a new deployment has nothing to report');
  await product.request('POST', '/v1/rooms', { name: 'ops-room' });
  const meeting = (await product.request('POST', '/v1/rooms/ops-room/meetings')).body.id as string;
  const { meetings } = product.services.config;
  const stuckAfterMs = (meetings.recordingMaxDurationSeconds + meetings.recordingReadyTimeoutSeconds) * 1000;
  const em = product.services.db.em.fork();
  const add = (fields: Partial<Recording> & Pick<Recording, 'status' | 'recordedAt'>) => {
    const id = randomUUID();
    em.create(Recording, { id, meeting, type: 'raw-tracks', bucket: product.services.storage.bucket, objectKey: `ops/${id}/`, ...fields });
    return id;
  };
  const stuck = add({ status: 'pending', recordedAt: new Date(Date.now() - stuckAfterMs - 60_000) });
  const waiting = add({ status: 'recording', recordedAt: new Date(Date.now() - stuckAfterMs + 600_000) });
  const failed = add({ status: 'failed', recordedAt: new Date(), error: 'the platform ended the recording in error' });
  const copyFailed = add({
    status: 'completed', recordedAt: new Date(),
    ownerCopy: { status: 'failed', at: new Date().toISOString(), url: 'https://cloud.example.com/remote.php/dav/files/ada/Recordings/', files: [], error: 'the WebDAV server answered 507 Insufficient Storage' },
  });
  const stalledRecording = add({ status: 'processing', recordedAt: new Date() });
  const movingRecording = add({ status: 'processing', recordedAt: new Date() });
  const erred = em.create(Transcript, { recording: failed, status: 'error', error: 'speech: the engine refused the audio' });
  const stalled = em.create(Transcript, { recording: stalledRecording, status: 'processing', progress: { step: 'transcribing', tracksDone: 1, tracksTotal: 2, percent: 42 } });
  const moving = em.create(Transcript, { recording: movingRecording, status: 'processing' });
  await em.flush();
  await em.getConnection().execute(`update transcript set updated_at = now() - interval '2 hours' where id = ?`, [stalled.id]);

  assert.equal((await product.as({})('GET', '/v1/admin/health')).status, 401);
  const user = await product.createUser({ email: 'ops-viewer@example.com' });
  assert.equal((await product.as(user.headers)('GET', '/v1/admin/health')).status, 403);

  const report = (await product.request('GET', '/v1/admin/health')).body;
  assert.equal(report.healthy, false);
  const ids = (list: { items: Array<{ id: string }> }) => list.items.map((i) => i.id);
  assert.deepEqual(ids(report.stuckRecordings), [stuck], 'the one past its timeout, not the one still within it');
  assert.ok(!ids(report.stuckRecordings).includes(waiting));
  const [stuckItem] = report.stuckRecordings.items;
  assert.deepEqual([stuckItem.roomName, stuckItem.meetingId, stuckItem.status, stuckItem.kind], ['ops-room', meeting, 'pending', 'raw-tracks']);
  assert.ok(stuckItem.waitingSeconds >= stuckAfterMs / 1000);
  assert.deepEqual(ids(report.stalledTranscripts), [stalled.id], 'the transcript with no progress for two hours, not the one just moved');
  assert.ok(!ids(report.stalledTranscripts).includes(moving.id));
  assert.equal(report.stalledTranscripts.items[0].step, 'transcribing');
  assert.deepEqual(ids(report.failedRecordings), [failed]);
  assert.equal(report.failedRecordings.items[0].error, 'the platform ended the recording in error');
  assert.deepEqual(ids(report.failedTranscripts), [erred.id]);
  assert.equal(report.failedTranscripts.items[0].recordingId, failed);
  assert.deepEqual(ids(report.failedCopies), [copyFailed]);
  assert.match(report.failedCopies.items[0].error, /507/);

  // A recording deleted by its owner is no longer the operator's concern.
  await em.getConnection().execute(`update recording set deletion_requested_at = now() where id = ?`, [stuck]);
  assert.equal((await product.request('GET', '/v1/admin/health')).body.stuckRecordings.count, 0);
});

test("the operator-digest schedule posts the report, signed, to the operators' webhook", { timeout: 60_000 }, async () => {
  const { temporal } = product.services;
  await ensureSchedules(temporal, product.config);
  const schedule = await temporal.schedule.getHandle(OPERATOR_DIGEST_SCHEDULE_ID).describe();
  assert.equal(schedule.spec.intervals?.[0]?.every, 30 * 60 * 1000, 'every OPERATOR_DIGEST_MINUTES');
  await temporal.schedule.getHandle(OPERATOR_DIGEST_SCHEDULE_ID).trigger();
  for (let i = 0; i < 100 && receiver.deliveries.length === 0; i++) await sleep(200);
  const [delivery] = receiver.deliveries;
  assert.ok(delivery, 'the digest was posted');
  assert.equal(delivery.headers['x-webhook-event'], 'operator.digest');
  const timestamp = delivery.headers['x-webhook-timestamp'] as string;
  assert.equal(delivery.headers['x-webhook-signature'], `v1=${createHmac('sha256', SECRET).update(`${timestamp}.${delivery.raw}`).digest('hex')}`);
  const { event, report } = JSON.parse(delivery.raw);
  assert.equal(event, 'operator.digest');
  assert.equal(report.healthy, false);
  assert.equal(report.failedRecordings.count, 1, 'what the first test left failed');
  assert.equal(report.failedCopies.items[0].roomName, 'ops-room');
  // Without an operators' webhook the schedule goes.
  assert.equal(await ensureOperatorDigestSchedule(temporal, { taskQueue: product.config.temporal.taskQueue, digest: null }), 'removed');
  assert.equal(await ensureOperatorDigestSchedule(temporal, { taskQueue: product.config.temporal.taskQueue, digest: null }), 'none');
});
