import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AccessToken,
  DirectFileOutput,
  EgressClient,
  EgressStatus,
  EncodedFileOutput,
  EncodedFileType,
  ParticipantInfo_State,
  RoomServiceClient,
  S3Upload,
  TrackSource,
  TrackType,
  TwirpError,
  WebhookConfig,
  WebhookReceiver,
} from 'livekit-server-sdk';
import type { EgressInfo, WebhookEvent } from 'livekit-server-sdk';
// The one enum the SDK does not re-export; the same protocol package its messages come from.
import { DisconnectReason } from '@livekit/protocol';
import { loadScenario } from '../platforms/daily/simulator/scenario.ts';
import { connectLiveKitSimulator, runLiveKitScenario, startLiveKitSimulator } from '../platforms/livekit/simulator/index.ts';
import type { JoinedParticipant, LiveKitSimulator, LiveKitSimulatorControl } from '../platforms/livekit/simulator/index.ts';
import type { S3Storage } from '../storage/s3.ts';
import { waitForValue } from './support/poll.ts';
import { freshBucket, s3ServerFromEnv } from './support/s3-server.ts';
import type { S3TestServer } from './support/s3-server.ts';
import { downloadObject, probeMedia, speechStarts } from './support/media-files.ts';

// The LiveKit simulator's fidelity, judged by LiveKit's own server SDK: its RoomServiceClient and
// EgressClient drive it over Twirp, its AccessToken mints the refused tokens, its WebhookReceiver verifies
// every webhook; egress files land in a real S3-compatible server and are checked with ffprobe/ffmpeg.

const API_KEY = 'APIsimKey';
const API_SECRET = randomBytes(24).toString('base64url');

interface Received {
  path: string;
  body: string;
  authorization: string | undefined;
  contentType: string | undefined;
  event: WebhookEvent;
}

let server: LiveKitSimulator;
/** Participants, time and faults through the simulator's HTTP control API, as a demo in another process would. */
let sim: LiveKitSimulatorControl & { url: string };
let s3: S3TestServer;
let bucket: S3Storage;
let dir: string;
let hook: Server;
let hookUrl: string;
const received: Received[] = [];
/** Answers for the next webhook attempts whose event matches, e.g. 503 twice. */
const scriptedAnswers: Array<{ event: string; status: number; retryAfter?: string }> = [];
const receiver = new WebhookReceiver(API_KEY, API_SECRET);
let rooms: RoomServiceClient;
let egress: EgressClient;

function s3Upload(): S3Upload {
  return new S3Upload({
    bucket: bucket.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    accessKey: s3.accessKeyId,
    secret: s3.secretAccessKey,
    forcePathStyle: true,
  });
}

async function tokenWith(grant: Parameters<AccessToken['addGrant']>[0]): Promise<string> {
  const token = new AccessToken(API_KEY, API_SECRET, { ttl: '5m' });
  token.addGrant(grant);
  return token.toJwt();
}

