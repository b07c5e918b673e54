import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { connectWherebySimulator, startWherebySimulator } from '../platforms/whereby/simulator/index.ts';
import type { WherebySimulator, WherebySimulatorControl } from '../platforms/whereby/simulator/index.ts';
import type { S3Storage } from '../storage/s3.ts';
import { waitForValue } from './support/poll.ts';
import { freshBucket, s3ServerFromEnv } from './support/s3-server.ts';
import type { S3TestServer } from './support/s3-server.ts';
import { downloadObject, probeMedia, speechStarts } from './support/media-files.ts';

// The Whereby simulator's fidelity to Whereby's documented API: its REST surface with the Bearer key checked and
// Whereby's error bodies, the points rate limit's 429, webhooks signed as Whereby signs them (checked here with
// node:crypto from the documented recipe, not with our own verifier) and retried by its rules, and cloud
// recordings written into a real S3-compatible server under Whereby's file name scheme, checked with ffprobe.

const API_KEY = `wb-${randomBytes(12).toString('hex')}`;
const SECRET = `whsec ${randomBytes(12).toString('base64')}`;

interface Received {
  body: string;
  signature: string;
  contentType: string | undefined;
  event: { id: string; apiVersion: string; createdAt: string; type: string; data: Record<string, unknown> };
}

let server: WherebySimulator;
let sim: WherebySimulatorControl;
let s3: S3TestServer;
let bucket: S3Storage;
let hosted: S3Storage;
let dir: string;
let hook: Server;
let hookUrl: string;
const received: Received[] = [];
const scripted: Array<{ type: string; status: number } | { type: string; hang: true }> = [];

/** The documented check: hex(HMAC-SHA256(secret as UTF-8, `${t}.${body}`)). */
function signatureValid(body: string, header: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  return createHmac('sha256', Buffer.from(SECRET, 'utf8')).update(`${match[1]}.${body}`).digest('hex') === match[2];
}

