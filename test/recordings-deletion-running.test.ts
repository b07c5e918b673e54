// Deleting a recording while its pipeline runs: the deletion workflow cancels `recording/<id>`, waits for it
// to close (so it cannot write again), then deletes the objects and rows. The pipeline is held mid-way for
// real: this product's worker serves only the workflows' queue, so its first audio activity waits unserved.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { randomUUID } from 'node:crypto';
import { remainingKeys, seedRoom } from './support/recordings.ts';
import { Recording, Transcript } from '../db/entities.ts';
import { recordingWorkflow } from '../workflows/recording.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';

describe('deleting a recording while its pipeline runs', { timeout: 120_000 }, () => {
  let product: TestProduct;

  before(async () => {
    product = await startTestProduct({ name: 'deleterunning', worker: { queues: ['meetings'] } });
  });
  after(() => product?.stop());

  it('cancels the pipeline, waits for it to close, then deletes every object and row', async () => {
    const em = product.services.db.em.fork();
    const owner = await product.createUser();
    const { meeting } = await seedRoom(em, { name: 'busy', ownerId: owner.id });
    // Daily's raw-track keys: `{domain}/{room}/{recording start}-{session}-cam-audio-{track start}`.
    const startMs = Date.now() - 120_000;
    const objectKey = `test.daily.co/${meeting.platformRoomName}/${startMs}`;
    const keys = [0, 1].map((i) => `${objectKey}-${randomUUID()}-cam-audio-${startMs + 500 * i}`);
    for (const key of keys) await product.services.storage.put(key, Buffer.from('not really webm'), { contentType: 'audio/webm' });
    const recording = em.create(Recording, {
      id: randomUUID(), meeting, type: 'raw-tracks', bucket: product.services.storage.bucket, objectKey, trackKeys: keys,
      recordedAt: new Date(startMs), durationSeconds: 60, sizeBytes: 30, status: 'processing',
    });
    await em.flush();
    const pipeline = await product.services.temporal.workflow.start(recordingWorkflow, {
      workflowId: recordingWorkflowId(recording.id),
      taskQueue: product.config.temporal.taskQueue,
      args: [{
        meetingId: meeting.id, roomName: 'busy', recordingId: recording.id, kind: 'raw-tracks', startedAt: recording.recordedAt.toISOString(),
        durationSeconds: 60, objectKey: recording.objectKey, tracks: (recording.trackKeys ?? []).map((key) => ({ type: 'audio' as const, key, size: 1 })), platformMeetingId: null,
      }],
    });
    // Running, with its transcript made and a track waiting on the (unserved) audio queue.
    const deadline = Date.now() + 30_000;
    while (!(await product.services.db.em.fork().count(Transcript, { recording: recording.id }))) {
      assert.ok(Date.now() < deadline, 'the pipeline made its transcript');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal((await pipeline.describe()).status.name, 'RUNNING');

    const deleted = await product.request('DELETE', `/v1/recordings/${recording.id}`, undefined, owner.headers);
    assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
    const result = await product.services.temporal.workflow.getHandle(deleted.body.workflowId).result();
    const closed = await pipeline.describe();
    const outcome = await pipeline.result().then((r) => JSON.stringify(r), (e: Error) => `${e.name}: ${e.message} / ${(e.cause as Error | undefined)?.message}`);
    assert.equal(result.pipeline, 'cancelled', `${closed.status.name} ${outcome}`);
    assert.notEqual((await pipeline.describe()).status.name, 'RUNNING', 'the pipeline has closed');
    assert.equal(result.rowsDeleted, true);
    assert.deepEqual(await remainingKeys(product.services.storage, keys), []);
    const after = product.services.db.em.fork();
    assert.equal(await after.count(Recording, { id: recording.id }), 0);
    assert.equal(await after.count(Transcript, { recording: recording.id }), 0);
  });
});
