import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CallNotHostedError, WebhookPayloadError } from '../platforms/platform.ts';
import type { ParsedWebhook, PlatformEvent, WebhookVerification } from '../platforms/platform.ts';
import { createPlatform } from '../platforms/index.ts';
import { LiveKitPlatform } from '../platforms/livekit/livekit-platform.ts';
import { startLiveKitSimulator } from '../platforms/livekit/simulator/index.ts';
import type { LiveKitSimulator } from '../platforms/livekit/simulator/index.ts';
import type { S3Storage } from '../storage/s3.ts';
import { signedLiveKitWebhook } from './support/livekit.ts';
import { waitForValue } from './support/poll.ts';
import { freshBucket, s3ServerFromEnv } from './support/s3-server.ts';
import type { S3TestServer } from './support/s3-server.ts';

// LiveKitPlatform, the seam's LiveKit, against the LiveKit simulator: rooms, tokens, the composite and the
// per-speaker track egresses it starts and stops, its recordings as ListEgress tells them, and every webhook the
// simulator sends verified by platform.verifyWebhook and parsed by platform.parseWebhook, as the webhook route does.

const API_KEY = 'APIplatformKey';
const API_SECRET = randomBytes(24).toString('base64url');
const START = new Date('2026-05-04T09:00:00.000Z');

interface Delivery {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  /** The room the webhook is about, as its body says. */
  roomName: string | undefined;
  /** At delivery (LiveKit's createdAt is the wall clock's, not the simulated one). */
  now: Date;
  verification: WebhookVerification;
  parsed: ParsedWebhook | null;
}

let server: LiveKitSimulator;
let s3: S3TestServer;
let bucket: S3Storage;
/** Egress's own storage: where outputs naming no upload go. */
let egressStorage: S3Storage;
let hook: Server;
let platform: LiveKitPlatform;
const deliveries: Delivery[] = [];

const eventsIn = (roomName: string): PlatformEvent[] =>
  deliveries.flatMap((d) => (d.roomName === roomName && d.parsed?.kind === 'event' ? [d.parsed.event] : []));
/** The event of that type (speaker-track.published: PlatformEvent's one member for both is narrowed by intersection). */
type EventOf<T extends PlatformEvent['type']> = PlatformEvent & { type: T };
function eventOf<T extends PlatformEvent['type']>(roomName: string, type: T, match: (e: EventOf<T>) => boolean = () => true) {
  return waitForValue<EventOf<T>>(`${type} in ${roomName}`, () => eventsIn(roomName).find((e): e is EventOf<T> => e.type === type && match(e as EventOf<T>)));
}

