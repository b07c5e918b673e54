// Whereby's webhooks at /v1/webhooks/whereby, through the generic webhook path: a signed event (Whereby-Signature
// `t=..,v1=..`, HMAC-SHA256 of `t.body`) is recorded once; forged, stale, future, replayed and unsigned deliveries
// are refused with nothing stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { Meeting, Room, WebhookEvent } from '../db/entities.ts';
import { wherebySignatureHeader } from '../platforms/whereby/signature.ts';

const SECRET = 'whereby-webhook-secret-for-tests';

describe('Whereby webhooks on the generic path', () => {
  let product: TestProduct;
  before(async () => {
    // Webhooks need no Whereby API: nothing answers at WHEREBY_API_URL here.
    product = await startTestProduct({ name: 'wherebyhooks', env: { PLATFORMS: 'daily,whereby', WHEREBY_API_KEY: 'key', WHEREBY_WEBHOOK_SECRET: SECRET, WHEREBY_API_URL: 'http://127.0.0.1:9/v1' } });
  });
  after(() => product?.stop());

  let seq = 0;
  const eventBody = () => {
    const id = `evt-${Date.now()}-${seq++}`;
    return { id, body: JSON.stringify({ id, apiVersion: '1.0', createdAt: new Date().toISOString(), type: 'room.session.started', data: { meetingId: '1', roomName: '/nobody-here', roomSessionId: `s-${id}` } }) };
  };
  const now = () => Math.floor(Date.now() / 1000);
  const post = (body: string, signature?: string) => fetch(`${product.url}/v1/webhooks/whereby`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...(signature !== undefined && { 'whereby-signature': signature }) },
  });
  const stored = (eventId: string) => product.services.db.em.fork().count(WebhookEvent, { platform: 'whereby', eventId });
  const code = async (response: Response) => ((await response.json()) as { error?: { code: string } }).error?.code;

  it('records a signed event', async () => {
    const { id, body } = eventBody();
    const response = await post(body, wherebySignatureHeader(SECRET, now(), body));
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(await stored(id), 1);
  });

  it('refuses forged, stale, future, replayed and unsigned deliveries, storing nothing', async () => {
    const cases: Array<[string, () => Promise<{ id: string; response: Response }>, string]> = [
      ['signed with another secret', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body, wherebySignatureHeader('x'.repeat(32), now(), body)) };
      }, 'bad_signature'],
      ['its body changed after signing', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body.replace('nobody-here', 'somebody'), wherebySignatureHeader(SECRET, now(), body)) };
      }, 'bad_signature'],
      ['signed 20 minutes ago', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body, wherebySignatureHeader(SECRET, now() - 20 * 60, body)) };
      }, 'stale_timestamp'],
      ['signed 20 minutes ahead', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body, wherebySignatureHeader(SECRET, now() + 20 * 60, body)) };
      }, 'stale_timestamp'],
      ['no Whereby-Signature', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body) };
      }, 'missing_signature'],
    ];
    for (const [what, send, expected] of cases) {
      const { id, response } = await send();
      assert.equal(response.status, 401, what);
      assert.equal(await code(response), expected, what);
      assert.equal(await stored(id), 0, what);
    }
  });

  it('refuses a captured delivery replayed with its signature', async () => {
    const { id, body } = eventBody();
    const signature = wherebySignatureHeader(SECRET, now(), body);
    assert.equal((await post(body, signature)).status, 200);
    const replayed = await post(body, signature);
    assert.equal(replayed.status, 401);
    assert.equal(await code(replayed), 'replayed');
    assert.equal(await stored(id), 1);
  });

  it('refuses a start or stop request on a meeting whose platform records by itself, saying why', async () => {
    const em = product.services.db.em.fork();
    const created = await product.request('POST', '/v1/rooms', { name: 'wherebyroom', platform: 'whereby', recordingTrigger: 'automatic-2nd-participant' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const room = await em.findOneOrFail(Room, { name: 'wherebyroom' });
    const start = new Date();
    const meeting = em.create(Meeting, {
      room, platform: 'whereby', platformRoomName: '/wherebyroom-1', startDate: start, endDate: new Date(start.getTime() + 3_600_000),
      recordingType: 'cloud', recordingTrigger: 'automatic-2nd-participant',
    });
    await em.flush();
    for (const action of ['start', 'stop']) {
      const answer = await product.request('POST', `/v1/meetings/${meeting.id}/recordings/${action}`, {});
      assert.equal(answer.status, 409, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'recording_started_by_platform');
      assert.match(answer.body.error.message, /starts and stops recording itself/);
    }
  });
});
