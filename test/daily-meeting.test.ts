// End to end on the real Temporal dev server through the Daily simulator: one meeting workflow owns dual
// recording. 3 participants, a stop and restart (→ two raw-tracks recordings and two cloud ones), a rejoin,
// duplicated and reordered webhooks, a dropped one recovered by reconciliation, 20 concurrent start
// requests → one start per type at Daily; and the webhook endpoint's refusals store nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, sendDailyWebhook, type TestProduct } from './support/product.ts';
import { Meeting, Recording, WebhookEvent, ParticipantSession } from '../db/entities.ts';
import { compositeInstanceId } from '../platforms/platform.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';
import { signDailyWebhook } from '../platforms/daily/signature.ts';

const START = 'POST /rooms/:name/recordings/start';

describe('Daily end to end: the meeting workflow owns dual recording', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'dailye2e', env: { RECORDING_READY_TIMEOUT_SECONDS: '8' } });
  });
  after(() => product?.stop());

  it('records both types through a stop/restart and a rejoin, surviving webhook faults', { timeout: 240_000 }, async () => {
    const sim = product.daily;
    await product.request('POST', '/v1/rooms', { name: 'planning', recordingTrigger: 'automatic' });
    const meeting = (await product.request('POST', '/v1/rooms/planning/meetings')).body;
    assert.match(meeting.roomUrl, /planning-\d{14}$/);
    const joinInfo = await product.request('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Alice' });
    assert.equal(joinInfo.status, 200);
    assert.equal(joinInfo.body.isOwner, true);
    assert.equal(JSON.parse(Buffer.from(joinInfo.body.token.split('.')[1], 'base64url').toString()).r, meeting.platformRoomName);

    await sim.setFaults({ webhooks: [
      { action: 'duplicate', types: ['participant.joined', 'recording.started'] },
      { action: 'reorder', types: ['participant.left'], count: 1 },
      { action: 'drop', types: ['recording.ready-to-download'], count: 1 },
    ] });
    const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
    const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
    let carol = await sim.join(meeting.platformRoomName, { userName: 'Carol', userId: 'carol' });

    // Twenty browsers ask at once: exactly one start per type reaches Daily.
    const answers = await Promise.all(Array.from({ length: 20 }, () => product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})));
    for (const answer of answers) assert.equal(answer.body.status, 'recording', JSON.stringify(answer.body));
    const stats = await sim.stats();
    assert.equal(stats.recordingsStarted.cloud, 1);
    assert.equal(stats.recordingsStarted['raw-tracks'], 1);
    assert.deepEqual(stats.restStatuses[START], { 200: 2 }, JSON.stringify(stats.restStatuses));

    await sim.say(alice.sessionId, { text: 'Good morning, let us plan the release.' });
    await sleep(2500);
    await sim.say(bob.sessionId, { text: 'The build is green.' });
    await sleep(1500);
    await sim.leave(carol.sessionId);
    carol = await sim.join(meeting.platformRoomName, { userName: 'Carol', userId: 'carol' });
    await sim.say(carol.sessionId, { text: 'I am back.' });
    await sleep(1500);

    // The host stops and restarts: two new recordings, each processed on its own.
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/stop`)).body.status, 'stopped');
    const restarted = await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, { manual: true });
    assert.equal(restarted.body.status, 'recording');
    await sim.say(bob.sessionId, { text: 'Second part of the meeting.' });
    await sleep(2000);
    for (const who of [alice, bob, carol]) await sim.leave(who.sessionId);

    const result: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    assert.equal(result.phase, 'ended');
    assert.equal(result.endReason, 'platform');
    const kinds = result.recordings.map((r) => `${r.kind}:${r.status}`).sort();
    assert.deepEqual(kinds, ['cloud:ready', 'cloud:ready', 'raw-tracks:ready', 'raw-tracks:ready']);

    // Every recording was handed to its own workflow, once.
    for (const r of result.recordings) {
      const child = await product.services.temporal.workflow.getHandle(recordingWorkflowId(r.id)).result();
      assert.equal(child.recordingId, r.id);
    }
    const em = product.services.db.em.fork();
    const rows = await em.find(Recording, { meeting: meeting.id }, { orderBy: { recordedAt: 'asc' } });
    const rawTracks = rows.filter((r) => r.type === 'raw-tracks');
    assert.equal(rawTracks.length, 2);
    assert.ok(rows.every((r) => r.status === 'completed'));
    // First recording: Alice, Bob, Carol twice (her rejoin is a second track); video tracks filtered out.
    assert.equal(rawTracks[0]!.trackKeys!.length, 4);
    assert.equal(rawTracks[1]!.trackKeys!.length, 3);
    for (const key of rawTracks.flatMap((r) => r.trackKeys!)) {
      assert.match(key, /^sim\/planning-\d{14}\/\d+-[0-9a-f-]{36}-cam-audio-\d+$/);
      assert.ok(await product.services.storage.head(key), `track ${key} is in storage`);
    }
    const sessions = await em.count(ParticipantSession, { meeting: meeting.id });
    assert.equal(sessions, 4);
    // Duplicated webhooks were stored once each.
    const events = await em.find(WebhookEvent, { meetingId: meeting.id });
    assert.equal(new Set(events.map((e) => e.eventId)).size, events.length);

    // The cloud recording link: a short-lived presigned URL to an MP4.
    const link = await fetch(`${product.url}/v1/meetings/${meeting.id}/cloud-recording`, { redirect: 'manual', headers: product.adminHeaders });
    assert.equal(link.status, 307);
    const video = await fetch(link.headers.get('location')!);
    assert.equal(video.status, 200);
    assert.equal(video.headers.get('content-type'), 'video/mp4');
    assert.ok((await video.arrayBuffer()).byteLength > 1000);
  });

  it('records a recording.error on the recording and the meeting, starts the next recording, and the rest proceeds', { timeout: 120_000 }, async () => {
    const sim = product.daily;
    await product.request('POST', '/v1/rooms', { name: 'flaky', recordingTrigger: 'automatic' });
    const meeting = (await product.request('POST', '/v1/rooms/flaky/meetings')).body;
    const host = await sim.join(meeting.platformRoomName, { userName: 'Host', userId: 'host', owner: true });
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
    await sim.say(host.sessionId, { text: 'Testing one two.' });
    await sleep(1500);
    await sim.failRecording(compositeInstanceId(meeting.id), 'cloud-recording-error: Error fetching STS credentials');
    await sleep(500);
    await sim.leave(host.sessionId);

    const result: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    // The failed cloud recording is followed by the next one, which records the rest of the meeting.
    const [failed, next, ...more] = result.recordings.filter((r) => r.kind === 'cloud');
    assert.equal(failed?.status, 'error');
    assert.match(failed?.error ?? '', /STS credentials/);
    assert.equal(next?.status, 'ready', JSON.stringify(result.recordings));
    assert.deepEqual(more, []);
    assert.deepEqual(result.recordings.filter((r) => r.kind === 'raw-tracks').map((r) => r.status), ['ready']);
    const em = product.services.db.em.fork();
    assert.match((await em.findOneOrFail(Meeting, meeting.id)).recordingError ?? '', /STS credentials/);
    assert.equal((await em.findOneOrFail(Recording, failed!.id)).status, 'failed');
  });

  it('still processes a late webhook for a meeting whose workflow has finished, once', { timeout: 120_000 }, async () => {
    const em = product.services.db.em.fork();
    const ended = await em.findOneOrFail(Meeting, { room: { name: 'planning' } }, { orderBy: { startDate: 'asc' } });
    const cloud = await em.findOneOrFail(Recording, { meeting: ended.id, type: 'cloud' }, { orderBy: { recordedAt: 'asc' } });
    const lateId = '0f6b3a8e-5b0a-4c39-9d7e-2a4b1d9c7e11';
    const body = JSON.stringify({
      version: '1.0.0', type: 'recording.ready-to-download', id: `rec-rtd-late-${Date.now()}`,
      payload: { type: 'cloud', recording_id: lateId, room_name: ended.platformRoomName, start_ts: Math.floor(ended.startDate.getTime() / 1000) + 5, status: 'finished', max_participants: 3, duration: 12, s3_key: cloud.objectKey },
      event_ts: Date.now() / 1000,
    });
    const send = async () => {
      const response = await sendDailyWebhook(product, body);
      return { status: response.status, body: await response.json() as { outcome?: string; duplicate?: boolean } };
    };
    const first = await send();
    assert.equal(first.status, 200);
    // Acknowledged once recorded; the dispatcher then finds the meeting's run finished and starts the recording's own workflow.
    assert.equal(first.body.outcome, 'accepted');
    const handle = product.services.temporal.workflow.getHandle(recordingWorkflowId(lateId));
    for (let i = 0; i < 100 && !(await handle.describe().then(() => true, () => false)); i++) await sleep(100);
    const child = await handle.result();
    assert.equal(child.recordingId, lateId);
    const row = await em.fork().findOneOrFail(Recording, lateId, { populate: ['meeting'] });
    assert.equal(row.meeting?.id, ended.id);
    let outcome = '';
    for (let i = 0; i < 50 && outcome !== 'recording-workflow'; i++) {
      outcome = (await em.fork().findOneOrFail(WebhookEvent, { type: 'recording.ready', meetingId: ended.id }, { orderBy: { receivedAt: 'desc' } })).outcome;
      await sleep(100);
    }
    assert.equal(outcome, 'recording-workflow');
    assert.equal((await send()).body.duplicate, true);
  });

  it('delivers a webhook that was recorded but not signalled before a crash (the dispatcher\'s sweep)', { timeout: 60_000 }, async () => {
    await product.request('POST', '/v1/rooms', { name: 'swept' });
    const meeting = (await product.request('POST', '/v1/rooms/swept/meetings')).body;
    const em = product.services.db.em.fork();
    // As a process that stopped right after answering Daily would leave it: recorded, not delivered.
    em.create(WebhookEvent, {
      platform: 'daily', eventId: `met-end-swept-${Date.now()}`, type: 'meeting.ended', meetingId: meeting.id, outcome: 'received',
      receivedAt: new Date(Date.now() - 60_000),
      payload: { version: '1.0.0', type: 'meeting.ended', id: `met-end-swept-${Date.now()}`, payload: { start_ts: Date.now() / 1000 - 60, end_ts: Date.now() / 1000, meeting_id: '5f0c1a34-3c2b-4a7e-9d51-0b8e2c7f6a10', room: meeting.platformRoomName }, event_ts: Date.now() / 1000 },
    });
    await em.flush();
    await product.api.webhookDispatcher.sweep(); // also runs every few seconds on its own
    const result: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    assert.equal(result.endReason, 'platform');
  });

  it('refuses a bad signature, an old timestamp, malformed JSON and an oversized body, storing nothing', async () => {
    const secret = product.config.daily.webhookSecret;
    const url = `${product.url}/v1/webhooks/daily`;
    const em = product.services.db.em.fork();
    const before = await em.count(WebhookEvent, {});
    const body = JSON.stringify({ version: '1.0.0', type: 'meeting.started', id: 'met-sta-x-1', payload: { start_ts: 1, meeting_id: 'x', room: 'r' }, event_ts: 1 });
    const now = String(Math.floor(Date.now() / 1000));
    const send = (raw: string, ts: string, signature = signDailyWebhook(secret, ts, raw)) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-timestamp': ts, 'x-webhook-signature': signature }, body: raw });

    assert.equal((await send(body, now, signDailyWebhook(Buffer.from('other-secret-000000').toString('base64'), now, body))).status, 401);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const stale = await send(body, old);
    assert.equal(stale.status, 401);
    assert.equal(((await stale.json()) as { error: { code: string } }).error.code, 'stale_timestamp');
    assert.equal((await send('{"type": "meeting.started", ', now)).status, 400);
    assert.equal((await send(JSON.stringify({ pad: 'x'.repeat(400_000) }), now)).status, 413);
    assert.equal(await em.count(WebhookEvent, {}), before);

    // The handshake answers 200; a valid unmatched event is stored and acknowledged (never trips Daily's breaker).
    assert.equal((await send('{"test":"test"}', now)).status, 200);
    const unmatched = await send(body, now);
    assert.equal(unmatched.status, 200);
    assert.equal(((await unmatched.json()) as { outcome: string }).outcome, 'unmatched');
    const again = await send(body, now);
    assert.equal(((await again.json()) as { duplicate?: boolean }).duplicate, true);
    assert.equal(await em.count(WebhookEvent, {}), before + 1);
  });
});