async function refusal(call: Promise<unknown>): Promise<TwirpError> {
  const error = await call.then(
    () => assert.fail('the call should have been refused'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TwirpError, `expected a TwirpError, got ${String(error)}`);
  return error;
}

function eventsOf(type: string, roomName?: string): WebhookEvent[] {
  return received.map((r) => r.event).filter((e) => e.event === type && (roomName === undefined || e.room?.name === roomName));
}

const download = (key: string) => downloadObject(bucket, key, dir);
const probe = probeMedia;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'livekit-sim-test-'));
  s3 = await s3ServerFromEnv();
  bucket = await freshBucket(s3, 'livekit');
  hook = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    let event: WebhookEvent;
    try {
      event = await receiver.receive(body, req.headers.authorization);
    } catch {
      res.writeHead(401).end();
      return;
    }
    const scripted = scriptedAnswers.findIndex((answer) => answer.event === event.event);
    if (scripted >= 0) {
      const [answer] = scriptedAnswers.splice(scripted, 1);
      res.writeHead(answer!.status, answer!.retryAfter ? { 'retry-after': answer!.retryAfter } : {}).end();
      return;
    }
    received.push({ path: req.url ?? '', body, authorization: req.headers.authorization, contentType: req.headers['content-type'], event });
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/livekit`;
  server = await startLiveKitSimulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    webhookUrls: [hookUrl],
    webhookSpaceAfterComma: true,
    webhookRetry: { retryWaitMinMs: 20, retryWaitMaxMs: 100 },
    clock: { mode: 'virtual', startAt: new Date('2026-05-04T09:00:00.000Z') },
    departureTimeoutSeconds: 20,
    defaultStorage: bucket,
    log: () => {},
  });
  sim = Object.assign(connectLiveKitSimulator(server.controlUrl), { url: server.url });
  rooms = new RoomServiceClient(sim.url, API_KEY, API_SECRET);
  egress = new EgressClient(sim.url, API_KEY, API_SECRET);
});

after(async () => {
  await server?.stop();
  await new Promise((resolve) => hook?.close(resolve));
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('LiveKit simulator: server API tokens', () => {
  it('refuses a token without the grant a method needs, as LiveKit does (401 unauthenticated "permissions denied")', async () => {
    const listOnly = new RoomServiceClient(sim.url, undefined, undefined, { token: await tokenWith({ roomList: true }) });
    const error = await refusal(listOnly.createRoom({ name: 'refused' }));
    assert.equal(error.status, 401);
    assert.equal(error.code, 'unauthenticated');
    assert.equal(error.message, 'permissions denied');
    assert.deepEqual(await listOnly.listRooms(), []);

    const adminElsewhere = new RoomServiceClient(sim.url, undefined, undefined, { token: await tokenWith({ roomAdmin: true, room: 'other' }) });
    assert.equal((await refusal(adminElsewhere.listParticipants('refused'))).code, 'unauthenticated');

    const noRecord = new EgressClient(sim.url, undefined, undefined, { token: await tokenWith({ roomCreate: true, roomAdmin: true }) });
    assert.equal((await refusal(noRecord.listEgress())).code, 'unauthenticated');
  });

  it('refuses a token signed with another secret or expired before Twirp, as plain 401 text', async () => {
    const forged = new RoomServiceClient(sim.url, API_KEY, 'not-the-secret');
    const error = await refusal(forged.listRooms());
    assert.equal(error.status, 401);
    assert.equal(error.code, undefined);
    assert.match(error.message, /^invalid authorization token: token signature is invalid/);

    const otherKey = new RoomServiceClient(sim.url, 'APIunknown', API_SECRET);
    assert.equal((await refusal(otherKey.listRooms())).message, 'invalid API key');

    const expired = new AccessToken(API_KEY, API_SECRET, { ttl: -120 });
    expired.addGrant({ roomList: true });
    const late = new RoomServiceClient(sim.url, undefined, undefined, { token: await expired.toJwt() });
    assert.match((await refusal(late.listRooms())).message, /token is expired/);
    assert.equal((await sim.state()).rooms.length, 0, 'no refused call created anything');
  });
});

describe('LiveKit simulator: a recorded meeting', () => {
  const ROOM = 'weekly-sync';
  let composite: EgressInfo;
  const trackEgress = new Map<string, EgressInfo>();
  let alice: JoinedParticipant;
  let bob: JoinedParticipant;
  let bobAgain: JoinedParticipant;

  const startTrackEgress = (trackSid: string) =>
    egress.startTrackEgress(ROOM, new DirectFileOutput({ filepath: 'tracks/{room_name}/{publisher_identity}-{track_id}', output: { case: 's3', value: s3Upload() } }), trackSid);

  it('creates rooms, lists and reports participants with their microphones', async () => {
    const room = await rooms.createRoom({ name: ROOM, emptyTimeout: 60 });
    assert.match(room.sid, /^RM_[A-Za-z0-9]{12}$/);
    assert.equal(room.emptyTimeout, 60);
    assert.equal(room.departureTimeout, 20);
    assert.equal(room.creationTime, BigInt(Date.parse('2026-05-04T09:00:00.000Z') / 1000));
    assert.equal((await rooms.createRoom({ name: ROOM })).sid, room.sid, 'create is idempotent');
    assert.deepEqual((await rooms.listRooms()).map((r) => r.name), [ROOM]);

    alice = await sim.join(ROOM, { identity: 'alice', name: 'Alice Archer' });
    bob = await sim.join(ROOM, { identity: 'bob', name: 'Bob Baker' });
    const participants = await rooms.listParticipants(ROOM);
    assert.deepEqual(participants.map((p) => [p.identity, p.name, p.state]), [
      ['alice', 'Alice Archer', ParticipantInfo_State.ACTIVE],
      ['bob', 'Bob Baker', ParticipantInfo_State.ACTIVE],
    ]);
    const mic = (await rooms.getParticipant(ROOM, 'alice')).tracks[0]!;
    assert.equal(mic.sid, alice.trackSid);
    assert.match(mic.sid, /^TR_/);
    assert.equal(mic.type, TrackType.AUDIO);
    assert.equal(mic.source, TrackSource.MICROPHONE);
    assert.equal(mic.mimeType, 'audio/opus');
    assert.equal((await refusal(rooms.getParticipant(ROOM, 'carol'))).code, 'not_found');
    assert.equal((await rooms.listRooms([ROOM]))[0]!.numParticipants, 2);
  });

  it('starts a room composite and a track egress per microphone to S3 (STARTING, then egress_started and ACTIVE)', async () => {
    composite = await egress.startRoomCompositeEgress(
      ROOM,
      new EncodedFileOutput({ fileType: EncodedFileType.MP4, filepath: 'composite/{room_name}-{time}', output: { case: 's3', value: s3Upload() } }),
      { audioOnly: false },
    );
    assert.match(composite.egressId, /^EG_/);
    assert.equal(composite.status, EgressStatus.EGRESS_STARTING);
    assert.equal(composite.roomName, ROOM);
    const echoed = composite.request.case === 'roomComposite' ? composite.request.value.fileOutputs[0]!.output.value : undefined;
    assert.equal((echoed as S3Upload).secret, '{secret}', 'credentials are redacted in the echo');
    for (const participant of [alice, bob]) trackEgress.set(participant.trackSid!, await startTrackEgress(participant.trackSid!));
    const active = await egress.listEgress({ roomName: ROOM, active: true });
    assert.equal(active.length, 3);
    assert.ok(active.every((e) => e.status === EgressStatus.EGRESS_ACTIVE && e.startedAt === BigInt(Date.parse('2026-05-04T09:00:00.000Z')) * 1_000_000n));
    await waitForValue('egress webhooks', () => eventsOf('egress_updated', ROOM).length >= 3);
    assert.deepEqual(eventsOf('egress_started', ROOM).map((e) => e.egressInfo!.status), [0, 0, 0].map(() => EgressStatus.EGRESS_STARTING));
    assert.equal((await rooms.listRooms([ROOM]))[0]!.activeRecording, true);
    assert.equal((await refusal(egress.startTrackEgress('no-such-room', new DirectFileOutput({ filepath: 'x', output: { case: 's3', value: s3Upload() } }), 'TR_x'))).code, 'not_found');
  });

  it('records speech, a reconnection (same identity, new participant) and unpublishing; the files are real media', async () => {
    await sim.say(alice.participantSid, { text: 'Good morning, this is Alice with the weekly numbers.' });
    await sim.advance(4_000);
    await sim.say(bob.participantSid, { text: 'Thanks Alice, Bob here.' });
    await sim.advance(3_000);
    bobAgain = await sim.reconnect(bob.participantSid);
    assert.equal(bobAgain.identity, 'bob');
    assert.notEqual(bobAgain.participantSid, bob.participantSid);
    assert.notEqual(bobAgain.trackSid, bob.trackSid);
    trackEgress.set(bobAgain.trackSid!, await startTrackEgress(bobAgain.trackSid!));
    await sim.advance(500);
    await sim.say(bobAgain.participantSid, { text: 'Sorry, I dropped out for a second.' });
    await sim.advance(3_500);
    await sim.unpublish(alice.trackSid!);
    const stopped = await egress.stopEgress(composite.egressId);
    assert.equal(stopped.status, EgressStatus.EGRESS_ENDING);
    assert.equal((await refusal(egress.stopEgress(composite.egressId))).code, 'failed_precondition');
    await sim.whenIdle();

    const ended = await egress.listEgress({ roomName: ROOM });
    const byId = new Map(ended.map((e) => [e.egressId, e]));
    assert.equal(byId.get(composite.egressId)!.status, EgressStatus.EGRESS_COMPLETE);
    // Bob's first track went away with his connection, Alice's when she unpublished; Bob's second still runs.
    assert.equal(byId.get(trackEgress.get(alice.trackSid!)!.egressId)!.status, EgressStatus.EGRESS_COMPLETE);
    assert.equal(byId.get(trackEgress.get(bob.trackSid!)!.egressId)!.status, EgressStatus.EGRESS_COMPLETE);
    assert.equal(byId.get(trackEgress.get(bobAgain.trackSid!)!.egressId)!.status, EgressStatus.EGRESS_ACTIVE);

    const file = byId.get(composite.egressId)!.fileResults[0]!;
    assert.equal(file.filename, `composite/${ROOM}-2026-05-04T090000.mp4`);
    assert.equal(file.location, `${s3.endpoint}/${bucket.bucket}/${file.filename}`);
    assert.equal(file.duration, 11_000n * 1_000_000n);
    assert.equal(file.endedAt - file.startedAt, file.duration);
    assert.equal(Number(file.size), (await bucket.head(file.filename))!.size);
    const mp4 = await probe(await download(file.filename));
    assert.match(mp4.format.format_name, /mp4/);
    assert.deepEqual(mp4.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:aac', 'video:h264']);
    assert.ok(Math.abs(Number(mp4.format.duration) - 11) < 0.2, `composite lasts ${mp4.format.duration} s`);
    const voices = await speechStarts(await download(file.filename));
    assert.ok(voices.some((t) => t > 3.5 && t < 4.6), `Bob is heard in the mix at 4 s: ${voices.join(', ')}`);

    const aliceFile = byId.get(trackEgress.get(alice.trackSid!)!.egressId)!.fileResults[0]!;
    assert.equal(aliceFile.filename, `tracks/${ROOM}/alice-${alice.trackSid}.ogg`);
    const ogg = await probe(await download(aliceFile.filename));
    assert.deepEqual([ogg.format.format_name, ogg.streams.map((s) => s.codec_name)], ['ogg', ['opus']]);
    assert.ok(Math.abs(Number(ogg.format.duration) - 11) < 0.2);
    const aliceSpeech = await speechStarts(await download(aliceFile.filename));
    assert.ok(aliceSpeech.every((t) => t < 4 || t > 10.5), `only Alice speaks on her track: ${aliceSpeech.join(', ')}`);
    const bobFirst = byId.get(trackEgress.get(bob.trackSid!)!.egressId)!.fileResults[0]!;
    assert.equal(bobFirst.duration, 7_000n * 1_000_000n, "Bob's first track ends as he drops");

    const endedHooks = await waitForValue('egress_ended webhooks', () => eventsOf('egress_ended', ROOM).length >= 3 && eventsOf('egress_ended', ROOM));
    assert.ok(endedHooks.every((e) => e.egressInfo!.status === EgressStatus.EGRESS_COMPLETE && e.egressInfo!.fileResults.length === 1));
    assert.deepEqual(
      eventsOf('participant_left', ROOM).map((e) => [e.participant!.identity, e.participant!.sid, e.participant!.disconnectReason]),
      [['bob', bob.participantSid, DisconnectReason.DUPLICATE_IDENTITY]],
    );
    assert.equal(eventsOf('track_unpublished', ROOM).length, 2);
  });

  it('finishes the room after the departure timeout once everyone left; its egresses end with it', async () => {
    await sim.leave(alice.participantSid);
    await rooms.removeParticipant(ROOM, 'bob');
    await sim.advance(19_000);
    assert.equal((await rooms.listRooms()).length, 1, 'still within the departure timeout');
    await sim.advance(1_000);
    assert.deepEqual(await rooms.listRooms(), []);
    await sim.whenIdle();
    const last = (await egress.listEgress({ egressId: trackEgress.get(bobAgain.trackSid!)!.egressId }))[0]!;
    assert.equal(last.status, EgressStatus.EGRESS_COMPLETE);
    await waitForValue('room_finished', () => eventsOf('room_finished', ROOM).length === 1);
    const order = received.filter((r) => r.event.room?.name === ROOM && !r.event.event.startsWith('egress_')).map((r) => r.event.event);
    assert.equal(order[0], 'room_started');
    assert.equal(order.at(-1), 'room_finished');
  });
});

describe('LiveKit simulator: webhooks as LiveKit sends them', () => {
  it('signs every event with a raw JWT whose sha256 claim covers the protojson body', async () => {
    assert.ok(received.length > 10);
    for (const delivery of received) {
      assert.equal(delivery.contentType, 'application/webhook+json');
      assert.ok(delivery.authorization && !delivery.authorization.startsWith('Bearer'), 'the raw JWT, no Bearer');
    }
    const sample = received.find((r) => r.event.event === 'egress_ended')!;
    const json = JSON.parse(sample.body) as Record<string, unknown> & { egressInfo: Record<string, unknown> };
    assert.match(String(json.id), /^EV_/);
    assert.match(String(json.createdAt), /^\d+$/, 'int64 as a string');
    assert.equal(json.egressInfo.status, 'EGRESS_COMPLETE', 'enums by name');
    assert.match(String(json.egressInfo.startedAt), /^\d{19}$/, 'nanoseconds');
    assert.ok('fileResults' in json.egressInfo && !('file_results' in json.egressInfo), 'lowerCamelCase');
    assert.ok(!('error' in json.egressInfo), 'zero values left out');
    assert.ok(sample.body.includes('", "') && sample.body !== JSON.stringify(json), 'spaced as some Go builds write it: only the received bytes hash right');
    await assert.rejects(receiver.receive(sample.body.replace('EGRESS_COMPLETE', 'EGRESS_FAILED'), sample.authorization), /sha256 checksum/);
    await assert.rejects(new WebhookReceiver(API_KEY, 'other-secret').receive(sample.body, sample.authorization));
  });

  it('retries a 5xx or an unreachable receiver with backoff, and gives up on a 4xx at once', async () => {
    scriptedAnswers.push({ event: 'room_started', status: 503 }, { event: 'room_started', status: 503 });
    await rooms.createRoom({ name: 'retried' });
    await sim.whenIdle();
    const attempts = (await sim.webhookDeliveries()).filter((d) => d.body.includes('"retried"') && d.event === 'room_started');
    assert.deepEqual(attempts.map((d) => [d.attempt, d.outcome, d.status]), [[1, 'failed', 503], [2, 'failed', 503], [3, 'delivered', 200]]);
    assert.ok(Date.parse(attempts[2]!.at) - Date.parse(attempts[0]!.at) >= 55, 'waits 20 ms, then 40 ms');

    scriptedAnswers.push({ event: 'room_finished', status: 400 });
    await rooms.deleteRoom('retried');
    await sim.whenIdle();
    const refused = (await sim.webhookDeliveries()).filter((d) => d.body.includes('"retried"') && d.event === 'room_finished');
    assert.deepEqual(refused.map((d) => [d.attempt, d.outcome, d.status]), [[1, 'rejected', 400]]);

    scriptedAnswers.push({ event: 'room_started', status: 429, retryAfter: '1' });
    await rooms.createRoom({ name: 'told-to-wait' });
    await sim.whenIdle();
    const waited = (await sim.webhookDeliveries()).filter((d) => d.body.includes('"told-to-wait"'));
    assert.deepEqual(waited.map((d) => d.outcome), ['failed', 'delivered']);
    assert.ok(Date.parse(waited[1]!.at) - Date.parse(waited[0]!.at) >= 990, 'Retry-After: 1 is honoured');

    await sim.setWebhookUrls(['http://127.0.0.1:9/unreachable']);
    await rooms.createRoom({ name: 'unreachable' });
    await sim.whenIdle();
    await sim.setWebhookUrls([hookUrl]);
    const unreachable = (await sim.webhookDeliveries()).filter((d) => d.url.endsWith('/unreachable'));
    assert.deepEqual(unreachable.map((d) => d.attempt), [1, 2, 3, 4, 5], 'go-retryablehttp: four retries');
    assert.ok(unreachable.every((d) => d.outcome === 'failed' && d.error));
    await rooms.deleteRoom('unreachable');
  });
});

describe('LiveKit simulator: egress faults', () => {
  const ROOM = 'faulty';
  let speaker: JoinedParticipant;

  before(async () => {
    await rooms.createRoom({ name: ROOM });
    speaker = await sim.join(ROOM, { identity: 'dana' });
    await sim.say(speaker.participantSid, { text: 'Testing one two.' });
  });

  it('fails an egress: egress_ended with EGRESS_FAILED and its error, no file', async () => {
    await sim.setFaults({ egress: [{ action: 'fail', kinds: ['track'], error: 'simulated pipeline crash', count: 1 }] });
    const started = await egress.startTrackEgress(ROOM, new DirectFileOutput({ filepath: 'faults/{track_id}', output: { case: 's3', value: s3Upload() } }), speaker.trackSid!);
    const failed = await waitForValue('egress_ended', () => eventsOf('egress_ended', ROOM).find((e) => e.egressInfo!.egressId === started.egressId));
    assert.equal(failed.egressInfo!.status, EgressStatus.EGRESS_FAILED);
    assert.equal(failed.egressInfo!.error, 'simulated pipeline crash');
    assert.equal(failed.egressInfo!.fileResults.length, 0);

    const running = await egress.startTrackEgress(ROOM, new DirectFileOutput({ filepath: 'faults/{track_id}', output: { case: 's3', value: s3Upload() } }), speaker.trackSid!);
    await sim.advance(1_000);
    await sim.failEgress(running.egressId, 'upload credentials revoked');
    const [listed] = await egress.listEgress({ egressId: running.egressId });
    assert.deepEqual([listed!.status, listed!.error], [EgressStatus.EGRESS_FAILED, 'upload credentials revoked']);
  });

  it('reaches the session limit: EGRESS_LIMIT_REACHED, the file kept', async () => {
    const started = await egress.startRoomCompositeEgress(ROOM, new EncodedFileOutput({ filepath: 'faults/limited.mp4', output: { case: 's3', value: s3Upload() } }));
    await sim.advance(2_000);
    await sim.limitEgress(started.egressId);
    await sim.whenIdle();
    const [limited] = await egress.listEgress({ egressId: started.egressId });
    assert.equal(limited!.status, EgressStatus.EGRESS_LIMIT_REACHED);
    assert.equal(limited!.error, 'Session limit reached');
    assert.equal(limited!.fileResults[0]!.filename, 'faults/limited.mp4');
    assert.ok(await bucket.head('faults/limited.mp4'));
  });

  it("also sends an egress's events to the webhooks its request names", async () => {
    const started = await egress.startTrackEgress(
      ROOM,
      new DirectFileOutput({ filepath: 'faults/extra', output: { case: 's3', value: s3Upload() } }),
      speaker.trackSid!,
      [new WebhookConfig({ url: `${hookUrl}-egress` })],
    );
    await egress.stopEgress(started.egressId);
    await sim.whenIdle();
    const extra = received.filter((r) => r.path === '/livekit-egress').map((r) => [r.event.event, r.event.egressInfo?.egressId]);
    assert.deepEqual(extra, ['egress_started', 'egress_updated', 'egress_updated', 'egress_ended'].map((event) => [event, started.egressId]));
    assert.equal(received.filter((r) => r.path === '/livekit' && r.event.egressInfo?.egressId === started.egressId).length, 4);
  });

  it('drops an egress_ended webhook; ListEgress still tells the outcome', async () => {
    await sim.setFaults({ webhooks: [{ action: 'drop', types: ['egress_ended'], count: 1 }] });
    const started = await egress.startTrackEgress(ROOM, new DirectFileOutput({ filepath: 'faults/dropped/', output: { case: 's3', value: s3Upload() } }), speaker.trackSid!);
    await sim.advance(1_000);
    await egress.stopEgress(started.egressId);
    await sim.whenIdle();
    assert.equal(eventsOf('egress_ended', ROOM).filter((e) => e.egressInfo!.egressId === started.egressId).length, 0);
    assert.ok((await sim.webhookDeliveries()).some((d) => d.event === 'egress_ended' && d.outcome === 'dropped'));
    const [recovered] = await egress.listEgress({ egressId: started.egressId });
    assert.equal(recovered!.status, EgressStatus.EGRESS_COMPLETE);
    assert.match(recovered!.fileResults[0]!.filename, new RegExp(`^faults/dropped/${speaker.trackSid}-\\d{4}-\\d\\d-\\d\\dT\\d{6}\\.ogg$`));
    assert.equal((await refusal(egress.listEgress({ egressId: 'EG_unknown' }))).code, 'not_found');
  });
});

describe('LiveKit simulator: rooms and participants', () => {
  it('lets a participant join with a join token (its identity and name), and refuses a token for another room', async () => {
    const token = new AccessToken(API_KEY, API_SECRET, { identity: 'erin', name: 'Erin Eve', ttl: '5m' });
    token.addGrant({ roomJoin: true, room: 'tokens' });
    const erin = await sim.join('tokens', { token: await token.toJwt() });
    assert.equal(erin.identity, 'erin');
    assert.equal((await rooms.getParticipant('tokens', 'erin')).name, 'Erin Eve');
    const elsewhere = new AccessToken(API_KEY, API_SECRET, { identity: 'mallory', ttl: '5m' });
    elsewhere.addGrant({ roomJoin: true, room: 'other-room' });
    await assert.rejects(sim.join('tokens', { token: await elsewhere.toJwt() }), { code: 'permission_denied' });

    const metadata = await rooms.updateRoomMetadata('tokens', '{"topic":"budget"}');
    assert.equal(metadata.metadata, '{"topic":"budget"}');
    const muted = await rooms.mutePublishedTrack('tokens', 'erin', erin.trackSid!, true);
    assert.equal(muted.muted, true);
    await assert.rejects(sim.say(erin.participantSid, { text: 'Can anyone hear me?' }), { code: 'failed_precondition' });
    assert.equal((await refusal(rooms.mutePublishedTrack('tokens', 'erin', erin.trackSid!, false))).message, 'remote unmute not enabled');
    await rooms.deleteRoom('tokens');
    const left = await waitForValue('participant_left', () => eventsOf('participant_left', 'tokens')[0]);
    assert.equal(left.participant!.disconnectReason, DisconnectReason.ROOM_DELETED);
    assert.equal((await refusal(rooms.deleteRoom('tokens'))).code, 'not_found');
  });

  it('closes a room nobody joined after its empty timeout', async () => {
    await rooms.createRoom({ name: 'nobody-came', emptyTimeout: 5 });
    await sim.advance(4_999);
    assert.deepEqual((await rooms.listRooms(['nobody-came'])).length, 1);
    await sim.advance(1);
    assert.deepEqual(await rooms.listRooms(['nobody-came']), []);
    await waitForValue('room_finished', () => eventsOf('room_finished', 'nobody-came').length === 1);
  });

  it('answers a simulated service fault with Twirp unavailable, and duplicates a webhook with its id', async () => {
    await sim.setFaults({ api: [{ routes: ['RoomService/ListRooms'], count: 1 }], webhooks: [{ action: 'duplicate', types: ['participant_joined'], count: 1 }] });
    const error = await refusal(rooms.listRooms());
    assert.deepEqual([error.status, error.code], [503, 'unavailable']);
    assert.ok(Array.isArray(await rooms.listRooms()), 'the fault fired once');
    await sim.join('duplicates', { identity: 'frank', publishAudio: false });
    const joined = await waitForValue('two copies', () => eventsOf('participant_joined', 'duplicates').length === 2 && eventsOf('participant_joined', 'duplicates'));
    assert.equal(joined[0]!.id, joined[1]!.id);
    assert.deepEqual((await sim.stats()).apiCalls['RoomService/ListRooms']! >= 2, true);
    await sim.setFaults({});
  });

  it("writes an audio-only room composite as OGG into the egress's own storage when the output names no upload", async () => {
    const room = 'audio-only';
    const speaker = await sim.join(room, { identity: 'gina' });
    await sim.say(speaker.participantSid, { text: 'Only my voice is recorded here.' });
    const started = await egress.startRoomCompositeEgress(room, new EncodedFileOutput({ filepath: 'audio/' }), { audioOnly: true });
    await sim.advance(3_000);
    await sim.leave(speaker.participantSid);
    await sim.advance(20_000);
    await sim.whenIdle();
    const [done] = await egress.listEgress({ egressId: started.egressId });
    assert.equal(done!.status, EgressStatus.EGRESS_COMPLETE);
    assert.equal(done!.details, 'End reason: Source closed');
    const file = done!.fileResults[0]!;
    assert.match(file.filename, /^audio\/audio-only-\d{4}-\d\d-\d\dT\d{6}\.ogg$/);
    assert.equal(file.location, `s3://${bucket.bucket}/${file.filename}`);
    const ogg = await probe(await download(file.filename));
    assert.deepEqual(ogg.streams.map((s) => s.codec_name), ['opus']);
  });
});

