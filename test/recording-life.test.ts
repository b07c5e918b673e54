// A recording's life is visible: `pending` once requested, `recording` once the platform confirms it (Daily's
// recording.started), then its end state — in the API (the recordings list and its status filter) and in the
// meeting workflow's query alike. The confirmation is held back by the Daily simulator (a dropped delivery,
// posted later, signed as Daily signs it), so the pending stage is seen for certain; a start the platform
// fails before confirming it ends its pending recording `failed`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, sendDailyWebhook, type TestProduct } from './support/product.ts';
import { Recording } from '../db/entities.ts';
import { RECORDING_STATUSES } from '../shared/recording-statuses.ts';
import { compositeInstanceId, speakerAudioInstanceId } from '../platforms/platform.ts';
import { meetingStateQuery } from '../workflows/meeting.ts';
import { meetingWorkflowId, type KnownRecording, type MeetingState } from '../meetings/messages.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';

describe('a recording\'s life: pending, recording, then its end state', () => {
  let product: TestProduct;

  before(async () => {
    product = await startTestProduct({ name: 'reclife', env: { RECORDING_READY_TIMEOUT_SECONDS: '30' } });
  });
  after(() => product?.stop());

  async function openMeeting(room: string) {
    await product.request('POST', '/v1/rooms', { name: room, recordingTrigger: 'automatic' });
    const meeting = (await product.request('POST', `/v1/rooms/${room}/meetings`)).body;
    const alice = await product.daily.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
    const bob = await product.daily.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
    return { meetingId: meeting.id as string, sessions: [alice.sessionId, bob.sessionId] };
  }

  const query = (meetingId: string): Promise<MeetingState> => product.services.temporal.workflow.getHandle(meetingWorkflowId(meetingId)).query(meetingStateQuery);
  const lifeOf = (state: MeetingState) => state.recordings.map((r) => `${r.kind}:${r.status}`).sort();
  /** The room's recordings the API lists with this status, as kind:status. */
  const listed = async (room: string, status: string) => {
    const answer = await product.request('GET', `/v1/recordings?room=${room}&status=${status}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return (answer.body.items as Array<{ id: string; type: string; status: string }>).map((r) => ({ id: r.id, life: `${r.type}:${r.status}` }));
  };

  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    let value = await read();
    for (const deadline = Date.now() + 60_000; !done(value); value = await read()) {
      assert.ok(Date.now() < deadline, `${what}: last seen ${JSON.stringify(value)}`);
      await sleep(100);
    }
    return value;
  }

  it('is pending until the platform confirms, recording until it is ready, then completed', { timeout: 240_000 }, async () => {
    const room = 'lifecycle';
    const { meetingId, sessions } = await openMeeting(room);
    await product.daily.setFaults({ webhooks: [{ action: 'drop', types: ['recording.started'] }] });
    assert.equal((await product.request('POST', `/v1/meetings/${meetingId}/recordings/start`, {})).body.status, 'recording');

    // Requested, not confirmed: pending in the query and in the API, under the workflow's ids for the starts.
    const pending = await until('pending in the query', () => query(meetingId), (s) => lifeOf(s).join() === 'cloud:pending,raw-tracks:pending');
    const pendingIds = pending.recordings.map((r) => r.id).sort();
    await until('pending in the API', () => listed(room, 'pending'), (items) => items.length === 2);
    assert.deepEqual((await listed(room, 'pending')).map((r) => r.id).sort(), pendingIds);
    assert.deepEqual(await listed(room, 'recording'), []);

    // The platform's confirmations come: recording, under the platform's ids; no pending row is left.
    const instances = [compositeInstanceId(meetingId), speakerAudioInstanceId(meetingId)];
    const ofThisMeeting = (body: string) => instances.includes((JSON.parse(body) as { payload: { instance_id: string } }).payload.instance_id);
    const started = await until('both starts at the simulator', async () => (await product.daily.webhookDeliveries()).filter((d) => d.type === 'recording.started' && d.outcome === 'dropped' && ofThisMeeting(d.body)), (d) => d.length === 2);
    await product.daily.setFaults({});
    for (const delivery of started) assert.equal((await sendDailyWebhook(product, delivery.body)).status, 200);
    const platformIds = started.map((d) => (JSON.parse(d.body) as { payload: { recording_id: string } }).payload.recording_id).sort();
    const recording = await until('recording in the query', () => query(meetingId), (s) => lifeOf(s).join() === 'cloud:recording,raw-tracks:recording');
    assert.deepEqual(recording.recordings.map((r: KnownRecording) => r.id).sort(), platformIds);
    await until('recording in the API', () => listed(room, 'recording'), (items) => items.length === 2);
    assert.deepEqual((await listed(room, 'recording')).map((r) => r.id).sort(), platformIds);
    assert.deepEqual(await listed(room, 'pending'), []);

    // Alice speaks; everyone leaves: ready in the query, completed in the API (the raw tracks once transcribed).
    const said = await product.daily.say(sessions[0]!, { text: 'The recording has started now.' });
    await sleep(said.durationMs + 800);
    for (const session of sessions) await product.daily.leave(session);
    const ended = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meetingId)).result() as MeetingState;
    assert.deepEqual(lifeOf(ended), ['cloud:ready', 'raw-tracks:ready']);
    for (const id of platformIds) await product.services.temporal.workflow.getHandle(recordingWorkflowId(id)).result();
    assert.deepEqual((await listed(room, 'completed')).map((r) => r.life).sort(), ['cloud:completed', 'raw-tracks:completed']);
    const rows = await product.services.db.em.fork().find(Recording, { meeting: meetingId });
    assert.deepEqual(rows.map((r) => r.id).sort(), platformIds, 'one row per recording, no pending one left');
  });

  it('ends a pending recording failed when the platform fails its start before confirming it', { timeout: 240_000 }, async () => {
    const room = 'lifefailed';
    const { meetingId, sessions } = await openMeeting(room);
    await product.daily.failRecording(compositeInstanceId(meetingId), 'no recording capacity');
    assert.equal((await product.request('POST', `/v1/meetings/${meetingId}/recordings/start`, {})).body.status, 'recording');
    const state = await until('the cloud start failed, the raw tracks recording', () => query(meetingId), (s) => lifeOf(s).join() === 'cloud:error,raw-tracks:recording');
    const failed = state.recordings.find((r) => r.kind === 'cloud')!;
    assert.match(failed.error ?? '', /no recording capacity/);
    const items = await until('failed in the API', () => listed(room, 'failed'), (i) => i.length === 1);
    assert.deepEqual(items, [{ id: failed.id, life: 'cloud:failed' }]);
    assert.deepEqual(await listed(room, 'pending'), []);
    const said = await product.daily.say(sessions[0]!, { text: 'Only the audio tracks are recorded.' });
    await sleep(said.durationMs + 800);
    for (const session of sessions) await product.daily.leave(session);
    const ended = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meetingId)).result() as MeetingState;
    assert.deepEqual(lifeOf(ended), ['cloud:error', 'raw-tracks:ready'], 'the failed start is not awaited, nor marked missing');
  });

  it('filters by every status the recordings API lists, and refuses any other', async () => {
    for (const status of RECORDING_STATUSES) assert.equal((await product.request('GET', `/v1/recordings?status=${status}`)).status, 200, status);
    const refused = await product.request('GET', '/v1/recordings?status=ready');
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.body), /status/);
  });
});
