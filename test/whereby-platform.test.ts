import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { classifyPlatformError } from '../activities/errors.ts';
import { createPlatform } from '../platforms/index.ts';
import { WebhookPayloadError } from '../platforms/platform.ts';
import type { ParsedWebhook, PlatformEvent, WebhookVerification } from '../platforms/platform.ts';
import { WherebyApiError } from '../platforms/whereby/client.ts';
import { WherebyNotSupportedError, WherebyPlatform, roomNamePrefix } from '../platforms/whereby/whereby-platform.ts';
import { startWherebySimulator } from '../platforms/whereby/simulator/index.ts';
import type { WherebySimulator } from '../platforms/whereby/simulator/index.ts';
import type { S3Storage } from '../storage/s3.ts';
import { waitForValue } from './support/poll.ts';
import { freshBucket, s3ServerFromEnv } from './support/s3-server.ts';
import type { S3TestServer } from './support/s3-server.ts';

// WherebyPlatform, the seam's Whereby, against the Whereby simulator: meetings created with our bucket as the
// recording's destination and the room's trigger, recordings as its recordings API tells them, its 429s waited
// out, and every webhook the simulator sends verified by platform.verifyWebhook and parsed by parseWebhook, as the
// webhook route does; forged, stale and replayed signatures refused.

const API_KEY = `wb-${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(18).toString('base64');
const START = new Date('2026-05-04T09:00:00.000Z');

interface Delivery {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  roomName: string | undefined;
  verification: WebhookVerification;
  parsed: ParsedWebhook | null;
}

let server: WherebySimulator;
let s3: S3TestServer;
let bucket: S3Storage;
let hook: Server;
let platform: WherebyPlatform;
const deliveries: Delivery[] = [];

const eventsIn = (roomName: string): PlatformEvent[] => deliveries.flatMap((d) => (d.roomName === roomName && d.parsed?.kind === 'event' ? [d.parsed.event] : []));
type EventOf<T extends PlatformEvent['type']> = PlatformEvent & { type: T };
function eventOf<T extends PlatformEvent['type']>(roomName: string, type: T, match: (e: EventOf<T>) => boolean = () => true) {
  return waitForValue<EventOf<T>>(`${type} in ${roomName}`, () => eventsIn(roomName).find((e): e is EventOf<T> => e.type === type && match(e as EventOf<T>)));
}

function signed(body: string, secret = SECRET, t = Math.floor(Date.now() / 1000)) {
  return { 'content-type': 'application/json', 'whereby-signature': `t=${t},v1=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`).digest('hex')}` };
}

function newPlatform(options: Partial<ConstructorParameters<typeof WherebyPlatform>[0]> = {}): WherebyPlatform {
  return new WherebyPlatform({
    apiKey: API_KEY,
    baseUrl: server.apiUrl,
    webhookSecret: SECRET,
    destination: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, subfolder: 'whereby-recordings', fileFormat: 'mp4' },
    ...options,
  });
}

const roomInput = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  expiresAt: new Date(Date.now() + 3_600_000),
  recordingsBucket: { bucketName: bucket.bucket, bucketRegion: s3.region },
  ...extra,
});

before(async () => {
  s3 = await s3ServerFromEnv();
  bucket = await freshBucket(s3, 'whereby-platform');
  hook = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks);
    const verification = platform.verifyWebhook({ rawBody, headers: req.headers, now: new Date() });
    const roomName = (JSON.parse(rawBody.toString()) as { data?: { roomName?: string } }).data?.roomName;
    deliveries.push({ rawBody, headers: req.headers, roomName, verification, parsed: verification.ok ? platform.parseWebhook(rawBody) : null });
    res.writeHead(verification.ok ? 200 : 401).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  server = await startWherebySimulator({
    apiKey: API_KEY,
    webhookSecret: SECRET,
    webhookUrls: [`http://127.0.0.1:${(hook.address() as AddressInfo).port}/v1/webhooks/whereby`],
    webhookRetry: { backoffMs: 20 },
    rateLimitPoints: 10_000,
    s3Endpoint: s3.endpoint,
    s3Region: s3.region,
    assumableRoles: { 'arn:aws:iam::123456789012:role/whereby-writes': { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } },
    clock: { mode: 'virtual', startAt: START },
    log: () => {},
  });
  platform = newPlatform();
});

after(async () => {
  await server?.stop();
  await new Promise((resolve) => hook?.close(resolve));
  await s3?.stop();
});

