// Retention. On the time-skipping test server: a recording whose room keeps recordings one day is deleted
// (objects and rows) by the retention run once a day has passed, a newer one and one in a room without
// retention are kept, a deletion interrupted before its workflow started is finished, and a second run finds
// nothing. On the real dev server (the time-skipping server has no Schedule API): the schedule
// `recording-retention` is created once and updated in place at the next start, and a triggered run of it
// deletes an expired recording through the product's worker.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import { createActivities } from '../activities/index.ts';
import { openDatabase, type Database } from '../db/orm.ts';
import { Recording, RecordingAccessLog, Transcript } from '../db/entities.ts';
import { createObjectStorage } from '../storage/index.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import { createPlatform, PlatformRegistry } from '../platforms/index.ts';
import { retentionWorkflow, RETENTION_SCHEDULE_ID } from '../workflows/retention.ts';
import { ensureRetentionSchedule, ensureSchedules } from '../runtime/schedules.ts';
import { findTimeSkippingServer } from './support/servers.ts';
import { startTestProduct, workflowBundle, type TestProduct } from './support/product.ts';
import { remainingKeys, seedRecording, seedRoom } from './support/recordings.ts';

const TASK_QUEUE = 'retention';
const HOUR = 3_600_000;

describe('retention on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let db: Database;
  let storage: ObjectStorage;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: findTimeSkippingServer() } } });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'retention-ts-'));
    db = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    storage = createObjectStorage({ kind: 'local', rootDir: path.join(dataDir, 'objects'), publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'x'.repeat(32) });
    const platform = createPlatform('daily', { apiKey: 'unused', baseUrl: 'http://127.0.0.1:1/v1', webhookSecret: Buffer.from('unused').toString('base64') });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), activities: createActivities({ db, storage, platforms: new PlatformRegistry([platform]) }) });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await db?.close();
    await env?.teardown();
  });

  // A plain client: the testing client's result() lets the server skip time freely (here ten years at a
  // go, to the runs' timeout); with it, time moves only when the test says so (env.sleep).
  const runRetention = (defaultRetentionDays: number | null) =>
    new Client({ connection: env.connection, namespace: env.namespace }).workflow.execute(retentionWorkflow, {
      workflowId: `${RETENTION_SCHEDULE_ID}-${Date.now()}`,
      taskQueue: TASK_QUEUE,
      // The time-skipping server has no custom search attributes.
      args: [{ defaultRetentionDays, searchAttributes: false }],
    });

  it('deletes what outlived its room\'s retention once a day has passed, keeps the rest, and finds nothing the second time', async () => {
    const em = db.em.fork();
    const t0 = await env.currentTimeMs();
    const daily = await seedRoom(em, { name: 'one-day', ownerId: 'owner-1', retentionDays: 1 });
    const forever = await seedRoom(em, { name: 'forever', ownerId: 'owner-1' });
    const old = await seedRecording(em, storage, { meeting: daily.meeting, type: 'raw-tracks', recordedAt: new Date(t0 - HOUR), transcript: true, mp3: true });
    const newer = await seedRecording(em, storage, { meeting: daily.meeting, type: 'cloud', recordedAt: new Date(t0 + 20 * HOUR) });
    const kept = await seedRecording(em, storage, { meeting: forever.meeting, type: 'cloud', recordedAt: new Date(t0 - 100 * 24 * HOUR) });
    // Asked for two hours ago, but the API stopped before starting its workflow.
    const interrupted = await seedRecording(em, storage, { meeting: forever.meeting, type: 'cloud', recordedAt: new Date(t0 - HOUR) });
    interrupted.recording.deletionRequestedAt = new Date(t0 - 2 * HOUR);
    await em.flush();

    const early = await runRetention(null);
    assert.deepEqual(early, { expired: 0, redriven: 1, deleted: 1, failed: [] });
    assert.deepEqual(await remainingKeys(storage, interrupted.keys), []);
    assert.equal(await em.fork().count(Recording, { id: old.recording.id }), 1);

    await env.sleep('1 day');
    const result = await runRetention(null);
    assert.deepEqual(result, { expired: 1, redriven: 0, deleted: 1, failed: [] });
    const after = em.fork();
    assert.equal(await after.count(Recording, { id: old.recording.id }), 0);
    assert.equal(await after.count(Transcript, { id: old.transcript!.id }), 0);
    assert.deepEqual(await remainingKeys(storage, old.keys), []);
    for (const still of [newer, kept]) {
      assert.equal(await after.count(Recording, { id: still.recording.id, deletionRequestedAt: null }), 1);
      assert.deepEqual(await remainingKeys(storage, still.keys), still.keys);
    }
    const log = await after.find(RecordingAccessLog, { recordingId: old.recording.id });
    assert.deepEqual(log.map((e) => ({ action: e.action, detail: e.detail, userId: e.userId ?? null })), [{ action: 'delete', detail: 'retention', userId: null }]);

    assert.deepEqual(await runRetention(null), { expired: 0, redriven: 0, deleted: 0, failed: [] });

    // The default applies where the room sets none.
    await env.sleep('1 day');
    assert.deepEqual(await runRetention(null), { expired: 1, redriven: 0, deleted: 1, failed: [] }); // `newer`, now a day old
    assert.deepEqual(await runRetention(90), { expired: 1, redriven: 0, deleted: 1, failed: [] }); // `kept`, 102 days old
    assert.deepEqual(await remainingKeys(storage, kept.keys), []);
  });
});

