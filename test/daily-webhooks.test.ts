import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DailyApiError } from '../platforms/daily/client.ts';
import { DailyPlatform } from '../platforms/daily/daily-platform.ts';
import { startDailySimulator } from '../platforms/daily/simulator/index.ts';
import type { DailySimulator, DailySimulatorOptions } from '../platforms/daily/simulator/index.ts';
import type { ParsedWebhook, WebhookVerification } from '../platforms/platform.ts';
import { LocalFolderStorage } from '../storage/local-folder.ts';

// Webhooks as Daily sends them: handshake, envelope, ids, signature, retry policies and fault knobs,
// received by a real HTTP endpoint that checks them with DailyPlatform.

const SECRET = Buffer.from('webhook-secret-for-the-tests-0123').toString('base64');
let dir: string;

interface Received {
  body: string;
  verification: WebhookVerification;
  parsed: ParsedWebhook;
}

/** A webhook endpoint answering `status(n)` to the n-th event delivery (handshakes get `handshakeStatus`). */
async function startReceiver(platform: DailyPlatform, status: (n: number, body: string) => number = () => 200, handshakeStatus = 200) {
  const received: Received[] = [];
  let deliveries = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const parsed = platform.parseWebhook(rawBody);
    received.push({ body: rawBody.toString('utf8'), verification: platform.verifyWebhook({ rawBody, headers: req.headers, now: new Date() }), parsed });
    res.writeHead(parsed.kind === 'handshake' ? handshakeStatus : status(++deliveries, rawBody.toString('utf8'))).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/daily/webhook`,
    received,
    events: () => received.flatMap((r) => (r.parsed.kind === 'event' ? [r.parsed.event] : [])),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function setup(options: Partial<DailySimulatorOptions> = {}) {
  const storage = new LocalFolderStorage({ rootDir: join(dir, randomUUID()), publicBaseUrl: 'http://127.0.0.1', signingSecret: 'x' });
  const sim = await startDailySimulator({
    apiKey: 'key',
    domain: 'sim',
    storage,
    clock: { mode: 'virtual' },
    webhookRetry: { backoffBaseMs: 10 },
    meetingEndedDelayMs: 5_000,
    ...options,
  });
  const platform = new DailyPlatform({ apiKey: 'key', baseUrl: sim.baseUrl, webhookSecret: SECRET });
  await sim.ensureRoom('hooks');
  return { sim, platform };
}

/** One event per call: a participant joining and leaving at once. */
async function blip(sim: DailySimulator, userName: string) {
  const { sessionId } = await sim.join('hooks', { userName });
  await sim.leave(sessionId);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daily-webhooks-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('webhook registration', () => {
  let sim: DailySimulator;
  let platform: DailyPlatform;
  after(() => sim.stop());

  it('performs a signed {"test":"test"} handshake, provisions an hmac, and returns camelCase objects', async () => {
    const context = await setup();
    sim = context.sim;
    platform = context.platform;
    const receiver = await startReceiver(context.platform);
    try {
      const created = await context.platform.client.createWebhook({ url: receiver.url, hmac: SECRET, eventTypes: ['participant.joined'] });
      assert.equal(receiver.received.length, 1);
      assert.equal(receiver.received[0]!.body, '{"test":"test"}');
      assert.deepEqual(receiver.received[0]!.verification, { ok: true });
      assert.equal(created.state, 'ACTIVE');
      assert.equal(created.retryType, 'circuit-breaker');
      assert.equal(created.failedCount, 0);
      assert.deepEqual(created.eventTypes, ['participant.joined']);

      const provisioned = await context.platform.client.createWebhook({ url: receiver.url });
      assert.equal(Buffer.from(provisioned.hmac, 'base64').length, 32);

      const listed = await context.platform.client.listWebhooks();
      assert.deepEqual(listed.map((w) => w.uuid).sort(), [created.uuid, provisioned.uuid].sort());
      assert.equal((await context.platform.client.getWebhook(created.uuid)).url, receiver.url);
      await context.platform.client.deleteWebhook(provisioned.uuid);
      assert.equal((await context.platform.client.listWebhooks()).length, 1);
    } finally {
      receiver.close();
    }
  });

  it('refuses (400) an endpoint that does not answer 200 to the handshake, and snake_case keys', async () => {
    const failing = await startReceiver(new DailyPlatform({ apiKey: 'key', webhookSecret: SECRET }), () => 200, 204);
    try {
      await assert.rejects(platform.client.createWebhook({ url: failing.url }), (error: unknown) => {
        assert.ok(error instanceof DailyApiError && error.status === 400 && error.errorType === 'invalid-request-error');
        return true;
      });
      const response = await fetch(`${sim.baseUrl}/webhooks`, {
        method: 'POST',
        headers: { authorization: 'Bearer key', 'content-type': 'application/json' },
        body: JSON.stringify({ url: failing.url, event_types: ['participant.joined'] }),
      });
      assert.equal(response.status, 400);
    } finally {
      failing.close();
    }
  });
});

describe('webhook deliveries', () => {
  it('sends every event of a call in Daily’s envelope, compact, signed and verifiable', async () => {
    const { sim, platform } = await setup();
    const receiver = await startReceiver(platform);
    try {
      await platform.client.createWebhook({ url: receiver.url, hmac: SECRET });
      const { sessionId } = await sim.join('hooks', { userName: 'Alice', userId: 'user-alice', owner: true });
      const instanceId = randomUUID();
      await platform.startRecording('hooks', { type: 'raw-tracks', instanceId });
      await platform.startRecording('hooks', { type: 'cloud', instanceId: randomUUID() });
      await sim.say(sessionId, { text: 'Short and sweet.' });
      await sim.advance(4_000);
      await platform.stopRecording('hooks', { type: 'raw-tracks', instanceId });
      await sim.whenIdle();
      await sim.leave(sessionId);
      await sim.advance(4_000);
      await sim.whenIdle();
      assert.ok(!receiver.events().some((e) => e.type === 'meeting.ended'), 'meeting.ended waits for the reconnection grace');
      await sim.advance(1_000);
      await sim.whenIdle();

      for (const { body, verification } of receiver.received) {
        assert.deepEqual(verification, { ok: true });
        assert.equal(body, JSON.stringify(JSON.parse(body)), 'compact JSON');
      }
      const envelopes = receiver.received.slice(1).map((r) => JSON.parse(r.body) as { version: string; type: string; id: string; event_ts: number; payload: Record<string, unknown> });
      assert.ok(envelopes.every((e) => e.version === '1.0.0' && typeof e.event_ts === 'number'));
      const byType = (type: string) => envelopes.filter((e) => e.type === type);
      const uuid = '[0-9a-f-]{36}';
      assert.match(byType('meeting.started')[0]!.id, new RegExp(`^met-sta-${uuid}-\\d{10}$`));
      assert.match(byType('participant.joined')[0]!.id, /^ptcpt-join-user-alice-\d{13}$/);
      assert.match(byType('participant.left')[0]!.id, new RegExp(`^ptcpt-left-${sessionId}-\\d{13}$`));
      assert.match(byType('recording.started')[0]!.id, new RegExp(`^rec-sta-${instanceId}-\\d{10}$`));
      assert.match(byType('meeting.ended')[0]!.id, new RegExp(`^met-end-${uuid}-\\d{10}$`));
      const ready = byType('recording.ready-to-download');
      assert.equal(ready.length, 2);
      assert.ok(ready.every((e) => new RegExp(`^rec-rtd-${uuid}-\\d{10}$`).test(e.id)));
      const rawReady = ready.find((e) => e.payload.type === 'raw-tracks')!;
      assert.ok((rawReady.payload.tracks as Array<Record<string, unknown>>).every((t) => typeof t.s3Key === 'string'));
      assert.ok(ready.some((e) => !('type' in e.payload) && !('tracks' in e.payload)), 'cloud ready has no type');

      const events = receiver.events();
      assert.deepEqual(
        events.map((e) => e.type),
        ['meeting.started', 'participant.joined', 'recording.started', 'recording.started', 'recording.ready', 'participant.left', 'meeting.ended', 'recording.ready'],
      );
      const rawEvent = events.find((e) => e.type === 'recording.ready' && e.recordingType === 'raw-tracks');
      assert.ok(rawEvent?.type === 'recording.ready' && rawEvent.tracks?.length === 2);
    } finally {
      receiver.close();
      await sim.stop();
    }
  });

  it('reports a forced recording.error, now for a running instance and at the next start otherwise', async () => {
    const { sim, platform } = await setup();
    const receiver = await startReceiver(platform);
    try {
      await platform.client.createWebhook({ url: receiver.url, hmac: SECRET, eventTypes: ['recording.started', 'recording.error'] });
      await sim.join('hooks', { userName: 'Alice' });
      const running = randomUUID();
      await platform.startRecording('hooks', { type: 'cloud', instanceId: running });
      await sim.failRecording(running, 'Error fetching STS credentials');
      const armed = randomUUID();
      await sim.failRecording(armed);
      await platform.startRecording('hooks', { type: 'raw-tracks', instanceId: armed });
      await sim.whenIdle();
      const events = receiver.events();
      assert.deepEqual(events.map((e) => e.type), ['recording.started', 'recording.error', 'recording.error']);
      assert.deepEqual(events.filter((e) => e.type === 'recording.error').map((e) => e.type === 'recording.error' && e.instanceId), [running, armed]);
      assert.match(receiver.received.at(-1)!.body, /"timestamp":"\d+"/);
    } finally {
      receiver.close();
      await sim.stop();
    }
  });
});

describe('delivery policies', () => {
  it('circuit-breaker: 3 failures flip the webhook to FAILED, nothing more is sent, re-activation resets it', async () => {
    const { sim, platform } = await setup();
    let healthy = false;
    const receiver = await startReceiver(platform, (n) => (healthy || n === 3 ? 200 : 500));
    try {
      const webhook = await platform.client.createWebhook({ url: receiver.url, hmac: SECRET, eventTypes: ['participant.joined'] });
      // Failures 1 and 2, a success that resets the count, then failures 1, 2, 3.
      for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await blip(sim, name);
      await sim.whenIdle();
      const state = await platform.client.getWebhook(webhook.uuid);
      assert.equal(state.state, 'FAILED');
      assert.equal(state.failedCount, 3);
      const outcomes = (await sim.webhookDeliveries()).map((d) => d.outcome);
      assert.deepEqual(outcomes, ['failed', 'failed', 'delivered', 'failed', 'failed', 'failed', 'discarded']);

      healthy = true;
      const reactivated = await platform.client.updateWebhook(webhook.uuid, {});
      assert.equal(reactivated.state, 'ACTIVE');
      assert.equal(reactivated.failedCount, 0);
      await blip(sim, 'h');
      await sim.whenIdle();
      assert.equal((await sim.webhookDeliveries()).at(-1)?.outcome, 'delivered');
    } finally {
      receiver.close();
      await sim.stop();
    }
  });

  it('exponential: retries a message up to 5 tries with backoff and never turns FAILED', async () => {
    const { sim, platform } = await setup();
    const tries = new Map<string, number>();
    const receiver = await startReceiver(platform, (_n, body) => {
      const { id, payload } = JSON.parse(body) as { id: string; payload: { user_name: string } };
      tries.set(id, (tries.get(id) ?? 0) + 1);
      if (payload.user_name === 'hopeless') return 503;
      return tries.get(id)! < 3 ? 500 : 200;
    });
    try {
      const webhook = await platform.client.createWebhook({ url: receiver.url, hmac: SECRET, retryType: 'exponential', eventTypes: ['participant.joined'] });
      await blip(sim, 'flaky');
      await blip(sim, 'hopeless');
      await sim.whenIdle();
      const deliveries = await sim.webhookDeliveries();
      const attempts = (user: string) => deliveries.filter((d) => d.body.includes(`"user_name":"${user}"`)).map((d) => `${d.attempt}:${d.outcome}`);
      assert.deepEqual(attempts('flaky'), ['1:failed', '2:failed', '3:delivered']);
      assert.deepEqual(attempts('hopeless'), ['1:failed', '2:failed', '3:failed', '4:failed', '5:failed']);
      assert.equal((await platform.client.getWebhook(webhook.uuid)).state, 'ACTIVE');
    } finally {
      receiver.close();
      await sim.stop();
    }
  });
});

describe('fault knobs', () => {
  it('drops, duplicates, reorders and delays webhooks', async () => {
    const { sim, platform } = await setup();
    const receiver = await startReceiver(platform);
    const joinedNames = () =>
      receiver.events().flatMap((e) => (e.type === 'participant.joined' ? [e.userName] : []));
    try {
      await platform.client.createWebhook({ url: receiver.url, hmac: SECRET, eventTypes: ['participant.joined'] });
      await sim.setFaults({ webhooks: [{ action: 'drop', types: ['participant.joined'], count: 1 }] });
      await blip(sim, 'dropped');
      await blip(sim, 'kept');
      await sim.whenIdle();
      assert.deepEqual(joinedNames(), ['kept']);

      await sim.setFaults({ webhooks: [{ action: 'duplicate', count: 1 }] });
      await blip(sim, 'twice');
      await sim.whenIdle();
      const twice = receiver.events().filter((e) => e.type === 'participant.joined' && e.userName === 'twice');
      assert.equal(twice.length, 2);
      assert.equal(twice[0]!.eventId, twice[1]!.eventId);

      await sim.setFaults({ webhooks: [{ action: 'reorder', count: 1 }] });
      await blip(sim, 'first');
      await blip(sim, 'second');
      await sim.whenIdle();
      assert.deepEqual(joinedNames().slice(-2), ['second', 'first']);

      await sim.setFaults({ webhooks: [{ action: 'delay', delayMs: 200, count: 1 }] });
      await blip(sim, 'late');
      await blip(sim, 'early');
      await sim.whenIdle();
      assert.deepEqual(joinedNames().slice(-2), ['early', 'late']);
    } finally {
      receiver.close();
      await sim.stop();
    }
  });
});
