import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DailyApiError, DailyClient, DailyNetworkError } from '../platforms/daily/client.ts';
import { DailyPlatform } from '../platforms/daily/daily-platform.ts';
import { startDailySimulator } from '../platforms/daily/simulator/index.ts';
import type { DailySimulator } from '../platforms/daily/simulator/index.ts';
import { CallNotHostedError, speakerAudioInstanceId } from '../platforms/platform.ts';
import { LocalFolderStorage } from '../storage/local-folder.ts';

// Daily's REST semantics, as the simulator answers them, through our real DailyClient and DailyPlatform.

const API_KEY = 'sim-api-key';
let dir: string;
let sim: DailySimulator;
let platform: DailyPlatform;

const bucket = { bucketName: 'local', bucketRegion: 'local' };
const expiresAt = () => new Date(Date.now() + 3_600_000);

async function roomWithCall(name: string) {
  await platform.createRoom({ name, expiresAt: expiresAt(), recordingsBucket: bucket });
  return sim.join(name, { userName: 'Host', owner: true });
}

async function expectDailyError(promise: Promise<unknown>, status: number, errorType: string, info?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DailyApiError, `expected DailyApiError, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.errorType, errorType);
    if (info) assert.match(error.info, info);
    return true;
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daily-rest-'));
  const storage = new LocalFolderStorage({ rootDir: dir, publicBaseUrl: 'http://127.0.0.1', signingSecret: 'x' });
  sim = await startDailySimulator({
    apiKey: API_KEY,
    domain: 'sim',
    storage,
    clock: { mode: 'virtual' },
    // Generous limits for the suite; the rate-limit tests start their own simulators.
    rateLimits: { 'recording-start': { limit: 1000, windowMs: 1000 } },
  });
  platform = new DailyPlatform({
    apiKey: API_KEY,
    baseUrl: sim.baseUrl,
    webhookSecret: 'c2VjcmV0',
    backoffBaseMs: 20,
    rateLimits: { 'recording-start': { limit: 1000, windowMs: 1000 } },
  });
});

after(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('authentication', () => {
  it('answers 401 authentication-error for a wrong key and 400 for a missing header', async () => {
    await expectDailyError(new DailyClient({ apiKey: 'wrong', baseUrl: sim.baseUrl }).listWebhooks(), 401, 'authentication-error');
    const response = await fetch(`${sim.baseUrl}/rooms`);
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { error: 'authorization-header-error', info: 'missing or malformed Authorization header' });
  });
});

describe('rooms and meeting tokens', () => {
  it('creates a room with Daily’s properties and refuses a duplicate name', async () => {
    const created = await platform.createRoom({ name: 'rooms-1', expiresAt: new Date(1_900_000_000_000), recordingsBucket: bucket });
    assert.deepEqual(created, { platformRoomName: 'rooms-1', roomUrl: 'https://sim.daily.co/rooms-1' });
    const room = await platform.client.getRoom('rooms-1');
    assert.equal(room.privacy, 'private');
    assert.deepEqual(room.config, {
      exp: 1_900_000_000,
      recordings_bucket: { bucket_name: 'local', bucket_region: 'local', allow_api_access: true },
    });
    await expectDailyError(
      platform.createRoom({ name: 'rooms-1', expiresAt: expiresAt(), recordingsBucket: bucket }),
      400,
      'invalid-request-error',
      /already exists/,
    );
    await platform.deleteRoom('rooms-1');
    await platform.deleteRoom('rooms-1');
    await expectDailyError(platform.client.getRoom('rooms-1'), 404, 'not-found');
  });

  it('issues HS256 meeting tokens signed with the API key that carry the participant into the call', async () => {
    await platform.createRoom({ name: 'tokens-1', expiresAt: expiresAt(), recordingsBucket: bucket });
    const token = await platform.createJoinToken({ roomName: 'tokens-1', userName: 'Ada', userId: 'user-ada', isOwner: true, expiresAt: expiresAt() });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    assert.equal(createHmac('sha256', API_KEY).update(`${header}.${payload}`).digest('base64url'), signature);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.equal(claims.r, 'tokens-1');
    assert.equal(claims.u, 'Ada');
    assert.equal(claims.ud, 'user-ada');
    assert.equal(claims.o, true);
    assert.equal(typeof claims.exp, 'number');
    const properties = await platform.client.getMeetingToken(token);
    assert.equal(properties.room_name, 'tokens-1');
    assert.equal(properties.is_owner, true);

    const { sessionId } = await sim.join('tokens-1', { token });
    const present = (await sim.state()).rooms.find((r) => r.name === 'tokens-1')!.present;
    assert.deepEqual(present, [{ sessionId, userName: 'Ada', userId: 'user-ada', owner: true }]);
    await assert.rejects(sim.join('rooms-other', { token }), /was not found/);
  });
});

describe('recording start and stop semantics', () => {
  it('throws CallNotHostedError (retryable) while nobody is in the call', async () => {
    await platform.createRoom({ name: 'empty-1', expiresAt: expiresAt(), recordingsBucket: bucket });
    await assert.rejects(platform.startRecording('empty-1', { type: 'cloud', instanceId: randomUUID() }), (error: unknown) => {
      assert.ok(error instanceof CallNotHostedError);
      assert.equal(error.retryable, true);
      assert.ok(error.cause instanceof DailyApiError && error.cause.status === 404);
      assert.match(error.cause.info, /does not seem to be hosting a call/);
      return true;
    });
  });

  it('starts cloud and raw-tracks as separate instances; a second start of either is already-active', async () => {
    await roomWithCall('rec-1');
    const meetingId = randomUUID();
    const raw = { type: 'raw-tracks' as const, instanceId: speakerAudioInstanceId(meetingId) };
    const cloud = { type: 'cloud' as const, instanceId: meetingId };
    assert.equal(await platform.startRecording('rec-1', raw), 'started');
    assert.equal(await platform.startRecording('rec-1', cloud), 'started');
    assert.equal(await platform.startRecording('rec-1', raw), 'already-active');
    assert.equal(await platform.startRecording('rec-1', cloud), 'already-active');
    // One instance id cannot carry both kinds at once.
    assert.equal(await platform.startRecording('rec-1', { type: 'cloud', instanceId: raw.instanceId }), 'already-active');
    const active = (await sim.state()).rooms.find((r) => r.name === 'rec-1')!.activeRecordings;
    assert.deepEqual(active.map((r) => r.type).sort(), ['cloud', 'raw-tracks']);

    assert.equal(await platform.stopRecording('rec-1', raw), 'stopped');
    assert.equal(await platform.stopRecording('rec-1', raw), 'not-active');
    assert.equal(await platform.stopRecording('rec-1', cloud), 'stopped');
    // A restart is a new recording object.
    assert.equal(await platform.startRecording('rec-1', raw), 'started');
    assert.equal(await platform.stopRecording('rec-1', raw), 'stopped');
    const ids = (await sim.state()).recordings.filter((r) => r.roomName === 'rec-1' && r.type === 'raw-tracks').map((r) => r.id);
    assert.equal(new Set(ids).size, 2);
  });

  it('answers Daily’s own errors: 400 when nothing is active, raw-tracks stop without its type, raw-tracks without a bucket', async () => {
    await roomWithCall('rec-2');
    await expectDailyError(platform.client.stopRecording('rec-2', { type: 'cloud', instanceId: randomUUID() }), 400, 'invalid-request-error');
    const instanceId = randomUUID();
    await platform.client.startRecording('rec-2', { type: 'raw-tracks', instanceId });
    await expectDailyError(platform.client.stopRecording('rec-2', { instanceId }), 400, 'invalid-request-error', /raw-tracks/);
    await platform.client.stopRecording('rec-2', { type: 'raw-tracks', instanceId });

    await platform.client.createRoom({ name: 'no-bucket' });
    await sim.join('no-bucket', { userName: 'Solo' });
    await expectDailyError(platform.client.startRecording('no-bucket', { type: 'raw-tracks', instanceId: randomUUID() }), 400, 'invalid-request-error', /bucket/);
    assert.equal(await platform.startRecording('no-bucket', { type: 'cloud', instanceId: randomUUID() }), 'started');
  });

  it('stops a recording by itself after its maxDuration', async () => {
    await roomWithCall('rec-4');
    const cloud = { type: 'cloud' as const, instanceId: randomUUID() };
    await platform.client.startRecording('rec-4', { type: 'raw-tracks', instanceId: randomUUID(), maxDuration: 5 });
    await platform.startRecording('rec-4', cloud);
    await sim.advance(6_000);
    assert.deepEqual((await sim.state()).rooms.find((r) => r.name === 'rec-4')!.activeRecordings.map((r) => r.type), ['cloud']);
    await platform.stopRecording('rec-4', cloud);
    await sim.whenIdle();
    const durations = (await platform.listRecordings({ roomName: 'rec-4' })).recordings.map((r) => `${r.type}:${r.durationSeconds}`);
    assert.deepEqual(durations.sort(), ['cloud:6', 'raw-tracks:5']);
  });

  it('answers {"status":"sent"} with camelCase bodies, and counts starts per type', async () => {
    await roomWithCall('rec-3');
    const before = await sim.stats();
    const response = await fetch(`${sim.baseUrl}/rooms/rec-3/recordings/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'raw-tracks', instanceId: randomUUID() }),
    });
    assert.deepEqual(await response.json(), { status: 'sent' });
    const stats = await sim.stats();
    assert.equal(stats.recordingsStarted['raw-tracks'], (before.recordingsStarted['raw-tracks'] ?? 0) + 1);
    assert.equal(stats.restCalls['POST /rooms/:name/recordings/start'], (before.restCalls['POST /rooms/:name/recordings/start'] ?? 0) + 1);
  });
});