describe('LiveKit simulator: a meeting script', () => {
  it("plays the Daily simulator's three-person script in a LiveKit room, recorded by a composite egress", async () => {
    const { scenario, baseDir } = await loadScenario(join(import.meta.dirname, '../platforms/daily/simulator/scenarios/three-person-standup.json'));
    const room = 'scripted-standup';
    await rooms.createRoom({ name: room });
    const started = await egress.startRoomCompositeEgress(room, new EncodedFileOutput({ filepath: 'scripted/standup.mp4', output: { case: 's3', value: s3Upload() } }));
    const skipped: string[] = [];
    const result = await runLiveKitScenario(sim, scenario, { roomName: room, baseDir, recordingStep: async (step) => void skipped.push(step.action) });
    const names = Object.keys(scenario.participants);
    assert.deepEqual(Object.keys(result.participants).sort(), [...names].sort());
    const joined = eventsOf('participant_joined', room).map((e) => e.participant!.identity);
    for (const who of names) assert.ok(joined.includes(scenario.participants[who]!.userId ?? who), `${who} joined`);
    const [done] = await egress.listEgress({ egressId: started.egressId });
    assert.equal(done!.status, EgressStatus.EGRESS_COMPLETE, 'the composite ends with the room');
    const lastStep = Math.max(...scenario.steps.map((s) => s.at));
    assert.ok(Number(done!.fileResults[0]!.duration) / 1e9 >= lastStep, 'the file spans the script');
    assert.deepEqual(await rooms.listRooms([room]), [], 'the room finished after everyone left');
    assert.equal(skipped.length, scenario.steps.filter((s) => s.action === 'startRecording' || s.action === 'stopRecording').length);
  });
});
