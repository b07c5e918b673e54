// Deleting a recording through a storage failure halfway: the product runs on S3 (a real versitygw) reached
// through a small HTTP proxy that answers 503 to one object's DELETE several times in a row (more than the
// S3 client's own retries), so the deletion activity fails after deleting some objects. Temporal retries
// it; the run completes, and every object and row of the recording is gone, nothing else.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { s3ServerFromEnv, type S3TestServer } from './support/s3-server.ts';
import { remainingKeys, seedRecording, seedRoom, type SeededRecording } from './support/recordings.ts';
import { S3Storage } from '../storage/s3.ts';
import { Recording, RecordingAccessLog, RecordingShare, Transcript } from '../db/entities.ts';
import { recordingDeletionWorkflow, recordingDeletionWorkflowId } from '../workflows/recording-deletion.ts';
import { recordingWorkflow } from '../workflows/recording.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';

/** Forwards every request to `target` as is (same Host, so signatures hold), except the DELETEs it is told to fail. */
class FaultProxy {
  readonly server = http.createServer((request, response) => this.#handle(request, response));
  readonly #target: URL;
  /** Fail DELETEs of the n-th distinct key deleted (1-based) this many times. */
  failKeyNumber = 0;
  failTimes = 0;
  failures: string[] = [];
  deletes: string[] = [];
  #deletedKeys: string[] = [];

  constructor(target: string) {
    this.#target = new URL(target);
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  #handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    if (request.method === 'DELETE') {
      const key = decodeURIComponent(new URL(request.url!, 'http://x').pathname);
      this.deletes.push(key);
      if (!this.#deletedKeys.includes(key)) this.#deletedKeys.push(key);
      const failing = this.#deletedKeys.indexOf(key) + 1 === this.failKeyNumber;
      if (failing && this.failures.filter((k) => k === key).length < this.failTimes) {
        this.failures.push(key);
        request.resume();
        response.writeHead(503, { 'content-type': 'application/xml' });
        response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected by the test proxy</Message></Error>');
        return;
      }
    }
    const upstream = http.request({ host: this.#target.hostname, port: this.#target.port, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  }
}

describe('recording deletion through storage failures', () => {
  let s3: S3TestServer;
  let proxy: FaultProxy;
  let product: TestProduct;
  /** The same bucket, reached directly: what is really there. */
  let direct: S3Storage;
  let target: SeededRecording;
  let neighbour: SeededRecording;

  before(async () => {
    s3 = await s3ServerFromEnv();
    const bucket = `deletion-${randomBytes(4).toString('hex')}`;
    direct = new S3Storage({ bucket, region: s3.region, endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    await direct.ensureBucket();
    proxy = new FaultProxy(s3.endpoint);
    const proxyUrl = await proxy.listen();
    product = await startTestProduct({
      name: 'recordings-deletion',
      env: { S3_BUCKET: bucket, S3_ENDPOINT: proxyUrl, S3_REGION: s3.region, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey },
    });
    assert.equal(product.services.storage.kind, 's3');
    const em = product.services.db.em.fork();
    const owner = await product.createUser();
    const { meeting } = await seedRoom(em, { name: 'faulty', ownerId: owner.id });
    target = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true, mp3: true, tracks: 3 });
    neighbour = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true, mp3: true, tracks: 1, recordedAt: new Date(target.recording.recordedAt.getTime() + 1) });
    await product.request('PUT', `/v1/recordings/${target.recording.id}/sharing`, { mode: 'shared', userEmails: [(await product.createUser()).email] });
  });
  after(async () => {
    await product?.stop();
    proxy?.close();
    direct?.destroy();
    await s3?.stop();
  });

  it('fails halfway on a 503 storm, is retried by Temporal, and completes: every object and row gone, the rest untouched', async () => {
    assert.ok(target.keys.length >= 10, `${target.keys.length} objects`);
    assert.deepEqual(await remainingKeys(direct, target.keys), target.keys);
    // One object is already gone: deleting a missing object is no error.
    await direct.delete(target.keys.at(-1)!);
    // The 4th object's DELETE fails 5 times: the S3 client's 3 attempts fail the first activity attempt after 3 deletions.
    proxy.failKeyNumber = 4;
    proxy.failTimes = 5;

    const started = await product.request('DELETE', `/v1/recordings/${target.recording.id}`);
    assert.equal(started.status, 202);
    const handle = product.services.temporal.workflow.getHandle(started.body.workflowId);
    const result = await handle.result();

    assert.equal(proxy.failures.length, 5);
    assert.equal(new Set(proxy.failures).size, 1);
    assert.equal(result.rowsDeleted, true);
    assert.equal(result.pipeline, 'not-found');
    // The retry started over: what the first attempt deleted was no longer listed.
    assert.ok(result.objectsDeleted >= target.keys.length - 1, String(result.objectsDeleted));
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
    assert.ok(Math.max(...attempts) >= 2, `activity attempts: ${attempts.join(', ')}`);
    assert.ok((history.events ?? []).every((e) => !e.activityTaskFailedEventAttributes), 'a retried attempt is not a failed activity');

    assert.deepEqual(await remainingKeys(direct, target.keys), []);
    const listed: string[] = [];
    for await (const object of direct.list('')) listed.push(object.key);
    assert.deepEqual(listed.sort(), [...neighbour.keys].sort());
    const em = product.services.db.em.fork();
    assert.equal(await em.count(Recording, { id: target.recording.id }), 0);
    assert.equal(await em.count(Transcript, { id: target.transcript!.id }), 0);
    assert.equal(await em.count(RecordingShare, { recording: target.recording.id }), 0);
    assert.equal(await em.count(Recording, { id: neighbour.recording.id }), 1);
    assert.deepEqual((await em.find(RecordingAccessLog, { recordingId: target.recording.id }, { orderBy: { at: 'asc' } })).map((e) => e.action), ['share', 'delete']);
  });

  it('runs again harmlessly once done (same workflow id, nothing left to delete)', async () => {
    const again = await product.services.temporal.workflow.execute(recordingDeletionWorkflow, {
      workflowId: recordingDeletionWorkflowId(target.recording.id),
      taskQueue: product.config.temporal.taskQueue,
      args: [{ recordingId: target.recording.id, reason: 'owner', requestedBy: null }],
    });
    assert.deepEqual({ objects: again.objectsDeleted, rows: again.rowsDeleted }, { objects: 0, rows: false });
  });

  it("a late webhook's pipeline for a deleted recording fails at once and does not bring its row back", async () => {
    const recording = target.recording;
    const handle = await product.services.temporal.workflow.start(recordingWorkflow, {
      // What a late recording.ready-to-download would start (see api/webhooks.ts).
      workflowId: `${recordingWorkflowId(recording.id)}-late`,
      taskQueue: product.config.temporal.taskQueue,
      args: [{
        meetingId: (recording.meeting as { id: string }).id, roomName: 'faulty', recordingId: recording.id, kind: recording.type, startedAt: recording.recordedAt.toISOString(),
        durationSeconds: 60, objectKey: recording.objectKey, tracks: (recording.trackKeys ?? []).map((key) => ({ type: 'audio' as const, key, size: 1 })), platformMeetingId: null,
      }],
    });
    await assert.rejects(handle.result(), (error: Error & { cause?: { cause?: { type?: string } } }) => error.cause?.cause?.type === 'RecordingDeleted');
    assert.equal(await product.services.db.em.fork().count(Recording, { id: recording.id }), 0);
  });
});
