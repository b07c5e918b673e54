// meetingWorkflow on the time-skipping test server: a meeting hours long ends at its end date in seconds.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { openDatabase, type Database } from '../db/orm.ts';
import { Meeting, Room } from '../db/entities.ts';
import { createObjectStorage } from '../storage/index.ts';
import { meetingWorkflow, meetingWorkflowId } from '../workflows/meeting.ts';
import { findTimeSkippingServer } from './support/servers.ts';
import { planTestDaily, startTestDaily, type TestDailyPlan } from './support/daily.ts';
import { createPlatform } from '../platforms/index.ts';
import { cloudInstanceId, rawTracksInstanceId } from '../platforms/platform.ts';
import type { DailySimulator } from '../platforms/daily/simulator/index.ts';
import { workflowBundle } from './support/product.ts';

describe('meetingWorkflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let db: Database;
  let worker: Worker;
  let running: Promise<void>;
  let plan: TestDailyPlan;
  let simulator: DailySimulator;

  before(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: findTimeSkippingServer() } } });
    db = await openDatabase({ kind: 'pglite', dataDir: await mkdtemp(path.join(os.tmpdir(), 'pglite-ts-')) });
    plan = await planTestDaily();
    const storage = createObjectStorage({ kind: 'local', rootDir: await mkdtemp(path.join(os.tmpdir(), 'objects-')), publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'x'.repeat(32) });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'meetings',
      workflowBundle: await workflowBundle(),
      activities: createActivities({ db, storage, platform: createPlatform('daily', { apiKey: plan.apiKey, baseUrl: `http://127.0.0.1:${plan.port}/v1`, webhookSecret: plan.webhookSecret }) }),
    });
    running = worker.run();
    simulator = await startTestDaily(plan, storage);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await db?.close();
    await simulator?.stop();
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
      taskQueue: 'meetings',
      args: [{
        meetingId: meeting.id, roomName: room.name, platform: 'daily', platformRoomName: meeting.platformRoomName, endDate: endDate.toISOString(),
        instanceIds: { cloud: cloudInstanceId(meeting.id), 'raw-tracks': rawTracksInstanceId(meeting.id) }, recordingTrigger: 'automatic', recordingReadyTimeoutSeconds: 3600,
      }],
    });
    assert.equal(result.phase, 'ended');
    assert.equal(result.endReason, 'end-date');
    assert.ok(Date.now() - wallStart < 60_000, 'three hours of workflow time should pass in seconds');
    assert.ok((await env.currentTimeMs()) >= endDate.getTime(), 'the workflow clock reached the end date');

    const stored = await db.em.fork().findOneOrFail(Meeting, meeting.id);
    assert.equal(stored.active, false);
    assert.ok(stored.endedAt && stored.endedAt.getTime() >= endDate.getTime());
  });
});
