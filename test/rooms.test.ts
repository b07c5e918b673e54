// Room CRUD and validation errors, through the real API on both database drivers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct } from './support/product.ts';

for (const database of ['pglite', 'postgresql'] as const) {
  describe(`rooms API (${database})`, () => {
    let product: TestProduct;
    before(async () => {
      product = await startTestProduct({ name: `rooms-${database}`, database, worker: false });
    });
    after(() => product?.stop());

    it('creates a room with defaults and reads it back', async () => {
      const created = await product.request('POST', '/v1/rooms', { name: 'weekly-sync' });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('location'), '/v1/rooms/weekly-sync');
      assert.equal(created.body.name, 'weekly-sync');
      assert.equal(created.body.platform, 'daily');
      assert.equal(created.body.recordingTrigger, 'automatic-2nd-participant');
      assert.equal(created.body.hasWebhookSecret, false);
      const read = await product.request('GET', '/v1/rooms/weekly-sync');
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, created.body);
    });

    it('stores for every setting left out the default that GET /v1/room-defaults shows: guests off', async () => {
      const { defaults, platforms } = (await product.request('GET', '/v1/room-defaults')).body;
      assert.equal(defaults.allowAnonymous, false, 'guests are off unless the owner turns them on');
      assert.deepEqual(platforms, [{ name: 'daily', roomModes: ['normal'] }]);
      const created = await product.request('POST', '/v1/rooms', { name: 'all-defaults' });
      assert.equal(created.status, 201);
      const { id: _id, name: _name, ownerId: _owner, hasWebhookSecret, isOwner: _isOwner, createdAt: _c, updatedAt: _u, ...settings } = created.body;
      assert.deepEqual(settings, defaults);
      assert.equal(hasWebhookSecret, false);
      // The database's own column defaults agree (a row inserted without the API).
      const rows: Array<{ allow_anonymous: boolean; locked: boolean; room_mode: string; platform: string }> = await product.services.db.em.getConnection().execute(
        `insert into room (id, name, owner_id, created_at, updated_at) values (gen_random_uuid(), 'raw-row', 'nobody', now(), now()) returning allow_anonymous, locked, room_mode, platform`,
      );
      assert.deepEqual(rows[0], { allow_anonymous: false, locked: false, room_mode: 'normal', platform: 'daily' });
    });

    it('refuses a platform that is not configured and a room mode the platform has no meaning for, naming what is possible', async () => {
      for (const platform of ['whereby', '100ms', 'livekit']) {
        const refused = await product.request('POST', '/v1/rooms', { name: `on-${platform.replace(/\d+/, 'hms')}`, platform });
        assert.equal(refused.status, 400, platform);
        assert.deepEqual(refused.body.error.details.map((d: { field: string }) => d.field), ['platform']);
        assert.match(refused.body.error.message, /not configured.*configured: daily/);
      }
      const group = await product.request('POST', '/v1/rooms', { name: 'big-group', roomMode: 'group' });
      assert.equal(group.status, 400);
      assert.deepEqual(group.body.error.details, [{ field: 'roomMode', message: '"group" has no meaning on daily; it takes: normal' }]);
      assert.equal((await product.request('GET', '/v1/rooms/big-group')).status, 404, 'nothing stored');
      assert.equal((await product.request('POST', '/v1/rooms', { name: 'small-room', platform: 'daily', roomMode: 'normal' })).status, 201);
      assert.equal((await product.request('PATCH', '/v1/rooms/small-room', { platform: 'whereby' })).body.error.details[0].field, 'platform');
      assert.equal((await product.request('PATCH', '/v1/rooms/small-room', { roomMode: 'group' })).status, 400);
      assert.equal((await product.request('GET', '/v1/rooms/small-room')).body.platform, 'daily');
    });

    it('refuses delivery this server cannot make: mail without SMTP_URL, Zulip without its bot', async () => {
      assert.deepEqual((await product.request('GET', '/v1/room-defaults')).body.delivery, { email: false, zulip: false });
      const mail = await product.request('POST', '/v1/rooms', { name: 'mailed-notes', emailParticipants: true });
      assert.equal(mail.status, 400);
      assert.deepEqual(mail.body.error.details, [{ field: 'emailParticipants', message: 'this server sends no mail (SMTP_URL is not set)' }]);
      const zulip = await product.request('POST', '/v1/rooms', { name: 'zulip-notes', zulipStream: 'meetings' });
      assert.equal(zulip.status, 400);
      assert.equal(zulip.body.error.details[0].field, 'zulipStream');
      assert.equal((await product.request('GET', '/v1/rooms/mailed-notes')).status, 404, 'nothing stored');
      assert.equal((await product.request('POST', '/v1/rooms', { name: 'quiet-notes', emailParticipants: false, zulipStream: null })).status, 201);
    });

    it('opens no meeting for a room stored with a platform that is not configured (409, not run on another)', async () => {
      await product.request('POST', '/v1/rooms', { name: 'old-whereby' });
      await product.services.db.em.getConnection().execute(`update room set platform = 'whereby' where name = 'old-whereby'`);
      const refused = await product.request('POST', '/v1/rooms/old-whereby/meetings', {});
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'platform_not_configured');
      assert.match(refused.body.error.message, /whereby.*configured: daily/);
    });

    it('refuses a duplicate name with 409', async () => {
      await product.request('POST', '/v1/rooms', { name: 'dup-room' });
      const again = await product.request('POST', '/v1/rooms', { name: 'dup-room' });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'room_exists');
    });

    it('names every invalid field in a 400', async () => {
      const res = await product.request('POST', '/v1/rooms', { name: 'Bad Name!', recordingTrigger: 'sometimes', retentionDays: -1, extra: 1 });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_input');
      const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
      assert.deepEqual(fields, ['(body)', 'name', 'recordingTrigger', 'retentionDays']);
    });

    it('answers malformed JSON with 400, a wrong content type with 415, an oversized body with 413', async () => {
      assert.equal((await product.request('POST', '/v1/rooms', '{"name": ')).status, 400);
      const wrongType = await product.request('POST', '/v1/rooms', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(wrongType.status, 415);
      assert.equal(wrongType.body.error.code, 'unsupported_media_type');
      const huge = await product.request('POST', '/v1/rooms', { name: 'big-room', webhookUrl: `https://x.test/${'a'.repeat(100_000)}` });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.error.code, 'payload_too_large');
      assert.equal((await product.request('GET', '/v1/rooms/big-room')).status, 404);
    });

    it('updates settings, keeps the webhook secret out of responses', async () => {
      await product.request('POST', '/v1/rooms', { name: 'patch-me' });
      const patched = await product.request('PATCH', '/v1/rooms/patch-me', { recordingTrigger: 'prompt', webhookUrl: 'https://example.test/hook', webhookSecret: 'a-very-long-secret-value' });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.recordingTrigger, 'prompt');
      assert.equal(patched.body.hasWebhookSecret, true);
      assert.ok(!JSON.stringify(patched.body).includes('a-very-long-secret-value'));
      assert.equal((await product.request('PATCH', '/v1/rooms/patch-me', { name: 'renamed' })).status, 400);
    });

    it("keeps a room's vocabulary (trimmed, each term once) and background; a bad term is a 400 naming its place", async () => {
      const created = await product.request('POST', '/v1/rooms', { name: 'jargon-room', vocabulary: [' Kestrel ', 'PGlite', 'Kestrel'], background: '  The platform team.  ' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.vocabulary, ['Kestrel', 'PGlite']);
      assert.equal(created.body.background, 'The platform team.');
      assert.deepEqual((await product.request('GET', '/v1/rooms/jargon-room')).body.vocabulary, ['Kestrel', 'PGlite']);
      const cleared = await product.request('PATCH', '/v1/rooms/jargon-room', { vocabulary: [], background: '' });
      assert.deepEqual([cleared.body.vocabulary, cleared.body.background], [[], null]);
      const plain = await product.request('POST', '/v1/rooms', { name: 'plain-room' });
      assert.deepEqual([plain.body.vocabulary, plain.body.background], [[], null]);
      const defaults = await product.request('GET', '/v1/room-defaults');
      assert.deepEqual([defaults.body.defaults.vocabulary, defaults.body.defaults.background], [[], null]);
      const bad = await product.request('PATCH', '/v1/rooms/jargon-room', { vocabulary: ['ok', '   ', 'x'.repeat(65)] });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field), ['vocabulary.1', 'vocabulary.2']);
      const many = await product.request('PATCH', '/v1/rooms/jargon-room', { vocabulary: Array.from({ length: 101 }, (_, i) => `term${i}`) });
      assert.deepEqual(many.body.error.details.map((d: { field: string; message: string }) => [d.field, d.message]), [['vocabulary', 'at most 100 terms']]);
      assert.equal((await product.request('PATCH', '/v1/rooms/jargon-room', { background: 'x'.repeat(4001) })).body.error.details[0].field, 'background');
      assert.deepEqual((await product.request('GET', '/v1/rooms/jargon-room')).body.vocabulary, [], 'nothing half-written');
    });

    it('lists with pagination and deletes', async () => {
      for (const name of ['page-a', 'page-b', 'page-c']) await product.request('POST', '/v1/rooms', { name });
      const first = await product.request('GET', '/v1/rooms?limit=2');
      assert.equal(first.status, 200);
      assert.equal(first.body.items.length, 2);
      assert.equal(first.body.hasMore, true);
      const total = first.body.total as number;
      const last = await product.request('GET', `/v1/rooms?limit=2&offset=${total - 1}`);
      assert.equal(last.body.items.length, 1);
      assert.equal(last.body.hasMore, false);
      assert.equal((await product.request('GET', '/v1/rooms?limit=500')).status, 400);
      assert.equal((await product.request('DELETE', '/v1/rooms/page-a')).status, 204);
      assert.equal((await product.request('GET', '/v1/rooms/page-a')).status, 404);
      const missing = await product.request('DELETE', '/v1/rooms/page-a');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
    });
  });
}
