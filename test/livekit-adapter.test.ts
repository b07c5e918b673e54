import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EgressInfo, EgressStatus, TokenVerifier } from 'livekit-server-sdk';
import type { WebhookEvent } from 'livekit-server-sdk';
import type { ParsedWebhook, PlatformEvent } from '../platforms/platform.ts';
import { LiveKitApiError, LiveKitClient } from '../platforms/livekit/client.ts';
import { egressFacts, mapLiveKitWebhook, parseLiveKitWebhook, recordingOutcome } from '../platforms/livekit/events.ts';
import { startLiveKitSimulator } from '../platforms/livekit/simulator/index.ts';
import type { LiveKitSimulator } from '../platforms/livekit/simulator/index.ts';
import { LiveKitWebhookRefused, LiveKitWebhookVerifier, judgeWebhookFreshness } from '../platforms/livekit/webhooks.ts';
import type { LiveKitWebhookRefusal } from '../platforms/livekit/webhooks.ts';
import type { S3Storage } from '../storage/s3.ts';
import { signedLiveKitWebhook } from './support/livekit.ts';
import { waitForValue } from './support/poll.ts';
import { freshBucket, s3ServerFromEnv } from './support/s3-server.ts';
import type { S3TestServer } from './support/s3-server.ts';

// Our LiveKit adapter (client, webhook verification, event mapping) against the LiveKit simulator: a meeting
// where people join, publish, speak, reconnect and leave, recorded by the egresses our client starts; every
// webhook the simulator sends goes through our verifier and mapping, as the webhook route will.

const API_KEY = 'APIadapterKey';
const API_SECRET = randomBytes(24).toString('base64url');

interface Delivery {
  rawBody: string;
  authorization: string | undefined;
  contentType: string | undefined;
  event: WebhookEvent;
  parsed: ParsedWebhook;
}

let server: LiveKitSimulator;
let s3: S3TestServer;
let bucket: S3Storage;
let hook: Server;
let client: LiveKitClient;
const verifier = new LiveKitWebhookVerifier({ apiKey: API_KEY, apiSecret: API_SECRET });
const deliveries: Delivery[] = [];
const refusedDeliveries: string[] = [];

const deliveriesIn = (roomName: string) => deliveries.filter((d) => (d.event.room?.name ?? d.event.egressInfo?.roomName) === roomName);
const eventsIn = (roomName: string): PlatformEvent[] => deliveriesIn(roomName).flatMap((d) => (d.parsed.kind === 'event' ? [d.parsed.event] : []));
/** What the meeting is made of: everything but the microphones. */
const meetingEventsIn = (roomName: string) => eventsIn(roomName).filter((e) => !e.type.startsWith('speaker-track.'));
type SpeakerTrackPublished = Extract<PlatformEvent, { type: 'speaker-track.published' | 'speaker-track.unpublished' }>;
const trackPublished = (roomName: string, sessionId: string) =>
  waitForValue<SpeakerTrackPublished>(`track_published by ${sessionId}`, () =>
    eventsIn(roomName).find((e): e is SpeakerTrackPublished => e.type === 'speaker-track.published' && e.sessionId === sessionId),
  );