describe('WherebyPlatform: rooms and recordings', () => {
  it('creates a meeting per room with our bucket (under its subfolder) and the room\'s trigger, host URL included', async () => {
    const room = await platform.createRoom(roomInput('Weekly Sync!', { recordingTrigger: 'automatic', roomMode: 'group' }));
    assert.match(room.platformRoomName, /^\/weekly-sync-[0-9a-f-]{36}$/);
    assert.equal(room.roomUrl, `${server.url}${room.platformRoomName}`);
    assert.match(room.hostRoomUrl ?? '', /roomKey=/);
    const state = (await server.state()).meetings.find((m) => m.roomName === room.platformRoomName)!;
    assert.deepEqual({ trigger: state.startTrigger, type: state.recordingType }, { trigger: 'automatic', type: 'cloud' });
    assert.equal(roomNamePrefix('A'.repeat(60)).length, 39);
    await platform.deleteRoom(room.platformRoomName);
    assert.equal((await server.state()).meetings.some((m) => m.roomName === room.platformRoomName), false);
    await platform.deleteRoom(room.platformRoomName); // gone already: not an error
  });

  it('sees the recorder join as recording.started, participants as joins, and recording.finished as ready with the file in our bucket', async () => {
    const room = await platform.createRoom(roomInput('standup'));
    const host = await server.join({ roomUrl: room.hostRoomUrl!, displayName: 'Ada', externalId: 'user-ada' });
    await server.say(host.participantId, { text: 'Hello.' });
    const guest = await server.join({ roomUrl: room.roomUrl, displayName: 'Bob' });
    await server.advance(2_000);
    await server.say(guest.participantId, { text: 'Hi Ada.' });
    await server.advance(2_000);
    await server.leave(host.participantId);
    await server.leave(guest.participantId);
    await server.whenIdle();

    const name = room.platformRoomName;
    const started = await eventOf(name, 'meeting.started');
    assert.equal(started.platformMeetingId, host.roomSessionId);
    const ada = await eventOf(name, 'participant.joined', (e) => e.userName === 'Ada');
    assert.deepEqual({ userId: ada.userId, isOwner: ada.isOwner, sessionId: ada.sessionId }, { userId: 'user-ada', isOwner: true, sessionId: host.participantId });
    assert.equal((await eventOf(name, 'participant.joined', (e) => e.userName === 'Bob')).isOwner, false);
    const recording = await eventOf(name, 'recording.started');
    assert.deepEqual({ instanceId: recording.instanceId, type: recording.recordingType, roomName: recording.roomName }, { instanceId: host.roomSessionId, type: 'cloud', roomName: name });
    assert.ok(!eventsIn(name).some((e) => (e.type === 'participant.joined' || e.type === 'participant.left') && e.userName === 'Recorder'), 'the recorder is no participant');
    assert.ok(deliveries.some((d) => d.roomName === name && d.parsed?.kind === 'ignored' && d.parsed.type === 'room.client.left (recorder)'));
    const ready = await eventOf(name, 'recording.ready');
    assert.equal(ready.recordingType, 'cloud');
    assert.equal(ready.startedAt.getTime(), recording.startedAt.getTime());
    assert.match(ready.objectKey, new RegExp(`^whereby-recordings/${name.slice(1)}-.+\\.mp4$`));
    const stored = await bucket.head(ready.objectKey);
    assert.ok(stored && stored.size > 0, `the composite is in our bucket at ${ready.objectKey}`);
    await eventOf(name, 'meeting.ended');

    const page = await platform.listRecordings({ roomName: name });
    assert.equal(page.hasMore, false);
    assert.equal(page.recordings.length, 1);
    const listed = page.recordings[0]!;
    assert.deepEqual(
      { id: listed.id, roomName: listed.roomName, key: listed.objectKey, type: listed.type, status: listed.status, duration: listed.durationSeconds, session: listed.meetingSessionId, tracks: listed.tracks },
      { id: ready.recordingId, roomName: name, key: ready.objectKey, type: 'cloud', status: 'finished', duration: 4, session: host.roomSessionId, tracks: null },
    );
    assert.deepEqual(await platform.getRecording(ready.recordingId), listed);
    assert.equal(await platform.getRecording('00000000-0000-4000-8000-000000000000'), null);
  });

  it('pages recordings newest first with Whereby\'s cursor', async () => {
    const room = await platform.createRoom(roomInput('paged', { recordingTrigger: 'automatic' }));
    for (let i = 0; i < 3; i++) {
      const person = await server.join({ roomUrl: room.roomUrl });
      await server.advance(1_000);
      await server.leave(person.participantId);
    }
    await server.whenIdle();
    const first = await platform.listRecordings({ roomName: room.platformRoomName, limit: 2 });
    assert.equal(first.recordings.length, 2);
    assert.ok(first.hasMore && first.nextCursor);
    const second = await platform.listRecordings({ roomName: room.platformRoomName, limit: 2, startingAfter: first.nextCursor });
    assert.equal(second.recordings.length, 1);
    assert.equal(second.hasMore, false);
    const starts = [...first.recordings, ...second.recordings].map((r) => r.startedAt.getTime());
    assert.deepEqual(starts, [...starts].sort((a, b) => b - a));
  });

  it('writes by role (roleBased) when the bucket names one to assume', async () => {
    const room = await platform.createRoom({ ...roomInput('by-role', { recordingTrigger: 'automatic' }), recordingsBucket: { bucketName: bucket.bucket, bucketRegion: s3.region, assumeRoleArn: 'arn:aws:iam::123456789012:role/whereby-writes' } });
    const person = await server.join({ roomUrl: room.roomUrl });
    await server.advance(1_000);
    await server.leave(person.participantId);
    await server.whenIdle();
    const ready = await eventOf(room.platformRoomName, 'recording.ready');
    assert.ok(await bucket.head(ready.objectKey));
  });

  it('refuses to start or stop a recording (no REST control) with a refusal never retried', async () => {
    for (const call of [() => platform.startRecording(), () => platform.stopRecording(), () => platform.hasOngoingMeeting(), () => platform.getMeetingParticipants()]) {
      const error = await call().then(() => assert.fail('should refuse'), (e: unknown) => e);
      assert.ok(error instanceof WherebyNotSupportedError);
      assert.equal(error.status, 405);
      assert.throws(() => classifyPlatformError(error), (failure: unknown) => failure instanceof ApplicationFailure && failure.nonRetryable === true);
    }
    assert.deepEqual(platform.recordingCapabilities, { composite: true, perSpeakerAudio: 'none', startedBy: 'platform' });
    const built = createPlatform('whereby', { apiKey: API_KEY, webhookSecret: SECRET });
    assert.ok(built instanceof WherebyPlatform);
    assert.equal(built.name, 'whereby');
    assert.equal((built as WherebyPlatform).client.baseUrl, 'https://api.whereby.dev/v1');
  });
});

