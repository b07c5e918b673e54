// 100ms's webhooks at /v1/webhooks/100ms, through the generic webhook path. 100ms signs nothing: the secret header
// configured with the webhook (HMS_WEBHOOK_HEADER: HMS_WEBHOOK_SECRET) must come with its value, the envelope's
// timestamp within the window, and a repeated envelope id (100ms's retries, or a capture replayed) is applied once.
// Forged, missing, stale and future deliveries are refused with nothing stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { WebhookEvent } from '../db/entities.ts';

const HEADER = 'x-hms-hook-secret';
const SECRET = 'hms-webhook-secret-for-tests';

describe('100ms webhooks on the generic path', () => {
  let product: TestProduct;
  before(async () => {
    // Webhooks need no 100ms API: nothing answers at HMS_API_URL here.
    product = await startTestProduct({
      name: 'hmshooks',
      env: { PLATFORMS: 'daily,100ms', HMS_ACCESS_KEY: 'access-key', HMS_APP_SECRET: 'app-secret', HMS_WEBHOOK_HEADER: HEADER, HMS_WEBHOOK_SECRET: SECRET, HMS_API_URL: 'http://127.0.0.1:9/v2' },
    });
  });
  after(() => product?.stop());

  let seq = 0;
  const eventBody = (sentAt = new Date()) => {
    const id = `hms-evt-${Date.now()}-${seq++}`;
    const data = { room_id: '6500000000000000000000aa', room_name: 'nobody-here', session_id: `s-${id}`, session_started_at: sentAt.toISOString() };
    return { id, body: JSON.stringify({ version: '2.0', id, app_id: 'app', account_id: 'account', timestamp: sentAt.toISOString(), type: 'session.open.success', data }) };
  };
  const post = (body: string, secret?: string) => fetch(`${product.url}/v1/webhooks/100ms`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...(secret !== undefined && { [HEADER]: secret }) },
  });
  const stored = (eventId: string) => product.services.db.em.fork().count(WebhookEvent, { platform: '100ms', eventId });
  const code = async (response: Response) => ((await response.json()) as { error?: { code: string } }).error?.code;

  it('records an event that carries the secret header', async () => {
    const { id, body } = eventBody();
    const response = await post(body, SECRET);
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(((await response.json()) as { outcome?: string }).outcome, 'unmatched');
    assert.equal(await stored(id), 1);
  });

  it('refuses forged, missing, stale and future deliveries, storing nothing', async () => {
    const minutes = (n: number) => new Date(Date.now() + n * 60_000);
    const cases: Array<[string, () => Promise<{ id: string; response: Response }>, string]> = [
      ['another secret', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body, 'not-the-secret-at-all') };
      }, 'bad_signature'],
      ['the secret with a character more', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body, `${SECRET}x`) };
      }, 'bad_signature'],
      ['no secret header', async () => {
        const { id, body } = eventBody();
        return { id, response: await post(body) };
      }, 'missing_signature'],
      ['sent 20 minutes ago', async () => {
        const { id, body } = eventBody(minutes(-20));
        return { id, response: await post(body, SECRET) };
      }, 'stale_timestamp'],
      ['sent 20 minutes ahead', async () => {
        const { id, body } = eventBody(minutes(20));
        return { id, response: await post(body, SECRET) };
      }, 'stale_timestamp'],
    ];
    for (const [what, send, expected] of cases) {
      const { id, response } = await send();
      assert.equal(response.status, 401, what);
      assert.equal(await code(response), expected, what);
      assert.equal(await stored(id), 0, what);
    }
  });

  it('applies a redelivered or replayed event once, and refuses a replay once its window has passed', async () => {
    const { id, body } = eventBody();
    assert.equal((await post(body, SECRET)).status, 200);
    const again = await post(body, SECRET);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { duplicate?: boolean }).duplicate, true);
    assert.equal(await stored(id), 1);

    // A capture replayed after the window: the same bytes and header, refused as stale, nothing stored.
    const old = eventBody(new Date(Date.now() - 6 * 60_000));
    const replayed = await post(old.body, SECRET);
    assert.equal(replayed.status, 401);
    assert.equal(await code(replayed), 'stale_timestamp');
    assert.equal(await stored(old.id), 0);
  });

  it('refuses a body that is not a 100ms envelope, storing nothing', async () => {
    const response = await post(JSON.stringify({ hello: 'world' }), SECRET);
    assert.equal(response.status, 401);
    assert.equal(await product.services.db.em.fork().count(WebhookEvent, { platform: '100ms', type: 'hello' }), 0);
  });
});
