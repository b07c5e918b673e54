// Meetings on the real Temporal dev server: creating one starts exactly one workflow, findable by room
// name; the API ends it; data survives a restart; /readyz reports every dependency.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, sendDailyWebhook, type TestProduct } from './support/product.ts';
import { meetingStateQuery, requestRecordingUpdate } from '../workflows/meeting.ts';
import { Recording, WebhookEvent } from '../db/entities.ts';
import { openServices } from '../runtime/services.ts';
import { startApiServer } from '../api/server.ts';
import { createLogger } from '../runtime/log.ts';

async function countWorkflows(product: TestProduct, query: string, expected: number): Promise<number> {
  // Visibility is eventually consistent: wait until the expected count shows (or time runs out).
  let count = 0;
  for (let i = 0; i < 50; i++) {
    count = 0;
    for await (const _ of product.services.temporal.workflow.list({ query })) count++;
    if (count >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return count;
}

describe('meetings', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'meetings' });
  });
  after(() => product?.stop());

  it('starts exactly one workflow when the create request is sent twice at once, findable by room name', async () => {
    await product.request('POST', '/v1/rooms', { name: 'standup' });
    const [a, b] = await Promise.all([
      product.request('POST', '/v1/rooms/standup/meetings', {}),
      product.request('POST', '/v1/rooms/standup/meetings', {}),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 201]);
    assert.equal(a.body.id, b.body.id);
    assert.match(a.body.platformRoomName, /^standup-\d{14}$/);
    assert.equal(a.body.workflowId, `meeting/${a.body.id}`);
    const third = await product.request('POST', '/v1/rooms/standup/meetings');
    assert.equal(third.status, 200);
    assert.equal(third.body.id, a.body.id);

    assert.equal(await countWorkflows(product, `RoomName = 'standup'`, 1), 1);
    assert.equal(await countWorkflows(product, `MeetingId = '${a.body.id}' AND MeetingState = 'open'`, 1), 1);
    const description = await product.services.temporal.workflow.getHandle(a.body.workflowId).describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.match((await description.staticSummary()) ?? '', /standup/);
  });

  it('ends the meeting through the API: the workflow marks it inactive and completes', async () => {
    await product.request('POST', '/v1/rooms', { name: 'ends-by-api' });
    const meeting = (await product.request('POST', '/v1/rooms/ends-by-api/meetings')).body;
    const state = await product.request('GET', `/v1/meetings/${meeting.id}/state`);
    assert.equal(state.status, 200);
    assert.equal(state.body.phase, 'open');

    const ended = await product.request('POST', `/v1/meetings/${meeting.id}/end`);
    assert.equal(ended.status, 202);
    const handle = product.services.temporal.workflow.getHandle(meeting.workflowId);
    const result = await handle.result();
    assert.equal(result.phase, 'ended');
    assert.equal(result.endReason, 'api');
    assert.equal((await handle.query(meetingStateQuery)).phase, 'ended');

    const after = await product.request('GET', `/v1/meetings/${meeting.id}`);
    assert.equal(after.body.active, false);
    assert.ok(after.body.endedAt);
    assert.equal(await countWorkflows(product, `MeetingId = '${meeting.id}' AND MeetingState = 'ended'`, 1), 1);
    // A new meeting can now be held in the room.
    const next = await product.request('POST', '/v1/rooms/ends-by-api/meetings');
    assert.equal(next.status, 201);
    assert.notEqual(next.body.id, meeting.id);
    // Ending twice is harmless.
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
  });

  it('starts no recording for a room whose recording type forbids it: 409 from the API, refused by the workflow, ignored from webhooks', async () => {
    for (const recordingType of ['none', 'local'] as const) {
      const name = `records-${recordingType}`;
      assert.equal((await product.request('POST', '/v1/rooms', { name, recordingType, recordingTrigger: 'automatic' })).status, 201);
      const meeting = (await product.request('POST', `/v1/rooms/${name}/meetings`)).body;
      for (const manual of [false, true]) {
        const refused = await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, { manual });
        assert.equal(refused.status, 409, JSON.stringify(refused.body));
        assert.equal(refused.body.error.code, 'recording_not_allowed');
        assert.match(refused.body.error.message, new RegExp(`recording type "${recordingType}"`));
      }
      // The workflow refuses it too, should anything ask it directly.
      const handle = product.services.temporal.workflow.getHandle(meeting.workflowId);
      const answer = await handle.executeUpdate(requestRecordingUpdate, { args: [{ manual: true }] });
      assert.equal(answer.status, 'idle');
      assert.match(answer.note ?? '', new RegExp(`recording type "${recordingType}"`));
      // A recording started at the platform anyway (not by us) is kept out of the pipeline.
      const recordingId = `platform-made-${recordingType}`;
      const startTs = Math.floor(Date.now() / 1000);
      const ready = JSON.stringify({
        version: '1.0.0', type: 'recording.ready-to-download', id: `ready-${recordingId}`, event_ts: startTs + 60,
        payload: { type: 'cloud', recording_id: recordingId, room_name: meeting.platformRoomName, start_ts: startTs, status: 'finished', duration: 60, s3_key: `x/${recordingId}.mp4` },
      });
      assert.equal((await sendDailyWebhook(product, ready)).status, 200);
      let outcome: string | undefined;
      for (let i = 0; i < 100 && (!outcome || outcome === 'received'); i++) {
        outcome = (await product.services.db.em.fork().findOne(WebhookEvent, { eventId: `ready-${recordingId}` }))?.outcome;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(outcome, 'recording-not-allowed');
      assert.equal(await product.services.db.em.fork().count(Recording, { id: recordingId }), 0, 'no recording stored');
      const state = await handle.query(meetingStateQuery);
      assert.deepEqual([state.recording.status, state.recordings.length, state.starts.length], ['idle', 0, 0]);
      assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
    }
  });

  it('validates meeting input and answers 404 for unknown rooms and meetings', async () => {
    await product.request('POST', '/v1/rooms', { name: 'validates' });
    const past = await product.request('POST', '/v1/rooms/validates/meetings', { endDate: '2000-01-01T00:00:00Z' });
    assert.equal(past.status, 400);
    assert.equal(past.body.error.details[0].field, 'endDate');
    assert.equal((await product.request('POST', '/v1/rooms/validates/meetings', { endDate: 'tomorrow' })).status, 400);
    assert.equal((await product.request('POST', '/v1/rooms/nope/meetings')).status, 404);
    assert.equal((await product.request('GET', '/v1/meetings/not-a-uuid')).status, 404);
    assert.equal((await product.request('GET', '/v1/meetings/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await product.request('GET', '/v1/no-such-route')).status, 404);
  });

  it('reports database, Temporal and storage in /readyz, and that it answers in /healthz', async () => {
    const ready = await product.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ok');
    for (const part of ['database', 'temporal', 'storage']) assert.equal(ready.body.checks[part].ok, true, part);
    const alive = await product.request('GET', '/healthz');
    assert.deepEqual([alive.status, alive.body.status, typeof alive.body.uptimeSeconds], [200, 'ok', 'number']);
  });

  it('keeps rooms and meetings across a restart', async () => {
    await product.request('POST', '/v1/rooms', { name: 'survives' });
    const meeting = (await product.request('POST', '/v1/rooms/survives/meetings')).body;
    await product.services.close();
    await product.api.close();
    // Same configuration, same data folder: a fresh process would see the same state.
    product.services = await openServices(product.config);
    product.api = await startApiServer(product.services, createLogger('warn'), { host: '127.0.0.1', port: 0 });
    product.url = product.api.url;
    const res = await fetch(`${product.api.url}/v1/meetings/${meeting.id}`, { headers: product.adminHeaders });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { roomName: string }).roomName, 'survives');
  });
});