describe('WherebyPlatform: API errors and the rate limit', () => {
  it('waits out a 429 for the Retry-After Whereby gives, and gives up (retryable) when that wait is too long', async () => {
    const limited = await startWherebySimulator({ apiKey: API_KEY, webhookSecret: SECRET, rateLimitPoints: 3, rateLimitWindowMs: 1_500, log: () => {} });
    try {
      const patient = new WherebyPlatform({ apiKey: API_KEY, baseUrl: limited.apiUrl, webhookSecret: SECRET });
      await patient.listRecordings();
      await patient.listRecordings();
      await patient.listRecordings();
      const before = Date.now();
      await patient.listRecordings(); // the window's 3 points are spent: 429, Retry-After 1 or 2 s, then served
      assert.ok(Date.now() - before >= 500, 'it waited');
      assert.equal((await limited.stats()).apiCalls['GET /recordings'], 5);

      const hasty = new WherebyPlatform({ apiKey: API_KEY, baseUrl: limited.apiUrl, webhookSecret: SECRET, maxRetryAfterMs: 100 });
      for (let i = 0; i < 3; i++) await hasty.listRecordings().catch(() => undefined);
      const error = await hasty.listRecordings().then(() => assert.fail('should be limited'), (e: unknown) => e);
      assert.ok(error instanceof WherebyApiError);
      assert.equal(error.status, 429);
      assert.equal(error.retryable, true);
      assert.ok((error.retryAfterMs ?? 0) > 100);
      assert.match(error.info, /Rate limit active/);
    } finally {
      await limited.stop();
    }
  });

  it('classifies a 5xx as retryable and a bad key as a refusal', async () => {
    await server.setFaults({ api: [{ routes: ['POST /meetings'], status: 503, count: 1 }] });
    const unavailable = await platform.createRoom(roomInput('flaky')).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(unavailable instanceof WherebyApiError && unavailable.status === 503 && unavailable.retryable);
    await platform.createRoom(roomInput('flaky'));
    const wrongKey = await newPlatform({ apiKey: 'not-the-key' }).listRecordings().then(() => assert.fail('should refuse'), (e: unknown) => e);
    assert.ok(wrongKey instanceof WherebyApiError && wrongKey.status === 401 && !wrongKey.retryable);
    assert.throws(() => classifyPlatformError(wrongKey), (failure: unknown) => failure instanceof ApplicationFailure && failure.nonRetryable === true);
  });
});

