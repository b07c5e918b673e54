import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as jose from 'jose';
import { CallNotHostedError, WebhookPayloadError } from '../platforms/platform.ts';
import type { ParsedWebhook, PlatformEvent, WebhookVerification } from '../platforms/platform.ts';
import { createPlatform } from '../platforms/index.ts';
import { HmsApiError, HmsClient } from '../platforms/hms/client.ts';
import { HmsPlatform } from '../platforms/hms/hms-platform.ts';
import type { HmsPlatformOptions } from '../platforms/hms/hms-platform.ts';
import { startHmsSimulator } from '../platforms/hms/simulator/index.ts';
import type { HmsSimulator } from '../platforms/hms/simulator/index.ts';
import { waitForValue } from './support/poll.ts';

// HmsPlatform, the seam's 100ms, against the 100ms simulator: its tokens (management, renewed; app, with the host
// role for the owner), rooms, the composite it starts and stops (409 → already-active, nobody in the room →
// CallNotHostedError), the per-track recordings the template makes, recordings and participants as the REST API
// tells them, and every webhook the simulator sends verified by platform.verifyWebhook and parsed by
// platform.parseWebhook, as the webhook route does.

const ACCESS_KEY = `ak${randomBytes(8).toString('hex')}`;
const APP_SECRET = randomBytes(32).toString('base64url');
const WEBHOOK_HEADERS = { 'x-hms-webhook-secret': randomBytes(16).toString('hex') };
const START = new Date('2026-05-04T09:00:00.000Z');
const EXPIRES = new Date(Date.now() + 3_600_000);

interface Delivery {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  roomId: string | undefined;
  verification: WebhookVerification;
  parsed: ParsedWebhook | null;
}

let server: HmsSimulator;
let hook: Server;
/** Composite only: the default template records no tracks. */
let platform: HmsPlatform;
/** The template that records each microphone. */
let perTrack: HmsPlatform;
const deliveries: Delivery[] = [];

const options = (extra: Partial<HmsPlatformOptions> = {}): HmsPlatformOptions => ({
  apiUrl: server.apiUrl,
  accessKey: ACCESS_KEY,
  appSecret: APP_SECRET,
  templateRecordsTracks: false,
  webhookHeaders: WEBHOOK_HEADERS,
  ...extra,
});

const eventsIn = (roomId: string): PlatformEvent[] => deliveries.flatMap((d) => (d.roomId === roomId && d.parsed?.kind === 'event' ? [d.parsed.event] : []));
type EventOf<T extends PlatformEvent['type']> = PlatformEvent & { type: T };
function eventOf<T extends PlatformEvent['type']>(roomId: string, type: T, match: (e: EventOf<T>) => boolean = () => true) {
  return waitForValue<EventOf<T>>(`${type} in ${roomId}`, () => eventsIn(roomId).find((e): e is EventOf<T> => e.type === type && match(e as EventOf<T>)));
}

