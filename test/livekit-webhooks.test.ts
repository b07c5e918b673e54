// LiveKit's webhooks at /v1/webhooks/livekit, against the real product: only what LiveKit signed, over these exact
// bytes, recently, is recorded; a forged, expired, body-tampered, stale (replayed later) or unsigned one is refused
// with 401 naming why and nothing stored; the same event delivered twice is stored once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { signedLiveKitWebhook } from './support/livekit.ts';
import { WebhookEvent } from '../db/entities.ts';

describe('LiveKit webhooks into the product', () => {
  let product: TestProduct;
  let credentials: { key: string; secret: string };
  let roomName: string;
  before(async () => {
    product = await startTestProduct({ name: 'lkwebhooks', livekit: true, worker: false });
    credentials = { key: product.config.livekit.apiKey, secret: product.config.livekit.apiSecret };
    await product.request('POST', '/v1/rooms', { name: 'signed', platform: 'livekit' });
    roomName = (await product.request('POST', '/v1/rooms/signed/meetings')).body.platformRoomName;
  });
  after(() => product?.stop());

  let seq = 0;
  /** A participant_joined as LiveKit encodes it (protojson), `ageSeconds` old. */
  const eventBody = (ageSeconds = 0) => {
    const id = `EV_test${Date.now()}${seq++}`;
    return {
      id,
      body: JSON.stringify({
        event: 'participant_joined', id, createdAt: String(Math.floor(Date.now() / 1000) - ageSeconds),
        room: { sid: 'RM_signed', name: roomName },
        participant: { sid: `PA_${id}`, identity: 'ivy', name: 'Ivy', state: 'ACTIVE', joinedAt: String(Math.floor(Date.now() / 1000)) },
      }),
    };
  };
  const post = (body: string, authorization?: string) => fetch(`${product.url}/v1/webhooks/livekit`, {
    method: 'POST', body, headers: { 'content-type': 'application/webhook+json', ...(authorization !== undefined && { authorization }) },
  });
  const stored = (eventId: string) => product.services.db.em.fork().count(WebhookEvent, { platform: 'livekit', eventId });
  const refusal = async (response: Response) => {
    const answer = (await response.json()) as { error?: { code: string } };
    return { status: response.status, code: answer.error?.code ?? JSON.stringify(answer) };
  };

  it('records a signed event once, however often it is delivered', async () => {
    const { id, body } = eventBody();
    const authorization = await signedLiveKitWebhook(body, credentials);
    const first = await post(body, authorization);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { ok: true, outcome: 'accepted' });
    const again = await post(body, authorization);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { duplicate?: boolean }).duplicate, true);
    assert.equal(await stored(id), 1);
  });

  it('refuses forged, expired, tampered, stale and unsigned events, storing nothing', async () => {
    const cases: Array<[string, () => Promise<{ id: string; response: Response }>, string]> = [
      ['signed with another secret', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body, await signedLiveKitWebhook(body, { key: credentials.key, secret: 'x'.repeat(40) })) };
      }, 'bad_signature'],
      ['signed with another API key', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body, await signedLiveKitWebhook(body, { key: 'APIsomeoneelse', secret: credentials.secret })) };
      }, 'bad_signature'],
      ['its token expired', async () => {
        const { id, body } = eventBody();
        // Expired a minute ago: beyond the SDK's clock tolerance (10 s).
        return { id, response: await post(body, await signedLiveKitWebhook(body, { ...credentials, ttl: '-60s' })) };
      }, 'stale_timestamp'],
      ['its body changed after signing', async () => {
        const { id, body } = eventBody();
        const authorization = await signedLiveKitWebhook(body, credentials);
        return { id, response: await post(body.replace('"Ivy"', '"Mallory"'), authorization) };
      }, 'body_tampered'],
      ['a captured event replayed later (freshly signed, created 20 minutes ago)', async () => {
        const { id, body } = eventBody(20 * 60);
        return { id, response: await post(body, await signedLiveKitWebhook(body, credentials)) };
      }, 'stale_timestamp'],
      ['no Authorization', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body) };
      }, 'missing_signature'],
    ];
    for (const [what, send, code] of cases) {
      const { id, response } = await send();
      assert.deepEqual(await refusal(response), { status: 401, code }, what);
      assert.equal(await stored(id), 0, `${what}: nothing stored`);
    }
  });

  it('answers 404 for a platform not configured here', async () => {
    const response = await fetch(`${product.url}/v1/webhooks/whereby`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await refusal(response), { status: 404, code: 'platform_not_configured' });
  });
});
