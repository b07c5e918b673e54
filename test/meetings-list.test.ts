// GET /v1/meetings: the meetings of the caller's rooms (admins: all), newest first, paginated, filterable by
// room and status, each with who took part and the recordings and transcripts the caller may see; and the
// recordings list's title and participants.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom } from './support/recordings.ts';
import { Meeting, ParticipantSession, type Room } from '../db/entities.ts';

describe('meetings list', () => {
  let product: TestProduct;
  let alice: TestUser;
  let bob: TestUser;
  let asAlice: ReturnType<TestProduct['as']>;
  let asBob: ReturnType<TestProduct['as']>;
  let alphaRoom: Room;
  const alphaMeetings: Meeting[] = [];
  let transcriptId: string;
  let rawId: string;
  let cloudId: string;
  const base = Date.parse('2026-10-01T12:00:00Z');

  before(async () => {
    product = await startTestProduct({ name: 'meetings-list', worker: false });
    alice = await product.createUser({ email: 'alice@example.com' });
    bob = await product.createUser({ email: 'bob@example.com' });
    asAlice = product.as(alice.headers);
    asBob = product.as(bob.headers);
    const em = product.services.db.em.fork();
    const { storage } = product.services;
    const alpha = await seedRoom(em, { name: 'alpha', ownerId: alice.id });
    alphaRoom = alpha.room;
    alpha.meeting.startDate = new Date(base - 86_400_000);
    alphaMeetings.push(alpha.meeting);
    for (let i = 1; i <= 4; i++) {
      alphaMeetings.push(em.create(Meeting, {
        room: alphaRoom, platform: 'daily', platformRoomName: `alpha-2026100${i}120000`, startDate: new Date(base + i * 86_400_000), endDate: new Date(base + i * 86_400_000 + 1_800_000),
        recordingType: 'cloud', recordingTrigger: 'automatic', active: i === 4,
      }));
    }
    await em.flush();
    // The newest ended meeting: two people (one joined twice), a raw-tracks recording with its titled transcript, and a cloud one.
    const m = alphaMeetings[3]!;
    const at = (s: number) => new Date(m.startDate.getTime() + s * 1000);
    em.create(ParticipantSession, { meeting: m, sessionId: 's-ann-1', userName: 'Ann', joinedAt: at(5), leftAt: at(60) });
    em.create(ParticipantSession, { meeting: m, sessionId: 's-ben', userName: 'Ben Okonkwo-Lindqvist', joinedAt: at(10), leftAt: at(100) });
    em.create(ParticipantSession, { meeting: m, sessionId: 's-ann-2', userName: 'Ann', joinedAt: at(70), leftAt: at(100) });
    await em.flush();
    const raw = await seedRecording(em, storage, { meeting: m, type: 'raw-tracks', recordedAt: at(6), transcript: true });
    raw.transcript!.title = 'Quarterly budget review';
    await em.flush();
    const cloud = await seedRecording(em, storage, { meeting: m, type: 'cloud', recordedAt: at(7) });
    transcriptId = raw.transcript!.id;
    rawId = raw.recording.id;
    cloudId = cloud.recording.id;
    await seedRoom(em, { name: 'bobs-room', ownerId: bob.id });
  });
  after(() => product?.stop());

  it('lists only the caller’s rooms’ meetings, newest first, paged', async () => {
    const all = await asAlice('GET', '/v1/meetings?limit=100');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 5);
    assert.deepEqual(all.body.items.map((m: any) => m.id), [...alphaMeetings].reverse().map((m) => m.id));
    assert.ok(all.body.items.every((m: any) => m.roomName === 'alpha'));
    const page = await asAlice('GET', '/v1/meetings?limit=2&offset=2');
    assert.deepEqual(page.body.items.map((m: any) => m.id), [alphaMeetings[2]!.id, alphaMeetings[1]!.id]);
    assert.equal(page.body.hasMore, true);
    const bobs = await asBob('GET', '/v1/meetings');
    assert.deepEqual(bobs.body.items.map((m: any) => m.roomName), ['bobs-room']);
    const admin = await product.request('GET', '/v1/meetings?limit=100');
    assert.equal(admin.body.total, 6);
  });

  it('filters by room and status; bad filters are 400 naming the field', async () => {
    const alpha = await asAlice('GET', '/v1/meetings?room=alpha&status=ended');
    assert.equal(alpha.body.total, 4);
    assert.ok(alpha.body.items.every((m: any) => !m.active));
    const active = await asAlice('GET', '/v1/meetings?status=active');
    assert.deepEqual(active.body.items.map((m: any) => m.id), [alphaMeetings[4]!.id]);
    // Another owner's room is not listed, whoever asks.
    assert.equal((await asAlice('GET', '/v1/meetings?room=bobs-room')).body.total, 0);
    for (const bad of ['status=done', 'limit=0', 'limit=101', 'offset=-1']) {
      const answer = await asAlice('GET', `/v1/meetings?${bad}`);
      assert.equal(answer.status, 400, bad);
      assert.equal(answer.body.error.details[0].field, bad.split('=')[0], bad);
    }
    assert.equal((await product.as({})('GET', '/v1/meetings')).status, 401);
  });

  it('each meeting names who took part, once each in order of joining, with its recordings and transcripts', async () => {
    const item = (await asAlice('GET', '/v1/meetings?status=ended&limit=1')).body.items[0];
    assert.equal(item.id, alphaMeetings[3]!.id);
    assert.deepEqual(item.participants, ['Ann', 'Ben Okonkwo-Lindqvist']);
    assert.deepEqual(item.recordings.map((r: any) => [r.id, r.type, r.status]), [[rawId, 'raw-tracks', 'completed'], [cloudId, 'cloud', 'completed']]);
    assert.deepEqual(item.transcripts, [{ id: transcriptId, recordingId: rawId, status: 'ended', title: 'Quarterly budget review' }]);
    const quiet = (await asAlice('GET', '/v1/meetings?status=ended&limit=1&offset=1')).body.items[0];
    assert.deepEqual([quiet.participants, quiet.recordings, quiet.transcripts], [[], [], []]);
  });

  it('the recordings list shows each recording’s meeting title and participants (the cloud one borrows its meeting’s title)', async () => {
    const list = (await asAlice('GET', '/v1/recordings?room=alpha')).body.items;
    const byId = new Map(list.map((r: any) => [r.id, r]));
    for (const id of [rawId, cloudId]) {
      assert.equal((byId.get(id) as any).title, 'Quarterly budget review', id);
      assert.deepEqual((byId.get(id) as any).participants, ['Ann', 'Ben Okonkwo-Lindqvist'], id);
    }
    const one = await asAlice('GET', `/v1/recordings/${cloudId}`);
    assert.equal(one.body.title, 'Quarterly budget review');
  });
});