describe('WherebyPlatform: webhook verification', () => {
  const body = JSON.stringify({ id: 'evt-1', apiVersion: '1.0', createdAt: START.toISOString(), type: 'room.session.started', data: { meetingId: '1', roomName: '/r', roomSessionId: 's' } });
  const verify = (headers: Record<string, string>, raw = body, now = new Date()) => newPlatform().verifyWebhook({ rawBody: Buffer.from(raw), headers, now });

  it('accepts what the simulator signs, and refuses forged, tampered, stale, future and malformed signatures by name', () => {
    assert.ok(deliveries.length > 0 && deliveries.every((d) => d.verification.ok), 'every simulator webhook verified');
    assert.deepEqual(verify(signed(body)), { ok: true });
    const refusals = {
      missing: verify({ 'content-type': 'application/json' }),
      forged: verify(signed(body, 'another secret')),
      tampered: verify(signed(body), body.replace('room.session.started', 'room.session.ended')),
      stale: verify(signed(body, SECRET, Math.floor(Date.now() / 1000) - 600)),
      future: verify(signed(body, SECRET, Math.floor(Date.now() / 1000) + 600)),
      malformed: verify({ 'content-type': 'application/json', 'whereby-signature': 'v1=abc' }),
      contentType: verify({ ...signed(body), 'content-type': 'text/plain' }),
    };
    const reasons = Object.fromEntries(Object.entries(refusals).map(([k, v]) => [k, v.ok ? 'ok' : v.reason]));
    assert.deepEqual(reasons, {
      missing: 'missing_signature',
      forged: 'bad_signature',
      tampered: 'bad_signature',
      stale: 'stale_timestamp',
      future: 'stale_timestamp',
      malformed: 'bad_signature',
      contentType: 'unexpected_content_type',
    });
    assert.match(refusals.stale.ok ? '' : refusals.stale.detail ?? '', /^stale-timestamp: signed .* more than 300 s ago$/);
  });

  it('refuses a replayed delivery, but lets a retry of the same event signed anew through (deduplicated by event id)', () => {
    const receiver = newPlatform();
    const now = new Date();
    const headers = signed(body, SECRET, Math.floor(now.getTime() / 1000) - 10);
    assert.deepEqual(receiver.verifyWebhook({ rawBody: Buffer.from(body), headers, now }), { ok: true });
    const replay = receiver.verifyWebhook({ rawBody: Buffer.from(body), headers, now });
    assert.equal(replay.ok ? 'ok' : replay.reason, 'replayed');
    assert.deepEqual(receiver.verifyWebhook({ rawBody: Buffer.from(body), headers: signed(body, SECRET, Math.floor(now.getTime() / 1000)), now }), { ok: true });
  });

  it('throws WebhookPayloadError for a body that is not Whereby\'s, and ignores event types it does not map', () => {
    assert.throws(() => platform.parseWebhook(Buffer.from('not json')), WebhookPayloadError);
    assert.throws(() => platform.parseWebhook(Buffer.from(JSON.stringify({ id: 'x', type: 'room.client.joined' }))), WebhookPayloadError);
    const broken = JSON.stringify({ id: 'x', apiVersion: '1.0', createdAt: START.toISOString(), type: 'recording.finished', data: { filename: 'f.mkv' } });
    assert.throws(() => platform.parseWebhook(Buffer.from(broken)), (e: unknown) => e instanceof WebhookPayloadError && e.eventType === 'recording.finished');
    const knocked = JSON.stringify({ id: 'y', apiVersion: '1.0', createdAt: START.toISOString(), type: 'room.client.knocked', data: {} });
    assert.deepEqual(platform.parseWebhook(Buffer.from(knocked)), { kind: 'ignored', type: 'room.client.knocked' });
  });
});