before(async () => {
  s3 = await s3ServerFromEnv();
  bucket = await freshBucket(s3, 'livekit-platform');
  egressStorage = await freshBucket(s3, 'livekit-egress-own');
  hook = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks);
    const now = new Date();
    const verification = await platform.verifyWebhook({ rawBody, headers: req.headers, now });
    const about = JSON.parse(rawBody.toString()) as { room?: { name?: string }; egressInfo?: { roomName?: string } };
    const roomName = about.room?.name ?? about.egressInfo?.roomName;
    deliveries.push({ rawBody, headers: req.headers, roomName, now, verification, parsed: verification.ok ? platform.parseWebhook(rawBody) : null });
    res.writeHead(verification.ok ? 200 : 401).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  server = await startLiveKitSimulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    webhookUrls: [`http://127.0.0.1:${(hook.address() as AddressInfo).port}/v1/webhooks/livekit`],
    webhookRetry: { retryWaitMinMs: 20, retryWaitMaxMs: 100 },
    defaultStorage: egressStorage,
    clock: { mode: 'virtual', startAt: START },
    log: () => {},
  });
  platform = new LiveKitPlatform({
    url: server.url,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    bucket: { bucket: bucket.bucket, region: s3.region, endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
});

after(async () => {
  await server?.stop();
  await new Promise((resolve) => hook?.close(resolve));
  await s3?.stop();
});

describe('LiveKitPlatform: a recorded meeting', () => {
  const ROOM = 'platform-standup';
  const expiresAt = new Date(Date.now() + 3_600_000);
  const recordingsBucket = { bucketName: 'unused-by-livekit', bucketRegion: 'us-east-1' };

  it('is the registry’s livekit platform, per-track, with the room URL browsers connect to', () => {
    const built = createPlatform('livekit', { url: 'https://lk.example.com', apiKey: API_KEY, apiSecret: API_SECRET });
    assert.equal(built.name, 'livekit');
    assert.deepEqual(built.recordingCapabilities, { composite: true, perSpeakerAudio: 'per-track' });
    assert.equal(built.trackRecorder, built, 'its own track recorder');
    assert.deepEqual(built.roomModes, ['normal']);
    assert.equal((built as LiveKitPlatform).clientUrl, 'wss://lk.example.com');
    assert.equal(new LiveKitPlatform({ url: 'http://x', clientUrl: 'wss://public.example.com', apiKey: 'k', apiSecret: 's' }).clientUrl, 'wss://public.example.com');
  });

  it('records the composite and each speaker, and tells it in webhooks and listRecordings', async () => {
    const created = await platform.createRoom({ name: ROOM, expiresAt, recordingsBucket });
    assert.deepEqual(created, { platformRoomName: ROOM, roomUrl: server.url.replace(/^http/, 'ws') });
    assert.equal(await platform.hasOngoingMeeting(ROOM), false, 'a room nobody is in hosts no meeting');
    assert.equal(await platform.hasOngoingMeeting('no-such-room'), false);
    await assert.rejects(platform.startRecording(ROOM, { type: 'cloud', instanceId: 'i' }), CallNotHostedError, 'nobody in it: retry later');
    await assert.rejects(platform.startRecording('no-such-room', { type: 'cloud', instanceId: 'i' }), CallNotHostedError);
    await assert.rejects(platform.startRecording(ROOM, { type: 'raw-tracks', instanceId: 'i' }), /track egress/);
    assert.equal(await platform.stopRecording(ROOM, { type: 'cloud', instanceId: 'i' }), 'not-active');

    const ownerToken = await platform.createJoinToken({ roomName: ROOM, userName: 'Alice Archer', userId: 'alice', isOwner: true, expiresAt });
    const guestToken = await platform.createJoinToken({ roomName: ROOM, userName: 'Bob Baker', userId: 'bob', isOwner: false, expiresAt });
    const alice = await server.join(ROOM, { token: ownerToken });
    assert.equal(await platform.hasOngoingMeeting(ROOM), true);
    assert.equal(await platform.startRecording(ROOM, { type: 'cloud', instanceId: 'i', maxDurationSeconds: 60 }), 'started');
    assert.equal(await platform.startRecording(ROOM, { type: 'cloud', instanceId: 'i' }), 'already-active');

    const bob = await server.join(ROOM, { token: guestToken });
    const tracks = await platform.publishedAudioTracks(ROOM);
    assert.deepEqual(
      new Set(tracks.map((t) => `${t.sessionId}:${t.trackId}`)),
      new Set([`${alice.participantSid}:${alice.trackSid}`, `${bob.participantSid}:${bob.trackSid}`]),
    );
    const published = await eventOf(ROOM, 'speaker-track.published', (e) => e.sessionId === bob.participantSid);
    assert.equal(published.trackId, bob.trackSid, 'the webhook names the microphone to record');
    const aliceTrack = await platform.startTrackRecording(ROOM, tracks.find((t) => t.sessionId === alice.participantSid)!);
    const bobTrack = await platform.startTrackRecording(ROOM, { sessionId: published.sessionId, trackId: published.trackId });

    const present = await platform.getMeetingParticipants(ROOM);
    assert.deepEqual(present.map((p) => [p.sessionId, p.userId, p.userName]), [
      [alice.participantSid, 'alice', 'Alice Archer'],
      [bob.participantSid, 'bob', 'Bob Baker'],
    ]);
    assert.equal(present[0]!.joinedAt.toISOString(), START.toISOString());

    await server.say(alice.participantSid, { text: 'Good morning, Alice here.' });
    await server.advance(3_000);
    await server.say(bob.participantSid, { text: 'Bob here.' });
    await server.advance(2_000);
    assert.equal(await platform.stopTrackRecording(bobTrack.recordingId), 'stopped');
    assert.equal(await platform.stopTrackRecording(bobTrack.recordingId), 'not-active', 'stopping it twice is harmless');
    assert.equal(await platform.stopRecording(ROOM, { type: 'cloud', instanceId: 'i' }), 'stopped');
    assert.equal(await platform.stopRecording(ROOM, { type: 'cloud', instanceId: 'i' }), 'not-active');
    await server.advance(1_000);
    await server.leave(bob.participantSid);
    await server.leave(alice.participantSid);
    await server.advance(60_000);
    await server.whenIdle();
    await eventOf(ROOM, 'meeting.ended');
    assert.equal(await platform.hasOngoingMeeting(ROOM), false, 'the room finished');
    assert.deepEqual(await platform.getMeetingParticipants(ROOM), [], 'no history of who was there');
    assert.equal(await platform.stopTrackRecording(aliceTrack.recordingId), 'not-active', "Alice's track egress ended with her microphone");

    assert.deepEqual(deliveries.filter((d) => !d.verification.ok), [], 'every webhook the simulator sent verifies');
    const events = eventsIn(ROOM);
    const joins = events.flatMap((e) => (e.type === 'participant.joined' ? [[e.sessionId, e.userId, e.userName, e.isOwner]] : []));
    assert.deepEqual(joins, [
      [alice.participantSid, 'alice', 'Alice Archer', true],
      [bob.participantSid, 'bob', 'Bob Baker', false],
    ]);
    const started = new Map(events.flatMap((e) => (e.type === 'recording.started' ? [[e.recordingId, e] as const] : [])));
    assert.equal(started.size, 3);
    const compositeId = [...started.values()].find((e) => e.recordingType === 'cloud')!.recordingId;
    assert.deepEqual([started.get(aliceTrack.recordingId)?.recordingType, started.get(bobTrack.recordingId)?.recordingType], ['raw-tracks', 'raw-tracks']);
    assert.ok([...started.values()].every((e) => e.instanceId === e.recordingId), 'an egress is its own stream');
    assert.ok([...started.values()].every((e) => e.roomName === ROOM), 'each names its room: the egress id cannot find the meeting');

    const ready = new Map(events.flatMap((e) => (e.type === 'recording.ready' ? [[e.recordingId, e] as const] : [])));
    const composite = ready.get(compositeId)!;
    assert.deepEqual([composite.recordingType, composite.objectKey, composite.tracks], ['cloud', `livekit/${ROOM}/composite-2026-05-04T090000.mp4`, null]);
    assert.equal(composite.durationSeconds, 5);
    assert.ok(await bucket.head(composite.objectKey), 'the composite is in our bucket');
    assert.equal(platform.describeTrack(composite.objectKey), null, 'a composite is no track');
    for (const [recording, who] of [[aliceTrack, alice], [bobTrack, bob]] as const) {
      const track = ready.get(recording.recordingId)!;
      assert.equal(track.recordingType, 'raw-tracks');
      assert.match(track.objectKey, new RegExp(`^livekit/${ROOM}/tracks/${who.participantSid}/${who.trackSid}-2026-05-04T\\d{6}\\.ogg$`));
      const stored = await bucket.head(track.objectKey);
      assert.ok(stored, `${track.objectKey} is in our bucket`);
      assert.deepEqual(track.tracks, [{ type: 'audio', key: track.objectKey, size: stored.size, sessionId: who.participantSid, startedAt: track.startedAt }]);
      const facts = platform.describeTrack(track.objectKey);
      assert.deepEqual(facts, { sessionId: who.participantSid, speakerAudio: true, recordingStartMs: facts!.trackStartMs, trackStartMs: Math.floor(track.startedAt.getTime() / 1000) * 1000 });
    }
    assert.equal(ready.get(bobTrack.recordingId)!.startedAt.getTime() - START.getTime(), 0, "Bob's track egress started as he joined (virtual time)");
    assert.equal(ready.get(bobTrack.recordingId)!.durationSeconds, 5);
    assert.equal(ready.get(aliceTrack.recordingId)!.durationSeconds, 6, "Alice's ends as she leaves, a second after the stops");

    const listed = await platform.listRecordings({ roomName: ROOM });
    assert.equal(listed.hasMore, false);
    assert.deepEqual(new Set(listed.recordings.map((r) => r.id)), new Set([compositeId, aliceTrack.recordingId, bobTrack.recordingId]));
    for (const recording of listed.recordings) {
      const webhook = ready.get(recording.id)!;
      assert.deepEqual(
        [recording.roomName, recording.status, recording.type, recording.objectKey, recording.durationSeconds, recording.tracks, recording.meetingSessionId],
        [ROOM, 'finished', webhook.recordingType, webhook.objectKey, webhook.durationSeconds, webhook.tracks, alice.roomSid],
        `${recording.id} as its recording.ready told it`,
      );
      assert.deepEqual(await platform.getRecording(recording.id), recording);
    }
    assert.equal(await platform.getRecording('EG_unknown'), null);
    assert.deepEqual((await platform.listRecordings()).recordings.map((r) => r.id).sort(), listed.recordings.map((r) => r.id).sort(), 'every room: only this one has any');
  });

  it('reports a failed track egress as recording.error of the raw-tracks kind, with its reason', async () => {
    const room = 'platform-faults';
    await platform.createRoom({ name: room, expiresAt, recordingsBucket });
    const dana = await server.join(room, { identity: 'dana' });
    const [track] = await platform.publishedAudioTracks(room);
    const { recordingId } = await platform.startTrackRecording(room, track!);
    await server.advance(1_000);
    await server.failEgress(recordingId, 'upload credentials revoked');
    const error = await eventOf(room, 'recording.error', (e) => e.instanceId === recordingId);
    assert.deepEqual([error.recordingType, error.message, error.roomName], ['raw-tracks', 'EGRESS_FAILED: upload credentials revoked', room]);
    assert.equal((await platform.getRecording(recordingId))?.status, 'canceled');
    await server.leave(dana.participantSid);
  });

  it("writes into Egress's own storage when it has no bucket", async () => {
    const room = 'platform-own-storage';
    const ownStorage = new LiveKitPlatform({ url: server.url, apiKey: API_KEY, apiSecret: API_SECRET });
    await ownStorage.createRoom({ name: room, expiresAt, recordingsBucket });
    const erin = await server.join(room, { identity: 'erin' });
    assert.equal(await ownStorage.startRecording(room, { type: 'cloud', instanceId: 'i' }), 'started');
    await server.advance(2_000);
    assert.equal(await ownStorage.stopRecording(room, { type: 'cloud', instanceId: 'i' }), 'stopped');
    const ready = await eventOf(room, 'recording.ready');
    assert.ok(await egressStorage.head(ready.objectKey), `${ready.objectKey} is in Egress's storage`);
    assert.equal(await bucket.head(ready.objectKey), null, 'not in ours');
    await server.leave(erin.participantSid);
  });
});

describe('LiveKitPlatform: webhook refusals', () => {
  const signed = (body: Buffer, options: { secret?: string; ttl?: number } = {}) =>
    signedLiveKitWebhook(body, { key: API_KEY, secret: options.secret ?? API_SECRET, ...(options.ttl !== undefined && { ttl: options.ttl }) });

  it('refuses forged, expired, stale, body-tampered, unsigned and mislabelled webhooks, each for its reason', async () => {
    const sample = deliveries.find((d) => d.parsed?.kind === 'event' && d.parsed.event.type === 'recording.ready')!;
    const { rawBody, now } = sample;
    const headers = { authorization: sample.headers.authorization, 'content-type': 'application/webhook+json' };
    const reasonOf = async (request: { rawBody?: Buffer; headers?: Record<string, string | undefined>; now?: Date }) => {
      const verification = await platform.verifyWebhook({ rawBody: request.rawBody ?? rawBody, headers: request.headers ?? headers, now: request.now ?? now });
      return verification.ok ? 'accepted' : verification.reason;
    };
    assert.equal(await reasonOf({}), 'accepted');
    assert.equal(await reasonOf({ headers: { ...headers, authorization: await signed(rawBody) } }), 'accepted', 'our own signature of the bytes');
    assert.equal(await reasonOf({ headers: { Authorization: headers.authorization, 'Content-Type': headers['content-type'] } }), 'accepted', 'header names in any case');
    assert.equal(await reasonOf({ headers: { ...headers, authorization: await signed(rawBody, { secret: 'forged-secret' }) } }), 'bad_signature');
    assert.equal(await reasonOf({ headers: { ...headers, authorization: await signed(rawBody, { ttl: -120 }) } }), 'stale_timestamp', 'an expired token');
    assert.equal(await reasonOf({ now: new Date(now.getTime() + 11 * 60_000) }), 'stale_timestamp', 'a valid token on an event created 11 minutes ago');
    assert.equal(await reasonOf({ now: new Date(now.getTime() - 5 * 60_000) }), 'stale_timestamp', 'an event from the future');
    const tampered = Buffer.from(rawBody.toString().replace('EGRESS_COMPLETE', 'EGRESS_FAILED'));
    assert.equal(await reasonOf({ rawBody: tampered }), 'body_tampered');
    assert.equal(await reasonOf({ headers: { 'content-type': headers['content-type'] } }), 'missing_signature');
    assert.equal(await reasonOf({ headers: { ...headers, 'content-type': 'application/json' } }), 'unexpected_content_type');
    const refused = await platform.verifyWebhook({ rawBody: tampered, headers, now });
    assert.ok(!refused.ok && refused.detail, 'a refusal says why');
  });

  it('throws WebhookPayloadError for a body that is not a WebhookEvent, and ignores events it has no word for', () => {
    assert.throws(() => platform.parseWebhook(Buffer.from('{not json')), WebhookPayloadError);
    assert.throws(() => platform.parseWebhook(Buffer.from('{"event":"egress_ended","id":"EV_x","createdAt":"1"}')), WebhookPayloadError, 'egress_ended without its egress');
    assert.deepEqual(platform.parseWebhook(Buffer.from('{"event":"ingress_started","id":"EV_y","createdAt":"1","someFutureField":1}')), { kind: 'ignored', type: 'ingress_started' });
  });
});
