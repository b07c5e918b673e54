// Recording management through the real product (API, worker, Temporal dev server, PGlite, local storage):
// lists with pagination and filters, only what the caller may see; sharing with named users and through
// public links (expiry, revocation); downloads through short-lived signed links; the access log; deletion
// by the owner through its workflow.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct, type TestUser } from './support/product.ts';
import { remainingKeys, seedRecording, seedRoom, type SeededRecording } from './support/recordings.ts';
import { Meeting, Recording, RecordingAccessLog, RecordingShare, Transcript } from '../db/entities.ts';

const DAY = 86_400_000;

describe('recordings API', () => {
  let product: TestProduct;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let asAlice: ReturnType<TestProduct['as']>;
  let asBob: ReturnType<TestProduct['as']>;
  let asAnyone: ReturnType<TestProduct['as']>;
  /** Alice's: 25 in room "alpha" (cloud, one a day), and a few in "beta". */
  const alpha: SeededRecording[] = [];
  let betaRaw: SeededRecording;
  let betaRawNoMp3: SeededRecording;
  let bobs: SeededRecording;
  const base = Date.parse('2026-10-01T12:00:00Z');

  before(async () => {
    product = await startTestProduct({ name: 'recordings-api', env: { RECORDING_RETENTION_DAYS: '365' } });
    alice = await product.createUser({ email: 'alice@example.com' });
    bob = await product.createUser({ email: 'bob@example.com' });
    carol = await product.createUser({ email: 'carol@example.com' });
    asAlice = product.as(alice.headers);
    asBob = product.as(bob.headers);
    asAnyone = product.as({});
    const em = product.services.db.em.fork();
    const { storage } = product.services;
    const a = await seedRoom(em, { name: 'alpha', ownerId: alice.id });
    for (let i = 0; i < 25; i++) {
      alpha.push(await seedRecording(em, storage, { meeting: a.meeting, type: 'cloud', recordedAt: new Date(base + i * DAY), status: i % 5 === 0 ? 'failed' : 'completed' }));
    }
    const b = await seedRoom(em, { name: 'beta', ownerId: alice.id, retentionDays: 30 });
    betaRaw = await seedRecording(em, storage, { meeting: b.meeting, type: 'raw-tracks', recordedAt: new Date(base + 40 * DAY), transcript: true, mp3: true });
    betaRawNoMp3 = await seedRecording(em, storage, { meeting: b.meeting, type: 'raw-tracks', recordedAt: new Date(base + 41 * DAY), transcript: true, tracks: 3 });
    const c = await seedRoom(em, { name: 'bobs-room', ownerId: bob.id });
    bobs = await seedRecording(em, storage, { meeting: c.meeting, type: 'cloud', recordedAt: new Date(base) });
  });
  after(() => product?.stop());

  it('pages: limit 1..100, offset, total and hasMore; past the end is empty', async () => {
    const all = await asAlice('GET', '/v1/recordings?limit=100');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 27);
    assert.equal(all.body.items.length, 27);
    assert.equal(all.body.hasMore, false);
    // Newest first.
    assert.equal(all.body.items[0].id, betaRawNoMp3.recording.id);
    assert.deepEqual(all.body.items.map((r: any) => r.recordedAt), [...all.body.items.map((r: any) => r.recordedAt)].sort().reverse());

    const first = await asAlice('GET', '/v1/recordings');
    assert.equal(first.body.limit, 20);
    assert.equal(first.body.items.length, 20);
    assert.equal(first.body.hasMore, true);
    const rest = await asAlice('GET', '/v1/recordings?offset=20');
    assert.equal(rest.body.items.length, 7);
    assert.equal(rest.body.hasMore, false);
    assert.deepEqual(new Set([...first.body.items, ...rest.body.items].map((r: any) => r.id)).size, 27);
    const past = await asAlice('GET', '/v1/recordings?offset=1000&limit=5');
    assert.deepEqual({ items: past.body.items, total: past.body.total, hasMore: past.body.hasMore }, { items: [], total: 27, hasMore: false });

    for (const bad of ['limit=101', 'limit=0', 'limit=-1', 'limit=abc', 'offset=-1', 'status=nope', 'type=zoom', 'from=yesterday', 'from=2026-10-05T00:00:00Z&to=2026-10-01T00:00:00Z']) {
      const answer = await asAlice('GET', `/v1/recordings?${bad}`);
      assert.equal(answer.status, 400, bad);
      assert.equal(answer.body.error.code, 'invalid_input', bad);
      assert.ok(answer.body.error.details.length > 0, bad);
    }
    const fromAfterTo = await asAlice('GET', '/v1/recordings?from=2026-10-05T00:00:00Z&to=2026-10-01T00:00:00Z');
    assert.equal(fromAfterTo.body.error.details[0].field, 'from');
  });

  it('filters by status, room, type and date range', async () => {
    const failed = await asAlice('GET', '/v1/recordings?status=failed&limit=100');
    assert.equal(failed.body.total, 5);
    assert.ok(failed.body.items.every((r: any) => r.status === 'failed'));
    const beta = await asAlice('GET', '/v1/recordings?room=beta');
    assert.deepEqual(beta.body.items.map((r: any) => r.id).sort(), [betaRaw.recording.id, betaRawNoMp3.recording.id].sort());
    const raw = await asAlice('GET', '/v1/recordings?type=raw-tracks');
    assert.equal(raw.body.total, 2);
    const range = await asAlice('GET', `/v1/recordings?from=${new Date(base + 2 * DAY).toISOString()}&to=${new Date(base + 4 * DAY).toISOString()}`);
    assert.deepEqual(range.body.items.map((r: any) => r.id), [alpha[4]!, alpha[3]!, alpha[2]!].map((s) => s.recording.id));
    const offsetForm = await asAlice('GET', `/v1/recordings?from=${encodeURIComponent('2026-10-03T14:00:00+02:00')}&room=alpha&type=cloud&status=completed`);
    // 14:00+02:00 is 12:00Z: alpha recordings 2…24 (23), minus the failed ones among them (5, 10, 15, 20).
    assert.equal(offsetForm.body.total, 19);
    const none = await asAlice('GET', '/v1/recordings?room=nope');
    assert.equal(none.body.total, 0);
  });

  it("shows each item's transcript, owner flag and expiry (room retention, else the default)", async () => {
    const list = await asAlice('GET', '/v1/recordings?room=beta');
    const item = list.body.items.find((r: any) => r.id === betaRaw.recording.id);
    assert.equal(item.transcriptId, betaRaw.transcript!.id);
    assert.equal(item.transcriptStatus, 'ended');
    assert.equal(item.isOwner, true);
    assert.equal(item.shareMode, 'private');
    assert.equal(item.roomName, 'beta');
    assert.equal(item.expiresAt, new Date(base + 40 * DAY + 30 * DAY).toISOString());
    const cloud = (await asAlice('GET', `/v1/recordings/${alpha[0]!.recording.id}`)).body;
    assert.equal(cloud.expiresAt, new Date(base + 365 * DAY).toISOString());
  });

  it("never shows another user's recordings: not listed, 404 by id, 401 without credentials", async () => {
    const list = await asBob('GET', '/v1/recordings?limit=100');
    assert.deepEqual(list.body.items.map((r: any) => r.id), [bobs.recording.id]);
    for (const path of ['', '/status', '/download', '/sharing', '/access-log']) {
      const answer = await asBob('GET', `/v1/recordings/${alpha[1]!.recording.id}${path}`);
      assert.equal(answer.status, 404, path);
    }
    assert.equal((await asBob('DELETE', `/v1/recordings/${alpha[1]!.recording.id}`)).status, 404);
    assert.equal((await asBob('PUT', `/v1/recordings/${alpha[1]!.recording.id}/sharing`, { mode: 'public' })).status, 404);
    assert.equal((await asAnyone('GET', `/v1/recordings/${alpha[1]!.recording.id}`)).status, 401);
    assert.equal((await asAnyone('GET', '/v1/recordings')).status, 401);
    assert.equal((await asAlice('GET', '/v1/recordings/does-not-exist')).status, 404);
    // Admins see everything.
    const admin = await product.request('GET', '/v1/recordings?limit=100');
    assert.equal(admin.body.total, 28);
  });

  it('shares with named users: they list and view it, may not delete, reshare or read the log; unknown emails are named', async () => {
    const id = alpha[1]!.recording.id;
    const unknown = await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'shared', userEmails: ['bob@example.com', 'nobody@example.com'] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.details[0].field, 'userEmails.1');
    assert.match(unknown.body.error.message, /nobody@example\.com/);
    assert.equal((await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'private', userEmails: ['bob@example.com'] })).status, 400);

    const shared = await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'shared', userEmails: ['Bob@Example.com', 'bob@example.com'] });
    assert.equal(shared.status, 200);
    assert.deepEqual(shared.body, { mode: 'shared', users: [{ id: bob.id, email: 'bob@example.com', displayName: 'bob' }], publicLink: null });
    assert.deepEqual((await asAlice('GET', `/v1/recordings/${id}/sharing`)).body, shared.body);

    const list = await asBob('GET', '/v1/recordings?limit=100');
    assert.deepEqual(list.body.items.map((r: any) => [r.id, r.isOwner]).sort(), [[bobs.recording.id, true], [id, false]].sort());
    const view = await asBob('GET', `/v1/recordings/${id}`, undefined, { 'user-agent': 'bob-browser/1.0' });
    assert.equal(view.status, 200);
    assert.equal(view.body.isOwner, false);
    assert.equal((await asBob('GET', `/v1/recordings/${id}/status`)).status, 200);
    assert.equal((await asBob('DELETE', `/v1/recordings/${id}`)).status, 403);
    assert.equal((await asBob('GET', `/v1/recordings/${id}/sharing`)).status, 403);
    assert.equal((await asBob('PUT', `/v1/recordings/${id}/sharing`, { mode: 'private' })).status, 403);
    assert.equal((await asBob('GET', `/v1/recordings/${id}/access-log`)).status, 403);
    assert.equal((await product.as(carol.headers)('GET', `/v1/recordings/${id}`)).status, 404);

    // Replacing the list and going private take the access away.
    await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'shared', userEmails: ['carol@example.com'] });
    assert.equal((await asBob('GET', `/v1/recordings/${id}`)).status, 404);
    assert.equal((await product.as(carol.headers)('GET', `/v1/recordings/${id}`)).status, 200);
    const priv = await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'private' });
    assert.deepEqual(priv.body, { mode: 'private', users: [], publicLink: null });
    assert.equal((await product.as(carol.headers)('GET', `/v1/recordings/${id}`)).status, 404);
    assert.equal(await product.services.db.em.fork().count(RecordingShare, { recording: id }), 0);
  });

  it('public links work without an account, stop when revoked or expired, and are shown once', async () => {
    const id = betaRaw.recording.id;
    assert.equal((await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'public', publicLinkExpiresAt: new Date(Date.now() - 1000).toISOString() })).status, 400);
    assert.equal((await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'public', publicLinkExpiresAt: new Date(Date.now() + 91 * DAY).toISOString() })).status, 400);
    const made = await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'public' });
    assert.equal(made.status, 200);
    const link = new URL(made.body.publicLink.url);
    assert.equal(link.origin + link.pathname, `${product.config.api.publicUrl}/v1/recordings/${id}`);
    const expiresIn = Date.parse(made.body.publicLink.expiresAt) - Date.now();
    assert.ok(expiresIn > 7 * DAY - 60_000 && expiresIn <= 7 * DAY, String(expiresIn));
    const again = await asAlice('GET', `/v1/recordings/${id}/sharing`);
    assert.deepEqual(again.body.publicLink, { url: null, expiresAt: made.body.publicLink.expiresAt });

    const share = link.searchParams.get('share')!;
    const view = await asAnyone('GET', `/v1/recordings/${id}?share=${share}`, undefined, { 'user-agent': 'someone-with-the-link' });
    assert.equal(view.status, 200);
    assert.equal(view.body.isOwner, false);
    assert.equal(view.body.download.kind, 'mp3');
    assert.match(view.body.download.url, new RegExp(`share=${share}`));
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}/status?share=${share}`)).status, 200);
    assert.equal((await asAnyone('GET', `${view.body.transcript.url}`)).status, 200);
    const download = await asAnyone('GET', `/v1/recordings/${id}/download?share=${share}&redirect=false`);
    assert.equal(download.status, 200);
    assert.equal(await (await fetch(download.body.url)).text(), `mp3 of ${id}`);
    // Never enough on its own to list, to manage or to delete.
    assert.equal((await asAnyone('GET', `/v1/recordings?share=${share}`)).status, 401);
    assert.equal((await asAnyone('DELETE', `/v1/recordings/${id}?share=${share}`)).status, 401);
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}/access-log?share=${share}`)).status, 401);
    assert.equal((await asAnyone('GET', `/v1/recordings/${betaRawNoMp3.recording.id}?share=${share}`)).status, 404);
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}?share=shr_wrong`)).status, 404);

    // A new link revokes the old one; leaving "public" revokes it too.
    const renewed = await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'public', publicLinkExpiresAt: new Date(Date.now() + 2 * DAY).toISOString() });
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}?share=${share}`)).status, 404);
    const share2 = new URL(renewed.body.publicLink.url).searchParams.get('share')!;
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}?share=${share2}`)).status, 200);
    await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'private' });
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}?share=${share2}`)).status, 404);

    // Expiry.
    const short = await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'public', publicLinkExpiresAt: new Date(Date.now() + 1500).toISOString() });
    const share3 = new URL(short.body.publicLink.url).searchParams.get('share')!;
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}?share=${share3}`)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}?share=${share3}`)).status, 404);
    await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'private' });
  });

  it("a transcript's own rule: private hides it from the recording's viewers; its own public link opens only the transcript", async () => {
    const id = betaRaw.recording.id;
    const transcriptId = betaRaw.transcript!.id;
    await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'shared', userEmails: ['bob@example.com'] });
    assert.equal((await asBob('GET', `/v1/transcripts/${transcriptId}`)).status, 200);
    assert.equal((await asBob('PUT', `/v1/transcripts/${transcriptId}/sharing`, { mode: 'private' })).status, 403);
    const priv = await asAlice('PUT', `/v1/transcripts/${transcriptId}/sharing`, { mode: 'private' });
    assert.deepEqual(priv.body, { mode: 'private', publicLink: null });
    assert.equal((await asBob('GET', `/v1/transcripts/${transcriptId}`)).status, 404);
    assert.equal((await asBob('GET', `/v1/recordings/${id}`)).body.transcript, null);
    assert.equal((await asAlice('GET', `/v1/recordings/${id}`)).body.transcript.id, transcriptId);

    const pub = await asAlice('PUT', `/v1/transcripts/${transcriptId}/sharing`, { mode: 'public' });
    const url = new URL(pub.body.publicLink.url);
    assert.equal(url.pathname, `/v1/transcripts/${transcriptId}`);
    const share = url.searchParams.get('share')!;
    assert.equal((await asAnyone('GET', `/v1/transcripts/${transcriptId}?share=${share}`)).status, 200);
    assert.equal((await asAnyone('GET', `/v1/recordings/${id}?share=${share}`)).status, 404);
    assert.deepEqual((await asAlice('GET', `/v1/transcripts/${transcriptId}/sharing`)).body.publicLink, { url: null, expiresAt: pub.body.publicLink.expiresAt });
    await asAlice('PUT', `/v1/transcripts/${transcriptId}/sharing`, { mode: 'inherit' });
    assert.equal((await asAnyone('GET', `/v1/transcripts/${transcriptId}?share=${share}`)).status, 404);
    assert.equal((await asBob('GET', `/v1/transcripts/${transcriptId}`)).status, 200);
    await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'private' });
  });

  it('downloads through short-lived signed links: 307 for cloud MP4, the mixed MP3, or tracks one by one', async () => {
    const cloud = alpha[1]!.recording;
    const view = await asAlice('GET', `/v1/recordings/${cloud.id}`);
    assert.deepEqual(view.body.download, { url: `/v1/recordings/${cloud.id}/download`, kind: 'mp4', tracks: [] });
    assert.equal(view.body.meeting.roomName, 'alpha');
    assert.equal(view.body.sizeBytes, 1000);
    assert.equal(view.body.durationSeconds, 60);
    const redirect = await fetch(`${product.url}/v1/recordings/${cloud.id}/download`, { headers: alice.headers, redirect: 'manual' });
    assert.equal(redirect.status, 307);
    const location = redirect.headers.get('location')!;
    assert.match(location, /expires=\d+/);
    const media = await fetch(location);
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'video/mp4');
    assert.match(media.headers.get('content-disposition') ?? '', /recording-.*\.mp4/);
    assert.equal(await media.text(), `mp4 of ${cloud.id}`);
    const json = await asAlice('GET', `/v1/recordings/${cloud.id}/download?redirect=false`);
    const ttl = Date.parse(json.body.expiresAt) - Date.now();
    assert.ok(ttl > 0 && ttl <= product.config.signedUrlTtlSeconds * 1000);

    // A failed recording has nothing to download.
    assert.equal((await asAlice('GET', `/v1/recordings/${alpha[0]!.recording.id}`)).body.download, null);
    assert.equal((await asAlice('GET', `/v1/recordings/${alpha[0]!.recording.id}/download`)).status, 409);

    // Raw tracks without a mixed MP3: the tracks one by one.
    const raw = betaRawNoMp3.recording;
    const rawView = await asAlice('GET', `/v1/recordings/${raw.id}`);
    assert.equal(rawView.body.download.kind, 'tracks');
    assert.equal(rawView.body.download.tracks.length, 3);
    assert.equal((await asAlice('GET', `/v1/recordings/${raw.id}/download`)).body.error.code, 'track_required');
    const track = await asAlice('GET', `${rawView.body.download.tracks[2].url}&redirect=false`);
    assert.equal(await (await fetch(track.body.url)).text(), `audio track 2 of ${raw.id}`);
    assert.equal((await asAlice('GET', `/v1/recordings/${raw.id}/download?track=3`)).status, 404);
  });

  it('polls status cheaply, without logging', async () => {
    const id = betaRaw.recording.id;
    const em = product.services.db.em.fork();
    const before = await em.count(RecordingAccessLog, { recordingId: id });
    const status = await asAlice('GET', `/v1/recordings/${id}/status`);
    assert.deepEqual(status.body, { id, status: 'completed', transcriptStatus: 'ended', progress: { step: 'done', percent: 100, tracksDone: 0, tracksTotal: 0 } });
    assert.equal(await em.count(RecordingAccessLog, { recordingId: id }), before);
  });

  it('logs views, downloads and shares with user, action, IP and user agent; readable by the owner and admins', async () => {
    const id = betaRaw.recording.id;
    await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'shared', userEmails: ['bob@example.com'] });
    await asBob('GET', `/v1/recordings/${id}`, undefined, { 'user-agent': 'bob-browser/2.0' });
    await asBob('GET', `/v1/recordings/${id}/download?redirect=false`, undefined, { 'user-agent': 'bob-browser/2.0' });
    await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'private' });

    const log = await asAlice('GET', `/v1/recordings/${id}/access-log?limit=4`);
    assert.equal(log.status, 200);
    assert.equal(log.body.items.length, 4);
    assert.ok(log.body.total > 4);
    assert.equal(log.body.hasMore, true);
    const [priv, download, view, share] = log.body.items;
    assert.deepEqual([priv.action, download.action, view.action, share.action], ['share', 'download', 'view', 'share']);
    assert.equal(priv.detail, 'private');
    assert.equal(priv.userEmail, 'alice@example.com');
    assert.equal(share.detail, 'shared with bob@example.com');
    assert.deepEqual({ userId: view.userId, userEmail: view.userEmail, userAgent: view.userAgent }, { userId: bob.id, userEmail: 'bob@example.com', userAgent: 'bob-browser/2.0' });
    assert.equal(download.detail, 'mixed audio (MP3)');
    assert.equal(download.transcriptId, betaRaw.transcript!.id);
    assert.match(view.ip, /127\.0\.0\.1/);
    assert.ok(Date.parse(priv.at) >= Date.parse(download.at));

    // Earlier: the public-link views, with no user.
    const all = await asAlice('GET', `/v1/recordings/${id}/access-log?limit=100`);
    const anonymous = all.body.items.find((e: any) => e.userAgent === 'someone-with-the-link');
    assert.deepEqual({ action: anonymous.action, userId: anonymous.userId, detail: anonymous.detail }, { action: 'view', userId: null, detail: 'public link' });
    assert.ok(all.body.items.some((e: any) => e.action === 'share' && e.transcriptId === betaRaw.transcript!.id));
    const admin = await product.request('GET', `/v1/recordings/${id}/access-log?limit=100`);
    assert.equal(admin.body.total, all.body.total);
  });

  it('deletes for its owner: gone at once for everyone, then objects and rows through recording-deletion/<id>; the log stays', async () => {
    const target = betaRaw;
    const id = target.recording.id;
    await asAlice('PUT', `/v1/recordings/${id}/sharing`, { mode: 'shared', userEmails: ['bob@example.com'] });
    assert.equal((await asBob('DELETE', `/v1/recordings/${id}`)).status, 403);

    const deleted = await asAlice('DELETE', `/v1/recordings/${id}`);
    assert.equal(deleted.status, 202);
    assert.equal(deleted.body.workflowId, `recording-deletion/${id}`);
    for (const as of [asAlice, asBob, product.request.bind(product)]) assert.equal((await as('GET', `/v1/recordings/${id}`)).status, 404);
    assert.equal((await asAlice('DELETE', `/v1/recordings/${id}`)).status, 404);
    assert.equal((await asAlice('GET', `/v1/transcripts/${target.transcript!.id}`)).status, 404);
    assert.ok(!(await asAlice('GET', '/v1/recordings?limit=100')).body.items.some((r: any) => r.id === id));

    const handle = product.services.temporal.workflow.getHandle(deleted.body.workflowId);
    const result = await handle.result();
    assert.equal(result.rowsDeleted, true);
    assert.equal(result.objectsDeleted, target.keys.length);
    assert.match((await (await handle.describe()).staticSummary()) ?? '', /beta/);
    assert.deepEqual(await remainingKeys(product.services.storage, target.keys), []);
    const em = product.services.db.em.fork();
    assert.equal(await em.count(Recording, { id }), 0);
    assert.equal(await em.count(Transcript, { id: target.transcript!.id }), 0);
    assert.equal(await em.count(RecordingShare, { recording: id }), 0);
    const log = await em.find(RecordingAccessLog, { recordingId: id, action: 'delete' });
    assert.deepEqual(log.map((e) => [e.userId, e.detail]), [[alice.id, 'by owner']]);
    // Nothing of the other recordings went with it.
    assert.equal((await remainingKeys(product.services.storage, betaRawNoMp3.keys)).length, betaRawNoMp3.keys.length);
  });

  it("a cloud recording's deletion leaves its meeting without the key", async () => {
    const target = alpha[2]!;
    const em = product.services.db.em.fork();
    const meetingId = target.recording.meeting!.id;
    await em.nativeUpdate(Meeting, { id: meetingId }, { cloudRecordingKey: target.recording.objectKey });
    const deleted = await product.request('DELETE', `/v1/recordings/${target.recording.id}`);
    assert.equal(deleted.status, 202);
    await product.services.temporal.workflow.getHandle(deleted.body.workflowId).result();
    assert.equal((await em.fork().findOneOrFail(Meeting, meetingId)).cloudRecordingKey, null);
    assert.deepEqual(await remainingKeys(product.services.storage, target.keys), []);
    const log = await em.fork().find(RecordingAccessLog, { recordingId: target.recording.id, action: 'delete' });
    assert.equal(log.length, 1);
    assert.ok(log[0]!.userId, 'the admin who deleted it');
  });
});
