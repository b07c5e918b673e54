// meetingWorkflow on the time-skipping test server: hours of workflow time pass in seconds.
// 1. A meeting hours long ends at its end date.
// 2. A recorded meeting whose recording.ready webhooks are all lost: the workflow waits its full hour,
//    reconciles through the platform's GET /recordings and hands each recording to its own workflow.
// The Daily simulator stands in for Daily, and the product's real webhook endpoint (the API, with the
// test server's client) turns its webhooks into the workflow's signals, as in production. The time-skipping
// server has no custom search attributes, so nothing here sets them (the workflows upsert only what the
// starter set).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { openDatabase, type Database } from '../db/orm.ts';
import { Meeting, Recording, Room } from '../db/entities.ts';
import { createObjectStorage } from '../storage/index.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import { meetingStateQuery, meetingWorkflow, requestRecordingUpdate } from '../workflows/meeting.ts';
import { meetingWorkflowId, type MeetingState, type MeetingWorkflowInput } from '../meetings/messages.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';
import { findTimeSkippingServer } from './support/servers.ts';
import { planTestDaily, startTestDaily, type TestDailyPlan } from './support/daily.ts';
import { createPlatform, PlatformRegistry } from '../platforms/index.ts';
import { compositeInstanceId, speakerAudioInstanceId, type Platform } from '../platforms/platform.ts';
import type { DailySimulator } from '../platforms/daily/simulator/index.ts';
import { workflowBundle } from './support/product.ts';
import { parseConfig } from '../runtime/config.ts';
import { createLogger } from '../runtime/log.ts';
import { registerDailyWebhook } from '../runtime/embedded-daily.ts';
import { startApiServer, type ApiServer } from '../api/server.ts';