describe('the retention schedule on the dev server', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'recordings-retention', env: { RECORDING_RETENTION_DAYS: '30' } });
  });
  after(() => product?.stop());

  it('is created once, updated in place at the next start, and its run deletes an expired recording', async () => {
    const { temporal } = product.services;
    await ensureSchedules(temporal, product.config);
    const handle = temporal.schedule.getHandle(RETENTION_SCHEDULE_ID);
    const first = await handle.describe();
    assert.equal(first.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.match(first.state.note ?? '', /retention/);
    assert.equal(first.spec.calendars?.[0]?.hour?.[0]?.start, 3);
    assert.equal(first.action.type, 'startWorkflow');
    assert.equal(first.action.type === 'startWorkflow' && first.action.workflowType, 'retentionWorkflow');
    assert.deepEqual(first.action.type === 'startWorkflow' && first.action.args, [{ defaultRetentionDays: 30 }]);
    assert.deepEqual(first.memo, { purpose: 'recording retention', defaultRetentionDays: 30 });

    // The next start, configured differently: the same schedule, updated.
    assert.equal(await ensureRetentionSchedule(temporal, { taskQueue: product.config.temporal.taskQueue, defaultRetentionDays: 7 }), 'updated');
    const second = await handle.describe();
    assert.deepEqual(second.action.type === 'startWorkflow' && second.action.args, [{ defaultRetentionDays: 7 }]);
    let schedules = 0;
    for await (const schedule of temporal.schedule.list()) if (schedule.scheduleId === RETENTION_SCHEDULE_ID) schedules++;
    assert.ok(schedules <= 1);

    const em = product.services.db.em.fork();
    const owner = await product.createUser();
    const { meeting } = await seedRoom(em, { name: 'scheduled', ownerId: owner.id });
    const expired = await seedRecording(em, product.services.storage, { meeting, type: 'cloud', recordedAt: new Date(Date.now() - 8 * 24 * HOUR) });
    const fresh = await seedRecording(em, product.services.storage, { meeting, type: 'cloud', recordedAt: new Date(Date.now() - 6 * 24 * HOUR) });
    const item = (await product.request('GET', `/v1/recordings/${fresh.recording.id}`)).body;
    assert.equal(item.expiresAt, new Date(fresh.recording.recordedAt.getTime() + 30 * 24 * HOUR).toISOString(), 'the API shows its own configuration (30 days)');

    await handle.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i++) {
      workflowId = (await handle.describe()).info.recentActions.at(-1)?.action.workflow.workflowId;
      if (!workflowId) await sleep(100);
    }
    assert.ok(workflowId?.startsWith(`${RETENTION_SCHEDULE_ID}-`), workflowId);
    const result = await temporal.workflow.getHandle(workflowId!).result();
    assert.deepEqual(result, { expired: 1, redriven: 0, deleted: 1, failed: [] });
    assert.equal(await em.fork().count(Recording, { id: expired.recording.id }), 0);
    assert.deepEqual(await remainingKeys(product.services.storage, expired.keys), []);
    assert.equal(await em.fork().count(Recording, { id: fresh.recording.id }), 1);
    await handle.delete();
  });
});