before(async () => {
  hook = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks);
    const verification = platform.verifyWebhook({ rawBody, headers: req.headers, now: new Date() });
    const roomId = (JSON.parse(rawBody.toString()) as { data?: { room_id?: string } }).data?.room_id;
    deliveries.push({ rawBody, headers: req.headers, roomId, verification, parsed: verification.ok ? platform.parseWebhook(rawBody) : null });
    res.writeHead(verification.ok ? 200 : 401).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  server = await startHmsSimulator({
    accessKey: ACCESS_KEY,
    appSecret: APP_SECRET,
    templates: [{ name: 'composite' }, { name: 'per-track', trackRecording: true }],
    webhook: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/v1/webhooks/100ms`, headers: WEBHOOK_HEADERS },
    webhookRetry: { delaysMs: [20, 60, 200] },
    clock: { mode: 'virtual', startAt: START },
    recordingStartupMs: 1_000,
    log: () => {},
  });
  platform = new HmsPlatform(options());
  perTrack = new HmsPlatform(options({ templateId: server.templates[1]!.id, templateRecordsTracks: true }));
});

after(async () => {
  await server?.stop();
  await new Promise((resolve) => hook?.close(resolve));
});

describe('HmsPlatform: tokens', () => {
  it('signs the management token with the documented claims and renews it before it expires', async () => {
    const client = new HmsClient({ apiUrl: server.apiUrl, accessKey: ACCESS_KEY, appSecret: APP_SECRET, managementTokenTtlSeconds: 600, renewBeforeSeconds: 60 });
    const now = Date.now();
    const token = await client.managementToken(now);
    const { payload, protectedHeader } = await jose.jwtVerify(token, new TextEncoder().encode(APP_SECRET));
    assert.equal(protectedHeader.alg, 'HS256');
    assert.equal(payload.access_key, ACCESS_KEY);
    assert.equal(payload.type, 'management');
    assert.equal(payload.version, 2);
    assert.equal(payload.exp! - payload.iat!, 600);
    assert.equal(payload.nbf, payload.iat);
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
    assert.equal(await client.managementToken(now + 500_000), token, 'kept while more than 60 s are left');
    const renewed = await client.managementToken(now + 541_000);
    assert.notEqual(renewed, token, 'renewed with less than 60 s left');
    assert.throws(() => new HmsClient({ apiUrl: server.apiUrl, accessKey: ACCESS_KEY, appSecret: APP_SECRET, managementTokenTtlSeconds: 60, renewBeforeSeconds: 60 }), /renewBeforeSeconds/);
  });

  it('gives the owner the host role and guests the guest role, in app tokens 100ms lets join that room only', async () => {
    const { platformRoomName: roomId } = await platform.createRoom({ name: 'tokens-1', expiresAt: EXPIRES, recordingsBucket: { bucketName: 'unused', bucketRegion: 'us-east-1' } });
    const ownerToken = await platform.createJoinToken({ roomName: roomId, userName: 'Owner', userId: 'owner-1', isOwner: true, expiresAt: EXPIRES });
    const guestToken = await platform.createJoinToken({ roomName: roomId, userName: 'Guest', isOwner: false, expiresAt: EXPIRES });
    const claims = jose.decodeJwt(ownerToken);
    assert.deepEqual([claims.access_key, claims.room_id, claims.user_id, claims.role, claims.type, claims.version], [ACCESS_KEY, roomId, 'owner-1', 'host', 'app', 2]);
    assert.ok(claims.jti && claims.nbf && claims.iat && Math.abs(claims.exp! - EXPIRES.getTime() / 1000) < 5);
    const guestClaims = jose.decodeJwt(guestToken);
    assert.equal(guestClaims.role, 'guest');
    assert.match(String(guestClaims.user_id), /^guest-/);
    const owner = await server.join(roomId, { token: ownerToken });
    assert.equal(owner.role, 'host');
    const joined = await eventOf(roomId, 'participant.joined', (e) => e.sessionId === owner.peerId);
    assert.equal(joined.isOwner, true);
    assert.equal(joined.userId, 'owner-1');
    await assert.rejects(server.join('another-room', { token: guestToken }), /not another-room/);
    // A management token is not an app token: 100ms's REST API refuses an app token.
    const refused = await fetch(`${server.apiUrl}/recordings`, { headers: { authorization: `Bearer ${ownerToken}` } });
    assert.equal(refused.status, 403);
    await server.leave(owner.peerId);
  });
});

describe('HmsPlatform: rooms and the composite', () => {
  it('creates a room per meeting by name, and deleting it disables it (a missing room is no error)', async () => {
    const bucket = { bucketName: 'unused', bucketRegion: 'us-east-1' };
    const created = await platform.createRoom({ name: 'room-20260504090000', expiresAt: EXPIRES, recordingsBucket: bucket });
    assert.match(created.platformRoomName, /^[0-9a-f]{24}$/);
    assert.equal((await platform.createRoom({ name: 'room-20260504090000', expiresAt: EXPIRES, recordingsBucket: bucket })).platformRoomName, created.platformRoomName);
    await platform.deleteRoom(created.platformRoomName);
    assert.equal((await platform.client.getRoom(created.platformRoomName)).enabled, false);
    await assert.rejects(server.join(created.platformRoomName, { name: 'Late' }), /disabled/);
    await platform.deleteRoom('000000000000000000000000');
  });

  it('starts the composite once a call runs (409 is already-active), stops it, and hands over the file 100ms keeps', async () => {
    const { platformRoomName: roomId } = await platform.createRoom({ name: 'composite-1', expiresAt: EXPIRES, recordingsBucket: { bucketName: 'unused', bucketRegion: 'us-east-1' } });
    const control = { type: 'cloud' as const, instanceId: 'composite' };
    await assert.rejects(platform.startRecording(roomId, control), CallNotHostedError);
    await assert.rejects(platform.startRecording('000000000000000000000000', control), (e: unknown) => e instanceof HmsApiError && e.status === 404 && !e.retryable);
    assert.equal(await platform.hasOngoingMeeting(roomId), false);
    assert.equal(await platform.stopRecording(roomId, control), 'not-active');

    const openedAt = (await server.clock()).nowMs;
    const host = await server.join(roomId, { token: await platform.createJoinToken({ roomName: roomId, userName: 'Host', userId: 'host-1', isOwner: true, expiresAt: EXPIRES }) });
    const guest = await server.join(roomId, { name: 'Guest', userId: 'guest-1' });
    assert.equal(await platform.hasOngoingMeeting(roomId), true);
    const meeting = await eventOf(roomId, 'meeting.started');
    assert.equal(meeting.platformMeetingId, host.sessionId);
    assert.equal(meeting.startedAt.getTime(), Math.floor(openedAt), 'on the meeting timeline, not the wall clock');
    assert.equal(await platform.startRecording(roomId, control), 'started');
    assert.equal(await platform.startRecording(roomId, control), 'already-active');
    await server.advance(1_000);
    const started = await eventOf(roomId, 'recording.started');
    assert.equal(started.recordingType, 'cloud');
    const said = await server.say(host.peerId, { text: 'Let us begin the review.' });
    await server.advance(said.durationMs + 1_000);
    assert.equal(await platform.stopRecording(roomId, control), 'stopped');
    assert.equal(await platform.stopRecording(roomId, control), 'not-active');

    const ready = await eventOf(roomId, 'recording.ready');
    assert.equal(ready.recordingId, started.recordingId, 'started and ready name the same recording');
    assert.equal(ready.recordingType, 'cloud');
    assert.equal(ready.tracks, null);
    assert.match(ready.objectKey, /^beam\/.+\.mp4$/);
    assert.equal(ready.durationSeconds, Math.round((said.durationMs + 1_000) / 1000));
    assert.ok(ready.download && ready.download.expiresAt.getTime() - Date.now() > 23 * 3_600_000, 'a link that lasts 24 h');
    const file = await fetch(ready.download.url);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'video/mp4');
    await file.arrayBuffer();

    const recording = await platform.getRecording(ready.recordingId);
    assert.equal(recording?.status, 'finished');
    assert.equal(recording?.objectKey, ready.objectKey);
    assert.equal(recording?.meetingSessionId, host.sessionId);
    assert.equal(await platform.getRecording('000000000000000000000000'), null);
    const listed = await platform.listRecordings({ roomName: roomId });
    assert.deepEqual(listed.recordings.map((r) => r.id), [ready.recordingId]);
    assert.equal(listed.hasMore, false);

    await server.advance(2_000);
    await server.leave(guest.peerId);
    await server.leave(host.peerId);
    const left = await eventOf(roomId, 'participant.left', (e) => e.sessionId === host.peerId);
    assert.equal(left.isOwner, true);
    assert.equal(left.durationSeconds, Math.round((1_000 + said.durationMs + 1_000 + 2_000) / 1000));
    const ended = await eventOf(roomId, 'meeting.ended');
    assert.equal(ended.platformMeetingId, host.sessionId);
    const participants = await platform.getMeetingParticipants(host.sessionId);
    assert.deepEqual(participants.map((p) => [p.sessionId, p.userId]).sort(), [[guest.peerId, 'guest-1'], [host.peerId, 'host-1']].sort());
    assert.ok(participants.every((p) => p.durationSeconds === left.durationSeconds));
  });

  it('gives a fresh link to a recording file once the one its webhook carried has expired', async () => {
    const { platformRoomName: roomId } = await platform.createRoom({ name: 'fresh-link-1', expiresAt: EXPIRES, recordingsBucket: { bucketName: 'unused', bucketRegion: 'us-east-1' } });
    const host = await server.join(roomId, { name: 'Host', userId: 'host-2', role: 'host' });
    const control = { type: 'cloud' as const, instanceId: 'composite' };
    assert.equal(await platform.startRecording(roomId, control), 'started');
    await server.advance(1_000);
    const said = await server.say(host.peerId, { text: 'A short one.' });
    await server.advance(said.durationMs + 500);
    await server.setPresignedUrlTtl(1);
    try {
      assert.equal(await platform.stopRecording(roomId, control), 'stopped');
      const ready = await eventOf(roomId, 'recording.ready');
      await sleep(2_100);
      assert.equal((await fetch(ready.download!.url)).status, 403, "the webhook's link has expired");
    } finally {
      await server.setPresignedUrlTtl(86_400);
    }
    const ready = await eventOf(roomId, 'recording.ready');
    const link = await platform.recordingFileLink({ platformRoomName: roomId, recordingId: ready.recordingId, key: ready.objectKey });
    assert.ok(link && link.expiresAt.getTime() - Date.now() > 23 * 3_600_000, JSON.stringify(link));
    const file = await fetch(link.url);
    assert.equal(file.status, 200);
    assert.equal((await file.arrayBuffer()).byteLength, link.size);
    assert.equal(await platform.recordingFileLink({ platformRoomName: roomId, recordingId: ready.recordingId, key: 'beam/not-a-file.mp4' }), null);
    await server.leave(host.peerId);
  });

  it('pages recordings newest first with 100ms’s cursor', async () => {
    const { platformRoomName: roomId } = await platform.createRoom({ name: 'paged-1', expiresAt: EXPIRES, recordingsBucket: { bucketName: 'unused', bucketRegion: 'us-east-1' } });
    const peer = await server.join(roomId, { name: 'Solo' });
    const control = { type: 'cloud' as const, instanceId: 'composite' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await platform.startRecording(roomId, control);
      await server.advance(1_000);
      ids.push((await eventOf(roomId, 'recording.started', (e) => !ids.includes(e.recordingId))).recordingId);
      await server.advance(1_000);
      await platform.stopRecording(roomId, control);
    }
    const first = await platform.listRecordings({ roomName: roomId, limit: 2 });
    assert.deepEqual(first.recordings.map((r) => r.id), [ids[2], ids[1]]);
    assert.equal(first.hasMore, true);
    const second = await platform.listRecordings({ roomName: roomId, limit: 2, startingAfter: first.nextCursor! });
    assert.deepEqual(second.recordings.map((r) => r.id), [ids[0]]);
    assert.equal(second.hasMore, false);
    await server.leave(peer.peerId);
  });

  it('says a 5xx answer may be retried and a refusal may not', async () => {
    const { platformRoomName: roomId } = await platform.createRoom({ name: 'unavailable-1', expiresAt: EXPIRES, recordingsBucket: { bucketName: 'unused', bucketRegion: 'us-east-1' } });
    const peer = await server.join(roomId, { name: 'Solo' });
    await server.setFaults({ api: [{ routes: ['POST /recordings/room/:id/start'], status: 503, count: 1 }] });
    await assert.rejects(platform.startRecording(roomId, { type: 'cloud', instanceId: 'composite' }), (e: unknown) => e instanceof HmsApiError && e.status === 503 && e.retryable);
    assert.equal(await platform.startRecording(roomId, { type: 'cloud', instanceId: 'composite' }), 'started');
    const forged = new HmsPlatform(options({ appSecret: 'not-the-secret' }));
    await assert.rejects(forged.listRecordings(), (e: unknown) => e instanceof HmsApiError && e.status === 401 && !e.retryable && /invalid token/.test(e.info));
    await server.setFaults({});
    await server.leave(peer.peerId);
  });

  it('reports a failed composite as recording.error', async () => {
    const { platformRoomName: roomId } = await platform.createRoom({ name: 'failing-1', expiresAt: EXPIRES, recordingsBucket: { bucketName: 'unused', bucketRegion: 'us-east-1' } });
    const peer = await server.join(roomId, { name: 'Solo' });
    await platform.startRecording(roomId, { type: 'cloud', instanceId: 'composite' });
    await server.advance(1_000);
    const started = await eventOf(roomId, 'recording.started');
    await server.failRecording(started.recordingId, 'encoder crashed');
    const error = await eventOf(roomId, 'recording.error');
    assert.equal(error.instanceId, started.recordingId);
    assert.equal(error.message, 'INTERNAL_ERROR: encoder crashed');
    assert.equal((await platform.getRecording(started.recordingId))?.status, 'canceled');
    await server.leave(peer.peerId);
  });
});

describe('HmsPlatform: per-track recordings', () => {
  it('is per-track only where the template records tracks', () => {
    assert.deepEqual(platform.recordingCapabilities, { composite: true, perSpeakerAudio: 'none' });
    assert.equal(platform.trackRecorder, undefined);
    assert.deepEqual(perTrack.recordingCapabilities, { composite: true, perSpeakerAudio: 'per-track' });
    assert.ok(perTrack.trackRecorder);
    const built = createPlatform('100ms', options());
    assert.equal(built.name, '100ms');
    assert.throws(() => new HmsPlatform(options({ webhookHeaders: {} })), /secret webhook header/);
  });

  it('hears each speaker on their own track, named by their peer, the file 100ms keeps described by its key', async () => {
    const { platformRoomName: roomId } = await perTrack.createRoom({ name: 'tracks-1', expiresAt: EXPIRES, recordingsBucket: { bucketName: 'unused', bucketRegion: 'us-east-1' } });
    const ana = await server.join(roomId, { name: 'Ana', userId: 'ana' });
    const bo = await server.join(roomId, { name: 'Bo', userId: 'bo' });
    const tracks = await perTrack.trackRecorder!.publishedAudioTracks(roomId);
    assert.deepEqual(tracks.map((t) => t.sessionId).sort(), [ana.peerId, bo.peerId].sort());
    const published = await eventOf(roomId, 'speaker-track.published', (e) => e.sessionId === bo.peerId);
    const { recordingId } = await perTrack.trackRecorder!.startTrackRecording(roomId, { trackId: published.trackId, sessionId: published.sessionId });
    const said = await server.say(bo.peerId, { text: 'Bo on his own track.' });
    await server.advance(said.durationMs + 1_000);
    await server.leave(bo.peerId);
    assert.equal(await perTrack.trackRecorder!.stopTrackRecording(recordingId), 'not-active', 'the template stops it with the peer');
    const ready = await eventOf(roomId, 'recording.ready', (e) => e.recordingId === recordingId);
    assert.equal(ready.recordingType, 'raw-tracks');
    assert.equal(ready.tracks?.length, 1);
    assert.equal(ready.tracks![0]!.sessionId, bo.peerId);
    assert.equal(ready.tracks![0]!.key, ready.objectKey);
    assert.ok(ready.tracks![0]!.size > 0);
    const facts = perTrack.describeTrack(ready.objectKey);
    assert.deepEqual(facts && { sessionId: facts.sessionId, speakerAudio: facts.speakerAudio, equal: facts.recordingStartMs === facts.trackStartMs }, { sessionId: bo.peerId, speakerAudio: true, equal: true });
    assert.ok(Math.abs(facts!.trackStartMs - ready.startedAt.getTime()) <= 1, 'the key says when the track began');
    assert.equal(perTrack.describeTrack('beam/room/20260504/Rec-room-1.mp4'), null);
    assert.equal((await fetch(ready.download!.url)).status, 200);
    await server.leave(ana.peerId);
  });
});

describe('HmsPlatform: webhooks', () => {
  const sample = () => deliveries.find((d) => d.verification.ok && d.parsed?.kind === 'event')!;

  it('accepts every webhook the simulator sends (with the secret header) and parses it', () => {
    assert.ok(deliveries.length > 10);
    assert.deepEqual(deliveries.filter((d) => !d.verification.ok).map((d) => d.verification), []);
    const ignored = deliveries.filter((d) => d.parsed?.kind === 'ignored').map((d) => (d.parsed as { type: string }).type);
    assert.ok(ignored.every((type) => !['peer.join.success', 'beam.recording.success', 'track.recording.success'].includes(type)), `ignored: ${ignored.join(', ')}`);
  });

  it('refuses a missing or wrong secret header, a foreign content type and a timestamp outside the window', () => {
    const { rawBody, headers } = sample();
    const now = new Date();
    const verify = (h: Record<string, string | string[] | undefined>, at = now, body = rawBody) => platform.verifyWebhook({ rawBody: body, headers: h, now: at });
    const { 'x-hms-webhook-secret': secret, ...withoutSecret } = headers;
    assert.ok(secret);
    assert.deepEqual(verify(withoutSecret), { ok: false, reason: 'missing_signature', detail: 'missing-secret-header: no x-hms-webhook-secret header' });
    assert.equal((verify({ ...headers, 'x-hms-webhook-secret': `${String(secret)}x` }) as { reason: string }).reason, 'bad_signature');
    assert.equal((verify({ ...withoutSecret, 'X-HMS-Webhook-Secret': String(secret) }) as { ok: boolean }).ok, true, 'header names are case-insensitive');
    assert.equal((verify({ ...headers, 'content-type': 'text/plain' }) as { reason: string }).reason, 'unexpected_content_type');
    assert.equal((verify(headers, new Date(now.getTime() + 10 * 60_000)) as { reason: string }).reason, 'stale_timestamp');
    assert.equal((verify(headers, new Date(now.getTime() - 10 * 60_000)) as { reason: string }).reason, 'stale_timestamp');
    assert.equal((verify(headers, now, Buffer.from('{"not":"an envelope"}')) as { reason: string }).reason, 'bad_signature');
    // A replay of an event inside the window passes here, and parses to the same event id: the webhook table's
    // unique id makes it a duplicate, answered 200 so that 100ms stops retrying.
    assert.deepEqual(verify(headers), { ok: true });
    const again = platform.parseWebhook(rawBody);
    assert.equal(again.kind === 'event' && again.event.eventId, (sample().parsed as { event: PlatformEvent }).event.eventId);
  });

  it('refuses a body that is not a 2.0 envelope, or a known event that lacks what it needs, as WebhookPayloadError', () => {
    assert.throws(() => platform.parseWebhook(Buffer.from('not json')), WebhookPayloadError);
    const envelope = { version: '2.0', id: 'e1', app_id: 'a', account_id: 'b', template_id: 't', timestamp: new Date().toISOString(), type: 'peer.join.success', data: { room_id: 'r' } };
    assert.throws(() => platform.parseWebhook(Buffer.from(JSON.stringify(envelope))), (e: unknown) => e instanceof WebhookPayloadError && e.eventType === 'peer.join.success' && /peer_id/.test(e.message));
    assert.deepEqual(platform.parseWebhook(Buffer.from(JSON.stringify({ ...envelope, type: 'hls.started.success' }))), { kind: 'ignored', type: 'hls.started.success' });
  });
});