const TASK_QUEUE = 'meetings';

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('meetingWorkflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let db: Database;
  let storage: ObjectStorage;
  let platform: Platform;
  let worker: Worker;
  let running: Promise<void>;
  let plan: TestDailyPlan;
  let simulator: DailySimulator;
  let api: ApiServer;

  before(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: findTimeSkippingServer() } } });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'meeting-ts-'));
    db = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    plan = await planTestDaily();
    storage = createObjectStorage({ kind: 'local', rootDir: path.join(dataDir, 'objects'), publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'x'.repeat(32) });
    platform = createPlatform('daily', { apiKey: plan.apiKey, baseUrl: `http://127.0.0.1:${plan.port}/v1`, webhookSecret: plan.webhookSecret });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ db, storage, platforms: new PlatformRegistry([platform]) }),
    });
    running = worker.run();
    // The simulator's meeting timeline is virtual: the test moves it, so recordings have exact lengths.
    simulator = await startTestDaily(plan, storage, { clock: { mode: 'virtual', startAt: new Date(await env.currentTimeMs()) } });

    // The product's webhook endpoint, registered on the simulator as on Daily; it signals through the test server.
    const config = parseConfig({ ...plan.env, DATA_DIR: dataDir, APP_SECRET: randomBytes(32).toString('hex'), TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: TASK_QUEUE, LOG_LEVEL: 'warn' });
    const services = { config, db, storage, platforms: new PlatformRegistry([platform]), temporal: env.client, oidc: null, oidcSignIn: null, tracing: null, close: async () => {} };
    api = await startApiServer(services, createLogger('warn'), { host: '127.0.0.1', port: 0 });
    await registerDailyWebhook(config.daily, `${api.url}/v1/webhooks/daily`);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await api?.close();
    await simulator?.stop();
    await db?.close();
    await env?.teardown();
  });

  it('keeps a 3-hour meeting open until its end date, then marks it inactive', async () => {
    const em = db.em.fork();
    const room = em.create(Room, { name: 'long-meeting', ownerId: 'local' });
    const start = new Date(await env.currentTimeMs());
    const endDate = new Date(start.getTime() + 3 * 3600_000);
    const meeting = em.create(Meeting, {
      room, platform: 'daily', platformRoomName: 'long-meeting-20261121000000', startDate: start, endDate,
      recordingType: 'cloud', recordingTrigger: 'automatic',
    });
    await em.flush();

    const wallStart = Date.now();
    const result = await env.client.workflow.execute(meetingWorkflow, {
      workflowId: meetingWorkflowId(meeting.id),
      taskQueue: TASK_QUEUE,
      args: [{
        meetingId: meeting.id, roomName: room.name, platform: 'daily', platformRoomName: meeting.platformRoomName, endDate: endDate.toISOString(),
        instanceIds: { cloud: compositeInstanceId(meeting.id), 'raw-tracks': speakerAudioInstanceId(meeting.id) }, recordingTrigger: 'automatic', recordingReadyTimeoutSeconds: 3600,
      }],
    });
    assert.equal(result.phase, 'ended');
    assert.equal(result.endReason, 'end-date');
    assert.ok(Date.now() - wallStart < 30 * 60_000, 'three hours of workflow time pass without waiting for them');
    assert.ok((await env.currentTimeMs()) >= endDate.getTime(), 'the workflow clock reached the end date');

    const stored = await db.em.fork().findOneOrFail(Meeting, meeting.id);
    assert.equal(stored.active, false);
    assert.ok(stored.endedAt && stored.endedAt.getTime() >= endDate.getTime());
  });

  it('waits a full hour for lost recording.ready webhooks, reconciles and hands both recordings on, in seconds', { timeout: 120_000 }, async () => {
    const em = db.em.fork();
    const room = em.create(Room, { name: 'hour-wait', ownerId: 'local' });
    const start = new Date(await env.currentTimeMs());
    const endDate = new Date(start.getTime() + 3 * 3600_000);
    const meeting = em.create(Meeting, {
      room, platform: 'daily', platformRoomName: 'hour-wait-20261121000000', startDate: start, endDate,
      recordingType: 'cloud', recordingTrigger: 'automatic',
    });
    await em.flush();
    // As the API's meeting creation does: the raw-tracks instance id routes recording.started back to this meeting.
    meeting.rawTracksInstanceId = speakerAudioInstanceId(meeting.id);
    await em.flush();

    // The simulator's timeline follows the workflow clock (the first test moved it hours ahead).
    const lag = (await env.currentTimeMs()) - (await simulator.clock()).nowMs;
    if (lag > 0) await simulator.advance(lag);
    await simulator.ensureRoom(meeting.platformRoomName);
    // Every recording.ready-to-download webhook is lost: only reconciliation can find the recordings.
    await simulator.setFaults({ webhooks: [{ action: 'drop', types: ['recording.ready-to-download'] }] });

    const input: MeetingWorkflowInput = {
      meetingId: meeting.id, roomName: room.name, platform: 'daily', platformRoomName: meeting.platformRoomName, endDate: endDate.toISOString(),
      instanceIds: { cloud: compositeInstanceId(meeting.id), 'raw-tracks': speakerAudioInstanceId(meeting.id) }, recordingTrigger: 'automatic', recordingReadyTimeoutSeconds: 3600,
    };
    const handle = await env.client.workflow.start(meetingWorkflow, { workflowId: meetingWorkflowId(meeting.id), taskQueue: TASK_QUEUE, args: [input] });
    const state = () => handle.query(meetingStateQuery);

    const alice = await simulator.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
    const bob = await simulator.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
    await waitFor('both joins to reach the workflow', async () => (await state()).presentSessions.length === 2);

    // A browser asks to record, as POST /v1/meetings/:id/recordings/start does.
    const answer = await handle.executeUpdate(requestRecordingUpdate, { args: [{ manual: false }] });
    assert.equal(answer.status, 'recording', JSON.stringify(answer));

    await simulator.say(alice.sessionId, { text: 'We wait an hour for these recordings.' });
    await simulator.advance(3_000);
    await simulator.say(bob.sessionId, { text: 'And it takes seconds.' });
    await simulator.advance(3_000);
    await simulator.leave(alice.sessionId);
    await simulator.leave(bob.sessionId);
    await simulator.advance(1_000); // past the grace before meeting.ended: both recordings stop
    await simulator.whenIdle(); // media written, every webhook delivered (the ready ones dropped)

    const sim = await simulator.state();
    const platformRecordings = sim.recordings.filter((r) => r.roomName === meeting.platformRoomName);
    assert.deepEqual(platformRecordings.map((r) => `${r.type}:${r.status}`).sort(), ['cloud:finished', 'raw-tracks:finished']);
    const dropped = (await simulator.webhookDeliveries()).filter((d) => d.outcome === 'dropped' && d.type === 'recording.ready-to-download');
    assert.equal(dropped.length, 2, 'both ready webhooks were lost');

    const waiting = await waitFor('the workflow to await its recordings', async () => {
      const s = await state();
      return s.phase === 'awaiting-recordings' && s.recordings.filter((r) => r.status === 'recording').length === 2 ? s : null;
    });
    assert.equal(waiting.endReason, 'platform');

    // Waiting on the result lets the test server skip the hour-long wait.
    const clockBefore = await env.currentTimeMs();
    const wallStart = performance.now();
    const result: MeetingState = await handle.result();
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const clockAdvancedMs = (await env.currentTimeMs()) - clockBefore;

    assert.ok(wallSeconds < 1800, `the hour passed in ${wallSeconds.toFixed(1)} s of wall time: the server skipped the wait`);
    // On the workflow's clock: from the meeting's end (stamped by the workflow) to the run's close, at least the hour.
    const endedAt = (await db.em.fork().findOneOrFail(Meeting, meeting.id)).endedAt!;
    const closeTime = (await handle.describe()).closeTime!;
    assert.ok(closeTime.getTime() - endedAt.getTime() >= 3600_000, `waited ${(closeTime.getTime() - endedAt.getTime()) / 1000} s of workflow time after the meeting ended`);
    assert.ok(clockAdvancedMs > 3500_000, `the test server skipped ${clockAdvancedMs / 1000} s while the test waited`);

    assert.equal(result.phase, 'ended');
    assert.equal(result.endReason, 'platform');
    assert.deepEqual(result.recordings.map((r) => `${r.kind}:${r.status}`).sort(), ['cloud:ready', 'raw-tracks:ready']);
    const ids = platformRecordings.map((r) => r.id).sort();
    assert.deepEqual(result.recordings.map((r) => r.id).sort(), ids);
    // Both came through reconciliation, none through a webhook.
    assert.deepEqual(result.appliedEventIds.filter((id) => id.startsWith('reconciled-')).sort(), ids.map((id) => `reconciled-${id}`));

    // Each recording was handed to its own workflow, which stored it.
    for (const id of ids) {
      const child = await env.client.workflow.getHandle(recordingWorkflowId(id)).describe();
      assert.equal(child.type, 'recordingWorkflow');
      assert.equal(child.parentExecution?.workflowId, meetingWorkflowId(meeting.id));
    }
    // Stored by their recording workflows (the rows exist from recording.started on, as `recording`).
    const rows = await waitFor('both Recording rows stored', async () => {
      const found = await db.em.fork().find(Recording, { meeting: meeting.id });
      return found.length === 2 && found.every((r) => r.status !== 'recording') ? found : null;
    });
    assert.deepEqual(rows.map((r) => r.id).sort(), ids);
    // Stored, not missing (what becomes of raw tracks after storing is the recording workflow's business).
    for (const row of rows) assert.ok(!['missing', 'failed'].includes(row.status), `${row.type} recording is ${row.status}`);
    const rawTracks = rows.find((r) => r.type === 'raw-tracks')!;
    assert.equal(rawTracks.trackKeys?.length, 2, 'one audio track per participant');
    const cloud = rows.find((r) => r.type === 'cloud')!;
    assert.equal(cloud.status, 'completed');
    assert.equal(cloud.durationSeconds, 6);
    assert.equal((await db.em.fork().findOneOrFail(Meeting, meeting.id)).cloudRecordingKey, cloud.objectKey);
  });
});