describe('recordings list', () => {
  it('pages newest first with starting_after, infers the type, reads s3key/s3Key and a null mtgSessionId', async () => {
    const { sessionId } = await roomWithCall('list-1');
    await sim.setFaults({ recordingsWithoutMeetingSession: 1 });
    await platform.startRecording('list-1', { type: 'cloud', instanceId: randomUUID() });
    await sim.setFaults({});
    for (let i = 0; i < 3; i++) {
      await sim.advance(2_000);
      const instanceId = randomUUID();
      await platform.startRecording('list-1', { type: 'raw-tracks', instanceId });
      await sim.say(sessionId, { text: `take ${i}` });
      await sim.advance(3_000);
      await platform.stopRecording('list-1', { type: 'raw-tracks', instanceId });
    }
    await sim.endMeeting('list-1');
    await sim.whenIdle();

    const seen = [];
    let cursor: string | undefined;
    do {
      const page = await platform.listRecordings({ roomName: 'list-1', limit: 2, ...(cursor && { startingAfter: cursor }) });
      assert.ok(page.recordings.length <= 2);
      seen.push(...page.recordings);
      cursor = page.nextCursor;
      assert.equal(page.hasMore, cursor !== undefined);
    } while (cursor);
    assert.equal(seen.length, 4);
    assert.equal(new Set(seen.map((r) => r.id)).size, 4);
    const starts = seen.map((r) => r.startedAt.getTime());
    assert.deepEqual(starts, [...starts].sort((a, b) => b - a));
    const [cloud] = seen.filter((r) => r.type === 'cloud');
    assert.ok(cloud);
    assert.equal(cloud.meetingSessionId, null);
    assert.equal(cloud.tracks, null);
    for (const raw of seen.filter((r) => r.type === 'raw-tracks')) {
      assert.equal(raw.status, 'finished');
      assert.equal(raw.durationSeconds, 3);
      assert.ok(raw.meetingSessionId);
      assert.deepEqual(raw.tracks?.map((t) => t.type), ['audio', 'video']);
      assert.ok(raw.tracks?.every((t) => t.key.startsWith(`${raw.objectKey}-${t.sessionId}-cam-`)));
    }

    // Daily's own spellings on the wire: s3key and mtgSessionId, s3Key in tracks, and no type.
    const rawJson = (await (await fetch(`${sim.baseUrl}/recordings?room_name=list-1&limit=1`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as {
      total_count: number;
      data: Array<Record<string, unknown>>;
    };
    assert.equal(rawJson.total_count, 4);
    const [newest] = rawJson.data;
    assert.ok(newest && 's3key' in newest && 'mtgSessionId' in newest && !('type' in newest));
    assert.ok((newest.tracks as Array<Record<string, unknown>>).every((t) => typeof t.s3Key === 'string'));

    assert.equal(await platform.getRecording(randomUUID()), null);
    assert.equal((await platform.getRecording(seen[0]!.id))?.id, seen[0]!.id);
    await assert.rejects(platform.client.listRecordings({ limit: 101 }), RangeError);
  });
});

describe('meeting participants', () => {
  it('pages by joined_after until Daily’s 404, counting a rejoin as a new session', async () => {
    const host = await roomWithCall('people-1');
    const guest = await sim.join('people-1', { userName: 'Guest', userId: 'guest-1' });
    await sim.advance(10_000);
    await sim.leave(guest.sessionId);
    const again = await sim.join('people-1', { userName: 'Guest', userId: 'guest-1' });
    await sim.advance(5_000);

    const participants = await platform.getMeetingParticipants(host.meetingId);
    assert.deepEqual(participants.map((p) => p.sessionId), [host.sessionId, guest.sessionId, again.sessionId]);
    assert.equal(participants[1]!.userId, 'guest-1');
    assert.equal(participants[1]!.durationSeconds, 10);
    assert.equal(participants[0]!.userId, null);

    const page = await platform.client.getMeetingParticipants(host.meetingId, { limit: 2 });
    assert.equal(page.data.length, 2);
    await expectDailyError(platform.client.getMeetingParticipants(host.meetingId, { joined_after: again.sessionId }), 404, 'not-found');
    const meeting = await platform.client.getMeeting(host.meetingId);
    assert.equal(meeting.ongoing, true);
    assert.equal(meeting.max_participants, 2);
  });
});

describe('rate limits, faults and retries', () => {
  it('answers 429 above 5 recording starts per 5 s, and the client backs off until it gets through', async () => {
    const limited = await startDailySimulator({ apiKey: API_KEY, domain: 'sim', storage: new LocalFolderStorage({ rootDir: join(dir, 'limited'), publicBaseUrl: 'http://x', signingSecret: 'x' }), rateLimits: { 'recording-start': { limit: 5, windowMs: 1_000 } } });
    try {
      await limited.ensureRoom('busy');
      await limited.join('busy', { userName: 'Host' });
      const unpaced = new DailyPlatform({ apiKey: API_KEY, baseUrl: limited.baseUrl, webhookSecret: 'c2VjcmV0', rateLimits: false, backoffBaseMs: 300, maxAttempts: 6 });
      const results = await Promise.all(
        Array.from({ length: 8 }, () => unpaced.startRecording('busy', { type: 'cloud', instanceId: randomUUID() })),
      );
      assert.deepEqual(new Set(results), new Set(['started']));
      const statuses = (await limited.stats()).restStatuses['POST /rooms/:name/recordings/start'];
      assert.equal(statuses?.['200'], 8);
      assert.ok((statuses?.['429'] ?? 0) >= 3, `expected 429s, got ${JSON.stringify(statuses)}`);

      // Paced to Daily's limit, the client never sees a 429.
      const paced = new DailyPlatform({ apiKey: API_KEY, baseUrl: limited.baseUrl, webhookSecret: 'c2VjcmV0', rateLimits: { 'recording-start': { limit: 5, windowMs: 1_000 } } });
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const before429 = (await limited.stats()).restStatuses['POST /rooms/:name/recordings/start']?.['429'];
      await Promise.all(Array.from({ length: 7 }, () => paced.startRecording('busy', { type: 'cloud', instanceId: randomUUID() })));
      assert.equal((await limited.stats()).restStatuses['POST /rooms/:name/recordings/start']?.['429'], before429);
    } finally {
      await limited.stop();
    }
  });

  it('retries 503 (not enough workers) and gives up after maxAttempts', async () => {
    await roomWithCall('faults-1');
    await sim.setFaults({ api: [{ routes: ['POST /rooms/:name/recordings/start'], count: 2 }] });
    assert.equal(await platform.startRecording('faults-1', { type: 'cloud', instanceId: randomUUID() }), 'started');
    assert.equal((await sim.stats()).restStatuses['POST /rooms/:name/recordings/start']?.['503'], 2);

    await sim.setFaults({ api: [{ routes: ['GET /recordings'], count: 3 }] });
    const impatient = new DailyClient({ apiKey: API_KEY, baseUrl: sim.baseUrl, maxAttempts: 3, backoffBaseMs: 10 });
    await expectDailyError(impatient.listRecordings(), 503, 'server-error');
    await sim.setFaults({});
  });

  it('honours Retry-After and times out a silent server', async () => {
    let calls = 0;
    const stub = createServer((req, res) => {
      calls += 1;
      if (req.url?.startsWith('/v1/slow/')) return; // never answers
      if (calls === 1) res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"rate-limit-error","info":"slow down"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/v1`;
    try {
      const client = new DailyClient({ apiKey: 'k', baseUrl: base, backoffBaseMs: 1, timeoutMs: 300 });
      const started = Date.now();
      assert.deepEqual(await client.listWebhooks(), []);
      assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
      await assert.rejects(new DailyClient({ apiKey: 'k', baseUrl: `${base}/slow`, timeoutMs: 200 }).listWebhooks(), (error: unknown) => {
        assert.ok(error instanceof DailyNetworkError && error.timedOut);
        return true;
      });
    } finally {
      stub.closeAllConnections();
      stub.close();
    }
  });
});