async function api(method: string, path: string, options: { body?: unknown; key?: string | null; simulator?: WherebySimulator } = {}) {
  const key = options.key === undefined ? API_KEY : options.key;
  const response = await fetch(`${(options.simulator ?? server).apiUrl}${path}`, {
    method,
    headers: { ...(key !== null && { authorization: `Bearer ${key}` }), ...(options.body !== undefined && { 'content-type': 'application/json' }) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, any>) : null };
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

function s3Destination(extra: Record<string, unknown> = {}) {
  return { provider: 's3', authenticationType: 'accessKey', bucket: `${bucket.bucket}/tenant/recordings`, accessKeyId: s3.accessKeyId, accessKeySecret: s3.secretAccessKey, fileFormat: 'mkv', ...extra };
}

function eventsOf(type: string, roomName: string): Received['event'][] {
  return received.map((r) => r.event).filter((e) => e.type === type && e.data.roomName === roomName);
}

const download = (storage: S3Storage, key: string) => downloadObject(storage, key, dir);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whereby-sim-test-'));
  s3 = await s3ServerFromEnv();
  bucket = await freshBucket(s3, 'whereby');
  hosted = await freshBucket(s3, 'whereby-hosted');
  hook = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const signature = String(req.headers['whereby-signature'] ?? '');
    if (!signatureValid(body, signature)) {
      res.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body) as Received['event'];
    const at = scripted.findIndex((answer) => answer.type === event.type);
    if (at >= 0) {
      const [answer] = scripted.splice(at, 1);
      if ('hang' in answer!) return; // never answered: the sender's timeout ends it
      res.writeHead(answer!.status).end();
      return;
    }
    received.push({ body, signature, contentType: req.headers['content-type'], event });
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/whereby`;
  server = await startWherebySimulator({
    apiKey: API_KEY,
    webhookSecret: SECRET,
    webhookUrls: [hookUrl],
    webhookRetry: { backoffMs: 20, timeoutMs: 300 },
    rateLimitPoints: 10_000,
    s3Endpoint: s3.endpoint,
    hostedStorage: hosted,
    clock: { mode: 'virtual', startAt: new Date('2026-05-04T09:00:00.000Z') },
    log: () => {},
  });
  sim = connectWherebySimulator(server.controlUrl);
});

after(async () => {
  await server?.stop();
  hook?.closeAllConnections();
  await new Promise((resolve) => hook?.close(resolve));
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  scripted.length = 0;
});

describe('Whereby simulator: REST meetings', () => {
  it('refuses a missing or wrong Bearer key with 401 {error}, creating nothing', async () => {
    for (const key of [null, 'not-the-key']) {
      const answer = await api('POST', '/meetings', { key, body: { endDate: inAnHour() } });
      assert.equal(answer.status, 401);
      assert.equal(typeof answer.json!.error, 'string');
    }
    assert.equal((await sim.state()).meetings.length, 0);
  });

  it('creates a meeting (201) with the asked fields, reads it back, deletes it (204), then answers 404', async () => {
    const endDate = inAnHour();
    const created = await api('POST', '/meetings', { body: { endDate, roomNamePrefix: 'weekly-', roomMode: 'group', fields: ['hostRoomUrl', 'viewerRoomUrl'] } });
    assert.equal(created.status, 201);
    const meeting = created.json!;
    assert.match(meeting.meetingId, /^\d+$/);
    assert.match(meeting.roomName, /^\/weekly-[0-9a-f-]{36}$/);
    assert.equal(meeting.roomUrl, `${server.url}${meeting.roomName}`);
    assert.equal(meeting.endDate, endDate);
    assert.match(meeting.hostRoomUrl, /\?roomKey=/);
    assert.match(meeting.viewerRoomUrl, /\?roomKey=/);
    assert.notEqual(meeting.hostRoomUrl, meeting.viewerRoomUrl);

    const plain = await api('GET', `/meetings/${meeting.meetingId}`);
    assert.equal(plain.status, 200);
    assert.equal(plain.json!.roomName, meeting.roomName);
    assert.equal(plain.json!.hostRoomUrl, undefined, 'host URL only when asked in fields');
    assert.equal((await api('GET', `/meetings/${meeting.meetingId}?fields=hostRoomUrl`)).json!.hostRoomUrl, meeting.hostRoomUrl);

    const deleted = await api('DELETE', `/meetings/${meeting.meetingId}`);
    assert.equal(deleted.status, 204);
    assert.equal((await api('GET', `/meetings/${meeting.meetingId}`)).status, 404);
    await assert.rejects(sim.join({ roomUrl: meeting.roomUrl }), /Room not found/);
  });

  it('answers 400 {error} for a body Whereby refuses: no endDate, a wrong enum, cloud without destination or keys', async () => {
    const refusals = [
      {},
      { endDate: 'tomorrow' },
      { endDate: inAnHour(), roomMode: 'huge' },
      { endDate: inAnHour(), roomNamePrefix: 'Has Spaces' },
      { endDate: inAnHour(), recording: { type: 'cloud', startTrigger: 'automatic' } },
      { endDate: inAnHour(), recording: { type: 'cloud', destination: { provider: 's3', bucket: 'b', authenticationType: 'accessKey' } } },
      { endDate: inAnHour(), recording: { type: 'cloud', destination: s3Destination({ fileFormat: 'avi' }) } },
      { endDate: inAnHour(), recording: { type: 'cloud', destination: s3Destination(), startTrigger: 'sometimes' } },
    ];
    for (const body of refusals) {
      const answer = await api('POST', '/meetings', { body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(typeof answer.json!.error, 'string');
    }
    assert.equal((await api('GET', '/meetings/12345')).status, 404);
  });

  it('answers an injected 5xx for as many calls as its budget, then serves again', async () => {
    await sim.setFaults({ api: [{ routes: ['GET /recordings'], status: 502, count: 2 }] });
    assert.equal((await api('GET', '/recordings')).status, 502);
    assert.equal((await api('GET', '/recordings')).status, 502);
    assert.equal((await api('GET', '/recordings')).status, 200);
    await sim.setFaults({});
  });
});

describe('Whereby simulator: points rate limit', () => {
  it('answers 429 with Retry-After, X-RateLimit-* and the documented body once the minute\'s points are spent', async () => {
    const limited = await startWherebySimulator({ apiKey: API_KEY, webhookSecret: SECRET, rateLimitPoints: 10, log: () => {} });
    try {
      // POST 3 points each, GET 1: 3 + 3 + 3 + 1 = 10 fits exactly.
      for (let i = 0; i < 3; i++) assert.equal((await api('POST', '/meetings', { simulator: limited, body: { endDate: inAnHour() } })).status, 201);
      const last = await api('GET', '/recordings', { simulator: limited });
      assert.equal(last.status, 200);
      assert.equal(last.headers.get('x-ratelimit-remaining'), '0');
      const refused = await api('DELETE', '/recordings/any', { simulator: limited });
      assert.equal(refused.status, 429);
      assert.match(refused.json!.error, /^Rate limit active for throttle key: organization:\d+$/);
      const msLeft = refused.json!.data.msLeft as number;
      assert.ok(msLeft > 0 && msLeft <= 60_000);
      assert.equal(refused.headers.get('retry-after'), String(Math.ceil(msLeft / 1000)));
      assert.equal(refused.headers.get('x-ratelimit-limit'), '10');
      assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
      assert.ok(Number(refused.headers.get('x-ratelimit-reset')) * 1000 >= Date.now());
      assert.equal((await api('GET', '/recordings', { simulator: limited, key: 'wrong' })).status, 401, 'a refused key is refused before the limit');
      assert.equal((await limited.state()).meetings.length, 3);
    } finally {
      await limited.stop();
    }
  });
});

describe('Whereby simulator: a meeting recorded to S3', () => {
  it('starts the recorder with the second participant, writes an MKV under the subfolder with the default name, and sends signed webhooks in order', async () => {
    const meeting = (await api('POST', '/meetings', {
      body: { endDate: inAnHour(), roomNamePrefix: 'standup-', fields: ['hostRoomUrl'], recording: { type: 'cloud', destination: s3Destination(), startTrigger: 'automatic-2nd-participant' } },
    })).json!;
    const host = await sim.join({ roomUrl: meeting.hostRoomUrl, displayName: 'Ada', externalId: 'user-ada' });
    assert.equal(host.roleName, 'host');
    await sim.say(host.participantId, { text: 'Before the recording starts.' });
    await sim.advance(3_000);
    assert.equal((await sim.state()).meetings.find((m) => m.roomName === meeting.roomName)!.recording, false, 'one person: no recording yet');
    const guest = await sim.join({ roomUrl: meeting.roomUrl, displayName: 'Bob' });
    assert.equal(guest.roleName, 'visitor');
    const recordingStart = (await sim.clock()).nowMs;
    await sim.advance(1_000);
    await sim.say(guest.participantId, { text: 'Good morning everyone, this is recorded.' });
    await sim.advance(4_000);
    await sim.say(host.participantId, { text: 'Thanks Bob.' });
    await sim.advance(2_000);
    await sim.leave(host.participantId);
    await sim.leave(guest.participantId);
    await sim.whenIdle();

    const types = received.map((r) => r.event).filter((e) => e.data.roomName === meeting.roomName).map((e) => `${e.type}${e.data.roleName ? `:${e.data.roleName}` : ''}`);
    assert.deepEqual(types, [
      'room.session.started',
      'room.client.joined:host',
      'room.client.joined:visitor',
      'room.client.joined:recorder',
      'room.client.left:host',
      'room.client.left:visitor',
      'room.client.left:recorder',
      'room.session.ended',
      'recording.finished',
    ]);
    for (const r of received.filter((x) => x.event.data.roomName === meeting.roomName)) {
      assert.equal(r.body, JSON.stringify(JSON.parse(r.body)), 'compact JSON, as Whereby sends');
      assert.equal(r.event.apiVersion, '1.0');
      assert.ok(signatureValid(r.body, r.signature));
      assert.match(r.contentType ?? '', /^application\/json/);
    }
    const joined = eventsOf('room.client.joined', meeting.roomName)[0]!.data;
    assert.deepEqual(
      { meetingId: joined.meetingId, displayName: joined.displayName, externalId: joined.externalId, roleName: joined.roleName, numClients: joined.numClients, isDialIn: joined.isDialIn },
      { meetingId: meeting.meetingId, displayName: 'Ada', externalId: 'user-ada', roleName: 'host', numClients: 1, isDialIn: false },
    );
    const finished = eventsOf('recording.finished', meeting.roomName)[0]!.data;
    const filename = `${meeting.roomName.slice(1)}-${new Date(recordingStart).toISOString()}.mkv`;
    assert.deepEqual(finished, { filename, recordingId: finished.recordingId, roomName: meeting.roomName, status: 'completed' });

    const key = `tenant/recordings/${filename}`;
    const info = await probeMedia(await download(bucket, key));
    assert.match(info.format.format_name, /matroska/);
    assert.deepEqual(info.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:aac', 'video:h264']);
    assert.ok(Math.abs(Number(info.format.duration) - 7) < 0.5, `the recorder's 7 s, got ${info.format.duration}`);
    const starts = await speechStarts(await download(bucket, key));
    assert.ok(starts.some((s) => Math.abs(s - 1) < 0.3), `Bob speaks 1 s into the recording, heard at ${starts.join(', ')}`);

    const listed = await api('GET', `/recordings?roomName=${encodeURIComponent(meeting.roomName)}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.json!.results.length, 1);
    const recording = listed.json!.results[0];
    assert.equal(recording.recordingId, finished.recordingId);
    assert.equal(recording.filename, filename);
    assert.equal(recording.startDate, new Date(recordingStart).toISOString());
    assert.equal(Date.parse(recording.endDate) - Date.parse(recording.startDate), 7_000);
    assert.ok(recording.sizeInMegaBytes > 0);
    assert.match(recording.roomSessionId, /^[0-9a-f-]{36}$/);
    assert.deepEqual((await api('GET', `/recordings/${recording.recordingId}`)).json, recording);
    assert.equal((await api('GET', `/recordings/${recording.recordingId}/access-link`)).status, 400, 'a recording in our bucket has no Whereby access link');
    assert.equal((await api('DELETE', `/recordings/${recording.recordingId}`)).status, 204);
    assert.equal((await api('GET', `/recordings/${recording.recordingId}`)).status, 404);
    assert.ok(await bucket.head(key), 'the file in our bucket is ours: deleting the recording leaves it');
  });

  it('records only when a host starts it (trigger none), refuses a viewer, writes MP4 to Whereby\'s storage with an access link', async () => {
    const meeting = (await api('POST', '/meetings', {
      body: { endDate: inAnHour(), fields: ['hostRoomUrl', 'viewerRoomUrl'], recording: { type: 'cloud', destination: { provider: 'whereby', fileFormat: 'mp4' }, startTrigger: 'none' } },
    })).json!;
    const host = await sim.join({ roomUrl: meeting.hostRoomUrl });
    const viewer = await sim.join({ roomUrl: meeting.viewerRoomUrl });
    assert.equal(viewer.roleName, 'viewer');
    await assert.rejects(sim.startRecording(viewer.participantId), /Only a host/);
    await assert.rejects(sim.stopRecording(host.participantId), /No recording is running/);
    await sim.startRecording(host.participantId);
    await assert.rejects(sim.startRecording(host.participantId), /already running/);
    await sim.say(host.participantId, { text: 'Recording on request.' });
    await sim.advance(3_000);
    await sim.stopRecording(host.participantId);
    await sim.whenIdle();
    const finished = await waitForValue('recording.finished', () => eventsOf('recording.finished', meeting.roomName)[0]);
    assert.match(String(finished.data.filename), /\.mp4$/);
    assert.deepEqual(eventsOf('room.session.ended', meeting.roomName), [], 'the host and viewer are still in');

    const recordingId = String(finished.data.recordingId);
    assert.equal((await api('GET', `/recordings/${recordingId}/access-link?validForSeconds=0`)).status, 400);
    assert.equal((await api('GET', `/recordings/${recordingId}/access-link?validForSeconds=43201`)).status, 400);
    const link = await api('GET', `/recordings/${recordingId}/access-link?validForSeconds=600`);
    assert.equal(link.status, 200);
    assert.ok(Math.abs(link.json!.expires - (Date.now() + 600_000)) < 5_000, 'expires in epoch ms');
    const file = await fetch(link.json!.accessLink);
    assert.equal(file.status, 200);
    const bytes = Buffer.from(await file.arrayBuffer());
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4');

    assert.equal((await api('POST', '/recordings/bulk-delete', { body: {} })).status, 400);
    assert.equal((await api('POST', '/recordings/bulk-delete', { body: { recordingIds: [recordingId] } })).status, 204);
    assert.equal(await hosted.head(String(finished.data.filename)), null, "a Whereby-hosted file goes with its recording");
    await sim.leave(host.participantId);
    await sim.leave(viewer.participantId);
  });

  it('starts with the first participant (automatic), and keeps a locked room to hosts', async () => {
    const meeting = (await api('POST', '/meetings', {
      body: { endDate: inAnHour(), isLocked: true, fields: ['hostRoomUrl'], recording: { type: 'cloud', destination: s3Destination({ fileFormat: 'mp4' }), startTrigger: 'automatic' } },
    })).json!;
    await assert.rejects(sim.join({ roomUrl: meeting.roomUrl }), /locked/);
    await assert.rejects(sim.join({ roomUrl: `${meeting.roomUrl}?roomKey=guess` }), /not valid/);
    const host = await sim.join({ roomUrl: meeting.hostRoomUrl });
    assert.equal((await sim.state()).meetings.find((m) => m.roomName === meeting.roomName)!.recording, true);
    await sim.advance(1_000);
    await sim.leave(host.participantId);
    await sim.whenIdle();
    const finished = eventsOf('recording.finished', meeting.roomName)[0]!;
    assert.ok(await bucket.head(`tenant/recordings/${String(finished.data.filename)}`));
  });
});

describe('Whereby simulator: webhook delivery', () => {
  it('retries a 5xx twice with backoff, each attempt signed, then gives up; a 4xx is not retried', async () => {
    scripted.push({ type: 'room.session.started', status: 503 }, { type: 'room.session.started', status: 500 });
    const meeting = (await api('POST', '/meetings', { body: { endDate: inAnHour() } })).json!;
    const first = await sim.join({ roomUrl: meeting.roomUrl });
    await sim.whenIdle();
    const attempts = (await sim.webhookDeliveries()).filter((d) => d.type === 'room.session.started' && d.body.includes(meeting.roomName));
    assert.deepEqual(attempts.map((a) => `${a.attempt}:${a.outcome}:${a.status}`), ['1:failed:503', '2:failed:500', '3:delivered:200']);
    assert.equal(new Set(attempts.map((a) => a.eventId)).size, 1, 'the same event each time');
    for (const attempt of attempts) assert.ok(signatureValid(attempt.body, attempt.signature!));
    assert.ok(Date.parse(attempts[2]!.at) - Date.parse(attempts[0]!.at) >= 60, 'backoff 20 ms, then 40 ms');

    scripted.push(...Array.from({ length: 3 }, () => ({ type: 'room.client.left', status: 502 })));
    scripted.push({ type: 'room.session.ended', status: 400 });
    await sim.leave(first.participantId);
    await sim.whenIdle();
    const deliveries = (await sim.webhookDeliveries()).filter((d) => d.body.includes(meeting.roomName));
    assert.deepEqual(deliveries.filter((d) => d.type === 'room.client.left').map((d) => d.outcome), ['failed', 'failed', 'failed'], 'three tries in all');
    assert.deepEqual(deliveries.filter((d) => d.type === 'room.session.ended').map((d) => `${d.outcome}:${d.status}`), ['rejected:400']);
  });

  it('retries an attempt that gets no answer within the timeout', async () => {
    scripted.push({ type: 'room.session.started', hang: true });
    const meeting = (await api('POST', '/meetings', { body: { endDate: inAnHour() } })).json!;
    const person = await sim.join({ roomUrl: meeting.roomUrl });
    await sim.whenIdle();
    const attempts = (await sim.webhookDeliveries()).filter((d) => d.type === 'room.session.started' && d.body.includes(meeting.roomName));
    assert.deepEqual(attempts.map((a) => a.outcome), ['failed', 'delivered']);
    assert.ok(attempts[0]!.error);
    await sim.leave(person.participantId);
  });

  it('drops or delays webhooks as the fault knobs say', async () => {
    await sim.setFaults({ webhooks: [{ action: 'drop', types: ['room.client.joined'], count: 1 }, { action: 'delay', types: ['room.session.started'], delayMs: 200 }] });
    const meeting = (await api('POST', '/meetings', { body: { endDate: inAnHour() } })).json!;
    const person = await sim.join({ roomUrl: meeting.roomUrl });
    await sim.whenIdle();
    await sim.setFaults({});
    const deliveries = (await sim.webhookDeliveries()).filter((d) => d.body.includes(meeting.roomName));
    assert.deepEqual(deliveries.map((d) => `${d.type}:${d.outcome}`), ['room.client.joined:dropped', 'room.session.started:delivered']);
    assert.deepEqual(eventsOf('room.client.joined', meeting.roomName), []);
    await sim.leave(person.participantId);
  });
});
