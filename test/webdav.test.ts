// Copies to the owner's own storage over WebDAV, against a real WebDAV server (wsgidav): the folder is checked
// before it is kept and its password never shown; a finished recording's files land in the owner's folder by the
// recording workflow's last step, once each (a rerun sends nothing twice); a server that is full (507) or refuses
// is a failed copy with its reason on the recording, the recording itself fine; a slow one is waited for; a removed
// setting stops the copies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { startTestProduct, recordingWorkflowResult, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom } from './support/recordings.ts';
import { startWebDavProxy, startWebDavServer, type WebDavProxy, type WebDavTestServer } from './support/webdav.ts';
import { WebDavSetting, type Meeting } from '../db/entities.ts';
import { reprocessRecording } from '../api/transcripts.ts';

describe('copies to the owner’s WebDAV folder', () => {
  let product: TestProduct;
  let dav: WebDavTestServer;
  let proxy: WebDavProxy;
  let owner: TestUser;
  let other: TestUser;
  let meeting: Meeting;
  let asOwner: ReturnType<TestProduct['as']>;
  const roomName = 'planning-copies';

  before(async () => {
    [product, dav] = await Promise.all([startTestProduct({ name: 'webdav' }), startWebDavServer()]);
    proxy = await startWebDavProxy(dav);
    owner = await product.createUser({ email: 'owner@example.com' });
    other = await product.createUser({ email: 'other@example.com' });
    asOwner = product.as(owner.headers);
    ({ meeting } = await seedRoom(product.services.db.em.fork(), { name: roomName, ownerId: owner.id }));
  });
  after(async () => {
    await product?.stop();
    await proxy?.close();
    await dav?.stop();
  });

  /** A cloud recording of the owner's room, through its workflow (as a late webhook or a reprocess starts it). */
  async function recordAndWait(): Promise<{ id: string; result: Awaited<ReturnType<typeof recordingWorkflowResult>> }> {
    const { recording } = await seedRecording(product.services.db.em.fork(), product.services.storage, { meeting, type: 'cloud', recordedAt: new Date(Date.now() - Math.random() * 1e9) });
    await reprocessRecording(product.services, recording.id);
    return { id: recording.id, result: await recordingWorkflowResult(product, recording.id, 120_000) };
  }
  const filesUnder = async (dir: string): Promise<string[]> => (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();

  it('checks the folder before keeping it, and never shows or stores the password in the clear', async () => {
    const wrong = await asOwner('PUT', '/v1/me/webdav', { url: dav.url, username: dav.username, password: 'wrong' });
    assert.equal(wrong.status, 422, JSON.stringify(wrong.body));
    assert.equal(wrong.body.error.code, 'webdav_refused');
    assert.equal(wrong.body.error.details[0].field, 'password');
    assert.match(wrong.body.error.message, /refused these credentials \(401\)/);
    const unreachable = await asOwner('PUT', '/v1/me/webdav', { url: 'http://127.0.0.1:9/dav/', username: 'a', password: 'b' });
    assert.equal(unreachable.status, 422);
    assert.match(unreachable.body.error.message, /could not be reached/);
    const bad = await asOwner('PUT', '/v1/me/webdav', { url: 'ftp://x', username: '', password: 'b' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field).sort(), ['url', 'username']);
    assert.equal((await asOwner('GET', '/v1/me/webdav')).status, 404, 'nothing kept from refused attempts');

    const kept = await asOwner('PUT', '/v1/me/webdav', { url: dav.url, username: dav.username, password: dav.password });
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.deepEqual({ ...kept.body, updatedAt: undefined }, { url: dav.url, username: dav.username, hasPassword: true, updatedAt: undefined });
    const shown = await asOwner('GET', '/v1/me/webdav');
    assert.ok(!JSON.stringify(shown.body).includes(dav.password));
    const row = await product.services.db.em.fork().findOneOrFail(WebDavSetting, { userId: owner.id });
    assert.ok(!row.passwordSealed.includes(dav.password) && row.passwordSealed.startsWith('v1.'));
    assert.equal((await product.as(other.headers)('GET', '/v1/me/webdav')).status, 404, "another user's setting is theirs");
    assert.equal((await product.as({})('GET', '/v1/me/webdav')).status, 401);
  });

  it("copies a finished recording into the owner's folder, once", async () => {
    const { id, result } = await recordAndWait();
    assert.deepEqual(result.warnings ?? [], []);
    const files = await filesUnder(dav.root);
    const mp4 = files.find((f) => f.startsWith(`${roomName}/`) && f.includes(id.slice(0, 8)) && f.endsWith('/recording.mp4'));
    assert.ok(mp4, `the recording in the folder: ${files.join(', ')}`);
    assert.equal(await readFile(path.join(dav.root, mp4), 'utf8'), `mp4 of ${id}`);
    const shown = (await asOwner('GET', `/v1/recordings/${id}`)).body;
    assert.equal(shown.ownerCopy.status, 'copied');
    assert.deepEqual(shown.ownerCopy.files, [{ name: 'recording.mp4', bytes: `mp4 of ${id}`.length, outcome: 'sent' }]);

    // Run again: the file is there at its size, so it is not sent again.
    await reprocessRecording(product.services, id);
    await recordingWorkflowResult(product, id, 120_000);
    const again = (await asOwner('GET', `/v1/recordings/${id}`)).body;
    assert.deepEqual(again.ownerCopy.files.map((f: { outcome: string }) => f.outcome), ['already-there']);
  });

  it('a full server (507) or one that refuses is a failed copy with its reason, the recording itself fine; a slow one is waited for', async () => {
    assert.equal((await asOwner('PUT', '/v1/me/webdav', { url: proxy.url, username: dav.username, password: dav.password })).status, 200);
    proxy.mode = 'full';
    const full = await recordAndWait();
    assert.match((full.result.warnings ?? []).join(), /WebDAV storage is full \(507 Insufficient Storage\)/);
    const shown = (await asOwner('GET', `/v1/recordings/${full.id}`)).body;
    assert.equal(shown.status, 'completed');
    assert.equal(shown.ownerCopy.status, 'failed');
    assert.match(shown.ownerCopy.error, /507/);
    assert.equal(proxy.puts, 1, 'a full server is not asked again and again');

    proxy.mode = 'refusing';
    const refused = await recordAndWait();
    assert.match((await asOwner('GET', `/v1/recordings/${refused.id}`)).body.ownerCopy.error, /refused these credentials \(403\)/);

    proxy.mode = 'slow';
    const slow = await recordAndWait();
    assert.equal((await asOwner('GET', `/v1/recordings/${slow.id}`)).body.ownerCopy.status, 'copied');
    proxy.mode = 'through';
  });

  it('removing the setting stops the copies', async () => {
    assert.equal((await asOwner('DELETE', '/v1/me/webdav')).status, 204);
    const before = await filesUnder(dav.root);
    const { id, result } = await recordAndWait();
    assert.deepEqual(result.warnings ?? [], []);
    assert.equal((await asOwner('GET', `/v1/recordings/${id}`)).body.ownerCopy, null);
    assert.deepEqual(await filesUnder(dav.root), before);
  });
});