describe('room names', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'room-names', worker: false });
  });
  after(() => product?.stop());

  it('a room may not take the name of one of the app’s pages (its page would be that page)', async () => {
    for (const name of ['meetings', 'recordings', 'account', 'signin']) {
      const answer = await product.request('POST', '/v1/rooms', { name });
      assert.equal(answer.status, 400, name);
      assert.equal(answer.body.error.details[0].field, 'name', name);
    }
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'meetings-weekly' })).status, 201);
  });
});

describe('a meeting’s timeline', () => {
  let product: TestProduct;
  let alice: TestUser;
  let bob: TestUser;
  let meeting: Meeting;
  const parts: Array<{ transcriptId: string; recordingId: string }> = [];

  before(async () => {
    product = await startTestProduct({ name: 'meeting-timeline', worker: false });
    alice = await product.createUser({ email: 'alice@example.com' });
    bob = await product.createUser({ email: 'bob@example.com' });
    const em = product.services.db.em.fork();
    const { storage } = product.services;
    ({ meeting } = await seedRoom(em, { name: 'weekly', ownerId: alice.id }));
    const at = (s: number) => new Date(meeting.startDate.getTime() + s * 1000);
    // Recorded from 0:10 for a minute, stopped for three minutes, recorded again for a minute; the second part's
    // transcript is made first (creation order is not recording order).
    for (const [offset, title] of [[250, 'After the break'], [10, 'Opening']] as const) {
      const { recording, transcript } = await seedRecording(em, storage, { meeting, type: 'raw-tracks', recordedAt: at(offset), transcript: true });
      transcript!.title = title;
      parts.unshift({ transcriptId: transcript!.id, recordingId: recording.id });
    }
    await em.flush();
  });
  after(() => product?.stop());

  it('lays the parts out in the order recorded, with where each starts and how long was not recorded between', async () => {
    const answer = await product.as(alice.headers)('GET', `/v1/meetings/${meeting.id}/timeline`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.roomName, 'weekly');
    assert.deepEqual(answer.body.parts.map((p: any) => [p.transcriptId, p.recordingId, p.title, p.startSeconds, p.durationSeconds, p.gapBeforeSeconds]), [
      [parts[0]!.transcriptId, parts[0]!.recordingId, 'Opening', 0, 60, null],
      [parts[1]!.transcriptId, parts[1]!.recordingId, 'After the break', 240, 60, 180],
    ]);
    assert.equal(Date.parse(answer.body.parts[1].recordedAt) - Date.parse(answer.body.parts[0].recordedAt), 240_000);
  });

  it('is the host’s: another user is refused, a stranger to the API is asked to sign in, an unknown meeting is 404', async () => {
    const asBob = await product.as(bob.headers)('GET', `/v1/meetings/${meeting.id}/timeline`);
    assert.ok([403, 404].includes(asBob.status), `Bob: ${asBob.status}`);
    assert.equal(asBob.body.parts, undefined);
    assert.equal((await product.as({})('GET', `/v1/meetings/${meeting.id}/timeline`)).body.parts, undefined);
    assert.equal((await product.as(alice.headers)('GET', '/v1/meetings/00000000-0000-4000-8000-000000000000/timeline')).status, 404);
  });
});