async function refusalOf(request: Parameters<LiveKitWebhookVerifier['verify']>[0]): Promise<LiveKitWebhookRefusal> {
  const error = await verifier.verify(request).then(
    () => assert.fail('the webhook should have been refused'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof LiveKitWebhookRefused, `expected LiveKitWebhookRefused, got ${String(error)}`);
  return error.refusal;
}

before(async () => {
  s3 = await s3ServerFromEnv();
  bucket = await freshBucket(s3, 'livekit-adapter');
  hook = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const request = { rawBody, authorization: req.headers.authorization, contentType: req.headers['content-type'] };
    try {
      const event = await verifier.verify(request);
      const parsed = mapLiveKitWebhook(event);
      // The raw body decodes to the same as the verifier's event: the platform parses the body it verified.
      assert.deepEqual(parseLiveKitWebhook(rawBody), parsed);
      deliveries.push({ ...request, event, parsed });
      res.writeHead(200).end();
    } catch (error) {
      refusedDeliveries.push(String(error));
      res.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  server = await startLiveKitSimulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    webhookUrls: [`http://127.0.0.1:${(hook.address() as AddressInfo).port}/v1/webhooks/livekit`],
    webhookRetry: { retryWaitMinMs: 20, retryWaitMaxMs: 100 },
    clock: { mode: 'virtual', startAt: new Date('2026-05-04T09:00:00.000Z') },
    log: () => {},
  });
  client = new LiveKitClient(
    { url: server.url, apiKey: API_KEY, apiSecret: API_SECRET },
    { bucket: bucket.bucket, region: s3.region, endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  );
});

after(async () => {
  await server?.stop();
  await new Promise((resolve) => hook?.close(resolve));
  await s3?.stop();
});

describe('LiveKit adapter: a recorded meeting', () => {
  const ROOM = 'adapter-standup';
  const PREFIX = 'livekit/meeting-1';

  it('turns the meeting into joins and leaves per session and one ready recording per egress, whose files exist', async () => {
    const room = await client.createRoom({ name: ROOM, emptyTimeoutSeconds: 300, departureTimeoutSeconds: 20 });
    assert.deepEqual([room.emptyTimeout, room.departureTimeout], [300, 20]);
    const expiresAt = new Date(Date.now() + 3_600_000);
    const ownerToken = await client.joinToken({ roomName: ROOM, userName: 'Alice Archer', userId: 'alice', isOwner: true, expiresAt });
    const guestToken = await client.joinToken({ roomName: ROOM, userName: 'Bob Baker', userId: 'bob', isOwner: false, expiresAt });
    const claims = new TokenVerifier(API_KEY, API_SECRET);
    assert.deepEqual([(await claims.verify(ownerToken)).video?.roomAdmin, (await claims.verify(guestToken)).video?.roomAdmin], [true, undefined]);
    assert.ok(Math.abs((await claims.verify(ownerToken)).exp! - expiresAt.getTime() / 1000) < 2, 'the token ends with the room');

    const alice = await server.join(ROOM, { token: ownerToken });
    const composite = await client.startCompositeEgress({ roomName: ROOM, keyPrefix: PREFIX });
    const trackEgress = async (sessionId: string) => {
      const published = await trackPublished(ROOM, sessionId);
      return client.startTrackEgress({ roomName: ROOM, trackSid: published.trackId, participantSid: published.sessionId, keyPrefix: PREFIX });
    };
    const aliceTrack = await trackEgress(alice.participantSid);
    const bob = await server.join(ROOM, { token: guestToken });
    const bobTrack = await trackEgress(bob.participantSid);
    await server.say(alice.participantSid, { text: 'Good morning, Alice here.' });
    await server.advance(3_000);
    await server.say(bob.participantSid, { text: 'Bob here.' });
    await server.advance(2_000);
    const bobAgain = await server.reconnect(bob.participantSid);
    const bobAgainTrack = await trackEgress(bobAgain.participantSid);
    await server.say(bobAgain.participantSid, { text: 'Sorry, I dropped out.' });
    await server.advance(3_000);
    await server.unpublish(alice.trackSid!);
    await server.leave(bobAgain.participantSid);
    await server.leave(alice.participantSid);
    await server.advance(20_000);
    await server.whenIdle();
    await waitForValue('meeting.ended', () => meetingEventsIn(ROOM).some((e) => e.type === 'meeting.ended'));

    assert.deepEqual(refusedDeliveries, [], 'every webhook the simulator sent verifies');
    assert.ok(deliveries.every((d) => d.contentType === 'application/webhook+json'));
    const events = meetingEventsIn(ROOM);
    const allIds = deliveries.map((d) => d.event.id);
    assert.ok(allIds.every((id) => /^EV_/.test(id)) && new Set(allIds).size === allIds.length, "event ids are LiveKit's, one per event");
    assert.equal(events[0]!.type, 'meeting.started');
    assert.equal(events.filter((e) => !e.type.startsWith('recording.')).at(-1)!.type, 'meeting.ended', 'egresses end with the room, after it');
    assert.ok(events.every((e) => !('platformMeetingId' in e) || e.platformMeetingId === alice.roomSid), 'the meeting is the room sid');

    const presence = events.flatMap((e) =>
      e.type === 'participant.joined' ? [['joined', e.sessionId, e.userId, e.userName, e.isOwner]] : e.type === 'participant.left' ? [['left', e.sessionId]] : [],
    );
    assert.deepEqual(presence, [
      ['joined', alice.participantSid, 'alice', 'Alice Archer', true],
      ['joined', bob.participantSid, 'bob', 'Bob Baker', false],
      ['left', bob.participantSid],
      ['joined', bobAgain.participantSid, 'bob', 'Bob Baker', false],
      ['left', bobAgain.participantSid],
      ['left', alice.participantSid],
    ]);
    const firstJoin = events.find((e) => e.type === 'participant.joined')!;
    assert.equal(firstJoin.joinedAt.toISOString(), '2026-05-04T09:00:00.000Z', 'a join is at its platform time');
    assert.equal(firstJoin.occurredAt.getTime(), firstJoin.joinedAt.getTime());

    const egressIds = [composite, aliceTrack, bobTrack, bobAgainTrack].map((e) => e.egressId);
    const started = events.flatMap((e) => (e.type === 'recording.started' ? [e.recordingId] : []));
    assert.deepEqual([...started].sort(), [...egressIds].sort());
    const startedTypes = new Map(events.flatMap((e) => (e.type === 'recording.started' ? [[e.recordingId, e.recordingType] as const] : [])));
    assert.deepEqual([startedTypes.get(composite.egressId), startedTypes.get(aliceTrack.egressId)], ['cloud', 'raw-tracks'], 'a started egress says which recording it is');
    const ready = new Map(events.flatMap((e) => (e.type === 'recording.ready' ? [[e.recordingId, e] as const] : [])));
    assert.deepEqual([...ready.keys()].sort(), [...egressIds].sort(), 'every egress ended ready');
    const compositeReady = ready.get(composite.egressId)!;
    assert.equal(compositeReady.recordingType, 'cloud');
    assert.equal(compositeReady.objectKey, `${PREFIX}/composite-2026-05-04T090000.mp4`);
    assert.equal(compositeReady.durationSeconds, 28, 'the composite lasts until the room finished');
    const compositeEnded = deliveriesIn(ROOM).find((d) => d.event.event === 'egress_ended' && d.event.egressInfo?.egressId === composite.egressId)!;
    assert.equal(compositeEnded.event.egressInfo!.roomId, alice.roomSid, 'the composite is of this room session');
    for (const [egress, who] of [[aliceTrack, alice], [bobTrack, bob], [bobAgainTrack, bobAgain]] as const) {
      const track = ready.get(egress.egressId)!;
      assert.equal(track.recordingType, 'raw-tracks');
      assert.match(track.objectKey, new RegExp(`^${PREFIX}/tracks/${who.participantSid}/${who.trackSid}-2026-05-04T\\d{6}\\.ogg$`));
      const stored = await bucket.head(track.objectKey);
      assert.ok(stored, `${track.objectKey} exists`);
      assert.deepEqual(track.tracks, [{ type: 'audio', key: track.objectKey, size: stored.size, sessionId: who.participantSid, startedAt: track.startedAt }]);
    }
    assert.equal(ready.get(bobTrack.egressId)!.durationSeconds, 5, "Bob's first track ends as he drops, 5 s in");
    const compositeFile = egressFacts(compositeEnded.event.egressInfo!).file;
    assert.ok(compositeFile);
    assert.equal(compositeFile.sizeBytes, (await bucket.head(compositeReady.objectKey))!.size);
    assert.equal(compositeFile.location, `${s3.endpoint}/${bucket.bucket}/${compositeReady.objectKey}`);

    const unpublished = eventsIn(ROOM).flatMap((e) => (e.type === 'speaker-track.unpublished' ? [e.trackId] : []));
    assert.ok(unpublished.includes(alice.trackSid!) && unpublished.includes(bob.trackSid!));
    const progress = deliveriesIn(ROOM).flatMap((d) => (d.parsed.kind === 'ignored' ? [d.parsed.type] : []));
    assert.ok(progress.length > 0 && progress.every((type) => type === 'egress_updated'), 'only egress progress has no counterpart');
  });
});

describe('LiveKit adapter: egress outcomes', () => {
  const ROOM = 'adapter-faults';
  let speaker: Awaited<ReturnType<LiveKitSimulator['join']>>;

  before(async () => {
    await client.createRoom({ name: ROOM, emptyTimeoutSeconds: 300, departureTimeoutSeconds: 20 });
    speaker = await server.join(ROOM, { identity: 'dana' });
    await server.say(speaker.participantSid, { text: 'Testing.' });
  });

  const outcomeOf = (egressId: string) =>
    waitForValue(`the outcome of ${egressId}`, () =>
      meetingEventsIn(ROOM).find((e) => (e.type === 'recording.error' && e.instanceId === egressId) || (e.type === 'recording.ready' && e.recordingId === egressId)),
    );

  it('maps a crashed, a limit-reached and a killed egress to recording.error with its reason', async () => {
    await server.setFaults({ egress: [{ action: 'fail', kinds: ['track'], error: 'simulated pipeline crash', count: 1 }] });
    const crashed = await client.startTrackEgress({ roomName: ROOM, trackSid: speaker.trackSid!, participantSid: speaker.participantSid, keyPrefix: 'faults' });
    const crash = await outcomeOf(crashed.egressId);
    assert.equal(crash.type, 'recording.error');
    assert.deepEqual(crash.type === 'recording.error' && [crash.instanceId, crash.message], [crashed.egressId, 'EGRESS_FAILED: simulated pipeline crash']);

    const limited = await client.startCompositeEgress({ roomName: ROOM, keyPrefix: 'faults' });
    await server.advance(1_000);
    await server.limitEgress(limited.egressId);
    const limit = await outcomeOf(limited.egressId);
    assert.equal(limit.type, 'recording.error');
    assert.equal(limit.type === 'recording.error' && limit.message, 'EGRESS_LIMIT_REACHED: Session limit reached');

    const killed = await client.startTrackEgress({ roomName: ROOM, trackSid: speaker.trackSid!, participantSid: speaker.participantSid, keyPrefix: 'faults' });
    await server.advance(1_000);
    await server.failEgress(killed.egressId, 'upload credentials revoked');
    const kill = await outcomeOf(killed.egressId);
    assert.equal(kill.type === 'recording.error' && kill.message, 'EGRESS_FAILED: upload credentials revoked');
  });

  it("finds through ListEgress an egress whose egress_ended was dropped, and reads the same outcome from it", async () => {
    await server.setFaults({ webhooks: [{ action: 'drop', types: ['egress_ended'], count: 1 }] });
    const started = await client.startTrackEgress({ roomName: ROOM, trackSid: speaker.trackSid!, participantSid: speaker.participantSid, keyPrefix: 'dropped' });
    await server.advance(2_000);
    await client.stopEgress(started.egressId);
    await server.whenIdle();
    assert.ok((await server.webhookDeliveries()).some((d) => d.event === 'egress_ended' && d.outcome === 'dropped'));
    assert.equal(meetingEventsIn(ROOM).filter((e) => e.type === 'recording.ready' && e.recordingId === started.egressId).length, 0, 'no webhook told');

    const listed = (await client.listEgress(ROOM)).find((e) => e.egressId === started.egressId)!;
    assert.equal(listed.status, EgressStatus.EGRESS_COMPLETE);
    assert.ok(!(await client.listEgress(ROOM, { activeOnly: true })).some((e) => e.egressId === started.egressId));
    const recovered = recordingOutcome(listed, { eventId: `list-egress:${started.egressId}`, sentAt: new Date() });
    assert.equal(recovered?.type, 'recording.ready');
    assert.equal(recovered.type === 'recording.ready' && recovered.recordingType, 'raw-tracks');
    assert.equal(recovered.type === 'recording.ready' && recovered.tracks?.[0]?.sessionId, speaker.participantSid, "the track's speaker, from its key");
    assert.ok(recovered.type === 'recording.ready' && (await bucket.head(recovered.objectKey)), 'the recovered key exists');
    assert.equal(recovered.type === 'recording.ready' && recovered.durationSeconds, 2);
  });

  it('reads an aborted egress as an error, and one still running as no outcome yet', () => {
    const aborted = new EgressInfo({ egressId: 'EG_aborted', roomName: ROOM, status: EgressStatus.EGRESS_ABORTED, error: 'Start signal not received', endedAt: 1_777_885_200_000_000_000n });
    const sentAt = new Date('2026-05-04T09:05:00.000Z');
    const endedAt = new Date('2026-05-04T09:00:00.000Z');
    assert.deepEqual(recordingOutcome(aborted, { eventId: 'list-egress:EG_aborted', sentAt }), {
      type: 'recording.error',
      eventId: 'list-egress:EG_aborted',
      sentAt,
      occurredAt: endedAt,
      instanceId: 'EG_aborted',
      roomName: ROOM,
      message: 'EGRESS_ABORTED: Start signal not received',
      at: endedAt,
      recordingType: 'cloud',
    });
    assert.equal(recordingOutcome(new EgressInfo({ egressId: 'EG_running', status: EgressStatus.EGRESS_ACTIVE }), { eventId: 'x', sentAt }), null);
  });

  it('classifies API failures once: not_found and bad credentials are final, unavailable and internal retryable', async () => {
    const classified = async (call: Promise<unknown>) => {
      const error = await call.then(() => assert.fail('should fail'), (e: unknown) => e);
      assert.ok(error instanceof LiveKitApiError, String(error));
      return [error.code ?? error.status, error.retryable];
    };
    assert.deepEqual(await classified(client.startTrackEgress({ roomName: 'no-such-room', trackSid: 'TR_x', participantSid: 'PA_x', keyPrefix: 'x' })), ['not_found', false]);
    const forged = new LiveKitClient({ url: server.url, apiKey: API_KEY, apiSecret: 'not-the-secret' }, { bucket: 'b', region: 'r', accessKeyId: 'a', secretAccessKey: 's' });
    assert.deepEqual(await classified(forged.listEgress(ROOM)), [401, false]);
    await server.setFaults({ api: [{ routes: ['Egress/ListEgress'], count: 1 }, { routes: ['RoomService/CreateRoom'], status: 500, count: 1 }] });
    assert.deepEqual(await classified(client.listEgress(ROOM)), ['unavailable', true]);
    assert.deepEqual(await classified(client.createRoom({ name: ROOM, emptyTimeoutSeconds: 1, departureTimeoutSeconds: 1 })), ['internal', true]);
    await server.setFaults({});
    const unreachable = new LiveKitClient({ url: 'http://127.0.0.1:9', apiKey: API_KEY, apiSecret: API_SECRET }, { bucket: 'b', region: 'r', accessKeyId: 'a', secretAccessKey: 's' });
    assert.deepEqual(await classified(unreachable.listEgress(ROOM)), [0, true], 'no answer at all: status 0, retryable');
  });
});

describe('LiveKit adapter: webhook refusals', () => {
  const signed = (body: string, options: { key?: string; secret?: string; ttl?: number } = {}) =>
    signedLiveKitWebhook(body, { key: options.key ?? API_KEY, secret: options.secret ?? API_SECRET, ...(options.ttl !== undefined && { ttl: options.ttl }) });

  it('refuses forged, expired, body-tampered, wrong-key, unsigned and mislabelled webhooks, each for its reason', async () => {
    const sample = deliveries.find((d) => d.parsed.kind === 'event' && d.parsed.event.type === 'recording.ready')!;
    const contentType = 'application/webhook+json';
    const { rawBody } = sample;
    assert.equal((await verifier.verify({ rawBody, authorization: sample.authorization, contentType })).id, sample.event.id);
    assert.equal((await verifier.verify({ rawBody, authorization: await signed(rawBody) })).id, sample.event.id, 'our own signature of the bytes verifies');

    assert.equal(await refusalOf({ rawBody, authorization: undefined, contentType }), 'missing-authorization');
    assert.equal(await refusalOf({ rawBody, authorization: await signed(rawBody, { secret: 'forged-secret' }), contentType }), 'bad-signature');
    assert.equal(await refusalOf({ rawBody, authorization: await signed(rawBody, { ttl: -120 }), contentType }), 'expired');
    assert.equal(await refusalOf({ rawBody: rawBody.replace('EGRESS_COMPLETE', 'EGRESS_FAILED'), authorization: sample.authorization, contentType }), 'body-tampered');
    assert.equal(await refusalOf({ rawBody, authorization: await signed(rawBody, { key: 'APIsomeoneElse' }), contentType }), 'unknown-api-key');
    assert.equal(await refusalOf({ rawBody, authorization: `Bearer ${sample.authorization}`, contentType }), 'malformed-token');
    assert.equal(await refusalOf({ rawBody, authorization: sample.authorization, contentType: 'application/json' }), 'unexpected-content-type');
    assert.equal(await refusalOf({ rawBody: '{not json', authorization: await signed('{not json'), contentType }), 'malformed-body');
  });

  it('judges a webhook LiveKit sent twice (same id) a duplicate the second time', async () => {
    await server.setFaults({ webhooks: [{ action: 'duplicate', types: ['participant_joined'], count: 1 }] });
    await server.join('adapter-duplicates', { identity: 'frank', publishAudio: false });
    const copies = await waitForValue('two copies', () => {
      const found = deliveriesIn('adapter-duplicates').filter((d) => d.parsed.kind === 'event' && d.parsed.event.type === 'participant.joined');
      return found.length === 2 && found;
    });
    await server.setFaults({});
    const seenEventIds = new Set<string>();
    const verdicts = copies.map((copy) => {
      const verdict = judgeWebhookFreshness(copy.event, { now: new Date(), seenEventIds });
      if (verdict === 'fresh') seenEventIds.add(copy.event.id);
      return verdict;
    });
    assert.deepEqual(verdicts, ['fresh', 'duplicate']);
  });

  it('judges replays by event id and createdAt window', () => {
    const sample = deliveries[0]!;
    const event = { id: sample.event.id, createdAt: sample.event.createdAt };
    const at = new Date(Number(sample.event.createdAt) * 1000);
    const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);
    assert.equal(judgeWebhookFreshness(event, { now: later(5), seenEventIds: new Set() }), 'fresh');
    assert.equal(judgeWebhookFreshness(event, { now: later(5), seenEventIds: new Set([event.id]) }), 'duplicate');
    assert.equal(judgeWebhookFreshness(event, { now: later(601), seenEventIds: new Set() }), 'stale');
    assert.equal(judgeWebhookFreshness(event, { now: later(-61), seenEventIds: new Set() }), 'from-the-future');
    assert.equal(judgeWebhookFreshness(event, { now: later(100), seenEventIds: new Set() }, { maxAgeSeconds: 60 }), 'stale');
  });
});
