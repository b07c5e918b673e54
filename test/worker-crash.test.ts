// A worker killed in the middle of transcription (kill -9) loses nothing: the run continues on a new
// worker process and there is still exactly one transcript for the recording.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { holdMeeting } from './support/recorded-meeting.ts';
import { Transcript } from '../db/entities.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../recordings/messages.ts';

const root = path.resolve(import.meta.dirname, '..');

describe('worker crash', () => {
  let product: TestProduct;
  let env: NodeJS.ProcessEnv;
  const workers: ChildProcess[] = [];

  /** The product's own worker entry point (`npm run worker`) in a separate process, with the test's configuration. */
  function startWorkerProcess(): ChildProcess {
    const child = spawn(process.execPath, [path.join(root, 'worker.ts')], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', () => undefined);
    workers.push(child);
    return child;
  }

  before(async () => {
    // PostgreSQL, so two processes share one database; the same data folder, so they share local storage.
    product = await startTestProduct({ name: 'crash', database: 'postgresql', worker: false, env: { RECORDING_READY_TIMEOUT_SECONDS: '60' } });
    const c = product.config;
    env = {
      ...process.env,
      DATA_DIR: c.dataDir, APP_SECRET: c.appSecret, API_PORT: String(c.api.port), LOG_LEVEL: 'warn',
      DATABASE_URL: c.database.kind === 'postgresql' ? c.database.url : '',
      TEMPORAL_ADDRESS: c.temporal.address, TEMPORAL_NAMESPACE: c.temporal.namespace, TEMPORAL_TASK_QUEUE: c.temporal.taskQueue,
      DAILY_API_KEY: c.daily.apiKey, DAILY_API_URL: c.daily.apiUrl, DAILY_WEBHOOK_SECRET: c.daily.webhookSecret,
      RECORDING_READY_TIMEOUT_SECONDS: '60',
    };
  });
  after(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await product?.stop();
  });

  it('continues after kill -9 and still makes exactly one transcript', { timeout: 420_000 }, async () => {
    const first = startWorkerProcess();
    const meeting = await holdMeeting(product, 'crashy', [
      { userName: 'Ann', userId: 'ann', says: 'We are testing what happens when a worker dies in the middle of its work.' },
      { userName: 'Ben', userId: 'ben', says: 'Then another worker should pick up the task and finish it without losing anything.' },
    ], 500);

    // Kill the worker as soon as transcription is under way.
    const em = product.services.db.em.fork();
    for (let i = 0; i < 600; i++) {
      const transcript = await em.fork().findOne(Transcript, { status: 'processing' });
      if (transcript?.progress?.step === 'transcribing') break;
      await sleep(100);
    }
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    startWorkerProcess();

    const state: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    const raw = state.recordings.find((r) => r.kind === 'raw-tracks')!;
    const result: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(raw.id)).result();
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    assert.equal(await em.fork().count(Transcript, { recording: raw.id }), 1);
    const transcript = (await product.request('GET', `/v1/transcripts/${result.transcriptId}`)).body;
    assert.deepEqual(transcript.participants.map((p: { name: string }) => p.name).sort(), ['Ann', 'Ben']);
  });
});
