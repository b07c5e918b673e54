// Outgoing webhooks cannot be pointed into our own network (SSRF), and their signature is as documented.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { assertPublicDestination, DestinationRefusedError, signOutgoingWebhook } from '../activities/outgoing-webhooks.ts';
import { startTestProduct, type TestProduct } from './support/product.ts';

describe('outgoing webhook destinations', () => {
  it('refuses loopback, private, link-local, metadata and mapped addresses, and non-http schemes', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://10.1.2.3/', 'http://172.20.0.1/', 'http://192.168.1.10/',
      'http://169.254.169.254/latest/meta-data', 'http://100.64.0.1/', 'http://0.0.0.0/', 'http://[::1]/', 'http://[fe80::1]/',
      'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'ftp://203.0.113.5/',
    ]) {
      await assert.rejects(assertPublicDestination(url, { allowPrivate: false }), DestinationRefusedError, url);
    }
  });

  it('accepts public addresses, and anything when explicitly allowed', async () => {
    await assertPublicDestination('https://93.184.216.34/hook', { allowPrivate: false });
    await assertPublicDestination('http://[2606:4700::6810:85e5]/hook', { allowPrivate: false });
    await assertPublicDestination('http://127.0.0.1:9/hook', { allowPrivate: true });
  });

  it('signs v1=hex(HMAC-SHA256(secret, timestamp + "." + body))', () => {
    const expected = createHmac('sha256', 'room-secret').update('1700000000.{"a":1}').digest('hex');
    assert.equal(signOutgoingWebhook('room-secret', '1700000000', '{"a":1}'), `v1=${expected}`);
  });
});

describe('room webhook URLs through the API', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'ssrf', worker: false, env: { OUTGOING_WEBHOOKS_ALLOW_PRIVATE: 'false' } });
  });
  after(() => product?.stop());

  it('refuses a room webhook that points at a private or loopback address, naming the field', async () => {
    const created = await product.request('POST', '/v1/rooms', { name: 'ssrf-room', webhookUrl: 'http://127.0.0.1:6379/' });
    assert.equal(created.status, 400);
    assert.equal(created.body.error.details[0].field, 'webhookUrl');
    assert.match(created.body.error.details[0].message, /non-public/);
    assert.equal((await product.request('GET', '/v1/rooms/ssrf-room')).status, 404);
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'ssrf-room' })).status, 201);
    assert.equal((await product.request('PATCH', '/v1/rooms/ssrf-room', { webhookUrl: 'http://169.254.169.254/latest' })).status, 400);
    assert.equal((await product.request('PATCH', '/v1/rooms/ssrf-room', { webhookUrl: 'https://93.184.216.34/hook' })).status, 200);
  });
});
