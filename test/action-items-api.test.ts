// Action items as things through the real product (Koa, PGlite, storage): the pipeline's summary step (the real
// activity with the offline summariser, in the Temporal SDK's activity environment) makes them with their owner, due
// day and moment; the owner ticks, edits, adds and deletes them, each change in the access log and found by search;
// another user cannot see them, a viewer of a shared room sees and cannot change them; a room lists its open items
// across meetings and exports them as CSV and Markdown; a rerun of the summary keeps what a person touched and does
// not bring back what they deleted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startTestProduct, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom, seedTranscriptContent } from './support/recordings.ts';
import { Room, Transcript, type Meeting } from '../db/entities.ts';
import { indexTranscript } from '../transcripts/search-index.ts';
import { createTranscriptionActivities } from '../activities/transcription.ts';
import { OfflineSummarizer } from '../summaries/offline.ts';
import type { Segment } from '../transcripts/words.ts';

interface Item { id: string; text: string; owner: string | null; due: string | null; startSeconds: number | null; link: string; done: boolean; doneBy: string | null; source: string }

describe('action items (API)', () => {
  let product: TestProduct;
  let alice: TestUser;
  let bob: TestUser;
  let asAlice: ReturnType<TestProduct['as']>;
  let asBob: ReturnType<TestProduct['as']>;
  let meeting: Meeting;
  let roomId: string;
  const transcripts: string[] = [];

  /** A transcript of these turns, summarised by the pipeline's real step. */
  async function transcriptOf(recordedAt: Date, turns: Array<[string, number, string]>): Promise<string> {
    const em = product.services.db.em.fork();
    const { transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true, recordedAt });
    const names = [...new Set(turns.map(([name]) => name))];
    const segments: Segment[] = turns.map(([name, start, text]) => ({ speaker: names.indexOf(name), speakerName: name, start, end: start + 4, text, words: [] }));
    await seedTranscriptContent(em, product.services.storage, transcript!.id, { segments, names });
    await summarize(transcript!.id);
    return transcript!.id;
  }
  async function summarize(transcriptId: string): Promise<void> {
    const activities = createTranscriptionActivities({
      db: product.services.db, storage: product.services.storage, platforms: product.services.platforms,
      transcription: { recognizer: {} as never, summarizer: new OfflineSummarizer(), language: 'en', publicUrl: product.url, allowPrivateWebhooks: true },
    });
    await new MockActivityEnvironment().run(activities.summarizeTranscript, { transcriptId, recordingId: 'unused' });
    await indexTranscript(product.services.db.em.fork(), product.services.storage, transcriptId);
  }
  const items = async (id: string, as = asAlice) => ((await as('GET', `/v1/transcripts/${id}/action-items`)).body as { items: Item[] }).items;

  before(async () => {
    product = await startTestProduct({ name: 'actionitems', worker: false });
    alice = await product.createUser({ email: 'alice-actions@example.com' });
    bob = await product.createUser({ email: 'bob-actions@example.com' });
    asAlice = product.as(alice.headers);
    asBob = product.as(bob.headers);
    const seeded = await seedRoom(product.services.db.em.fork(), { name: 'action-planning', ownerId: alice.id });
    meeting = seeded.meeting;
    roomId = seeded.room.id;
    // A Wednesday's meeting, then a later one.
    transcripts.push(await transcriptOf(new Date('2026-12-02T15:00:00Z'), [
      ['Grace', 2, 'Good afternoon, this is the budget review.'],
      ['Grace', 8, 'Ava, please draft the release notes before Monday.'],
      ['Ava', 14, 'Sure. And I will send the revised budget to finance tomorrow.'],
      ['Grace', 20, 'Great, that is all for today.'],
    ]));
    transcripts.push(await transcriptOf(new Date('2026-12-03T10:00:00Z'), [
      ['Ava', 3, 'Quick sync on the launch.'],
      ['Ava', 9, 'I will book the launch venue by Friday.'],
    ]));
  });
  after(async () => {
    await product?.stop();
  });

  it('makes the summary’s items things: owner, due day and the moment they were said', async () => {
    const found = await items(transcripts[0]!);
    assert.deepEqual(found.map((i) => [i.owner, i.due, i.startSeconds, i.source, i.done]), [
      ['Ava', '2026-12-07', 8, 'summary', false],
      ['Ava', '2026-12-03', 14, 'summary', false],
    ], JSON.stringify(found));
    assert.match(found[0]!.text, /draft the release notes/);
    assert.equal(found[0]!.link, `/transcripts/${transcripts[0]}?t=8`);
    const transcript = await asAlice('GET', `/v1/transcripts/${transcripts[0]}`);
    assert.deepEqual(transcript.body.actionItems, found.map((i) => i.text), 'the transcript shows the same items');
  });

  it('lets the owner tick, edit, add and delete, logged and searchable; refuses bad input and others', async () => {
    const id = transcripts[0]!;
    const [first, second] = await items(id);
    const ticked = await asAlice('PATCH', `/v1/transcripts/${id}/action-items/${first!.id}`, { done: true });
    assert.equal(ticked.status, 200, JSON.stringify(ticked.body));
    assert.equal(ticked.body.done, true);
    assert.equal(ticked.body.doneBy, alice.id);
    const edited = await asAlice('PATCH', `/v1/transcripts/${id}/action-items/${second!.id}`, { text: 'Send the quarterly budget to the auditors', owner: 'Grace', due: null });
    assert.equal(edited.status, 200);
    assert.deepEqual([edited.body.text, edited.body.owner, edited.body.due], ['Send the quarterly budget to the auditors', 'Grace', null]);
    const added = await asAlice('POST', `/v1/transcripts/${id}/action-items`, { text: 'Order the zeppelin', owner: 'Ava', due: '2026-12-20' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.source, 'person');
    assert.deepEqual((await items(id)).map((i) => i.text).at(-1), 'Order the zeppelin', 'added after the last');

    const hits = (await asAlice('GET', '/v1/search?q=auditors')).body.items as Array<{ transcriptId: string; kind: string }>;
    assert.ok(hits.some((h) => h.transcriptId === id), 'an edited item is found by its new words');

    const bad = await asAlice('PATCH', `/v1/transcripts/${id}/action-items/${first!.id}`, { due: '2026-13-45' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'due');
    assert.equal((await asAlice('PATCH', `/v1/transcripts/${id}/action-items/${first!.id}`, {})).status, 400);
    assert.equal((await asAlice('PATCH', `/v1/transcripts/${id}/action-items/${transcripts[1]}`, { done: true })).status, 404, 'an item of another transcript, or none');
    assert.equal((await asAlice('POST', `/v1/transcripts/${id}/action-items`, { text: '  ' })).status, 400);

    // Bob may not know of it; in a shared room he sees the items and may not change them.
    assert.equal((await asBob('GET', `/v1/transcripts/${id}/action-items`)).status, 404);
    assert.equal((await asBob('PATCH', `/v1/transcripts/${id}/action-items/${first!.id}`, { done: false })).status, 404);
    assert.equal((await asBob('GET', '/v1/rooms/action-planning/action-items')).status, 404);

    const removed = await asAlice('DELETE', `/v1/transcripts/${id}/action-items/${added.body.id}`);
    assert.equal(removed.status, 204);
    assert.equal((await items(id)).length, 2);

    const log = (await asAlice('GET', `/v1/recordings/${(await product.services.db.em.fork().findOneOrFail(Transcript, id)).recording.id}/access-log`)).body.items as Array<{ action: string; detail: string }>;
    const edits = log.filter((e) => e.action === 'edit').map((e) => e.detail);
    assert.equal(edits.length, 4, JSON.stringify(edits));
    assert.ok(edits.some((d) => /^action item deleted: Order the zeppelin/.test(d)));
  });

  it('lists a room’s open items across its meetings, newest meeting first, and exports them', async () => {
    const open = await asAlice('GET', '/v1/rooms/action-planning/action-items');
    assert.equal(open.status, 200);
    assert.deepEqual(open.body.items.map((i: Item & { transcript: { id: string } }) => [i.transcript.id, i.done]), [[transcripts[1], false], [transcripts[0], false]]);
    const done = await asAlice('GET', '/v1/rooms/action-planning/action-items?status=done');
    assert.deepEqual(done.body.items.map((i: Item) => i.text), [(await items(transcripts[0]!))[0]!.text]);
    assert.equal((await asAlice('GET', '/v1/rooms/action-planning/action-items?status=all')).body.total, 3);

    const csv = await asAlice('GET', '/v1/rooms/action-planning/action-items?format=csv&status=all');
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers.get('content-type')), /^text\/csv/);
    assert.match(String(csv.headers.get('content-disposition')), /attachment; filename="action-items-action-planning\.csv"/);
    const lines = String(csv.body).trim().split('\r\n');
    assert.equal(lines[0], 'done,text,owner,due,meeting,recorded_at,link');
    assert.equal(lines.length, 4);
    assert.match(lines[1]!, /^no,I will book the launch venue by Friday\.|^no,Ava: I will book the launch venue by Friday\./);
    assert.ok(lines.some((l) => l.startsWith('yes,') && l.includes(`/transcripts/${transcripts[0]}?t=8`)));
    const md = await asAlice('GET', `/v1/transcripts/${transcripts[1]}/action-items?format=markdown`);
    assert.match(String(md.headers.get('content-type')), /^text\/markdown/);
    assert.match(String(md.body), /- \[ \] Ava: I will book the launch venue by Friday\. \(owner: Ava, due: 2026-12-04\) \[said here\]\(http:\/\/[^)]+\/transcripts\/[^)]+\?t=9\)/);

    // Shared room: Bob sees the items (read only).
    await product.services.db.em.fork().nativeUpdate(Room, { id: roomId }, { shared: true });
    const shares = await Promise.all(transcripts.map(async (t) => {
      const recordingId = (await product.services.db.em.fork().findOneOrFail(Transcript, t)).recording.id;
      return asAlice('PUT', `/v1/recordings/${recordingId}/sharing`, { mode: 'shared', userEmails: [bob.email] });
    }));
    assert.ok(shares.every((s) => s.status === 200), JSON.stringify(shares.map((s) => s.body)));
    assert.equal((await asBob('GET', '/v1/rooms/action-planning/action-items?status=all')).body.total, 3);
    const bobSees = await items(transcripts[0]!, asBob);
    assert.equal(bobSees.length, 2);
    assert.equal((await asBob('PATCH', `/v1/transcripts/${transcripts[0]}/action-items/${bobSees[0]!.id}`, { done: false })).status, 403);
  });

  it('keeps what a person touched when the summary runs again, and replaces the rest once', async () => {
    const id = transcripts[0]!;
    const before = await items(id);
    await summarize(id);
    await summarize(id);
    const after = await items(id);
    assert.equal(after.length, 2, JSON.stringify(after.map((i) => i.text)) + ': the touched two kept, the summary’s found again only where not touched');
    assert.deepEqual(after.map((i) => i.id).sort(), before.map((i) => i.id).sort());

    const fresh = transcripts[1]!;
    const untouched = await items(fresh);
    await summarize(fresh);
    const again = await items(fresh);
    assert.deepEqual(again.map((i) => i.text), untouched.map((i) => i.text), 'the same items, not twice');
    assert.equal((await asAlice('DELETE', `/v1/transcripts/${fresh}/action-items/${again[0]!.id}`)).status, 204);
    await summarize(fresh);
    assert.deepEqual(await items(fresh), [], 'a deleted item of the summary is not brought back');
    assert.equal((await asAlice('PATCH', `/v1/transcripts/${fresh}/action-items/${again[0]!.id}`, { done: true })).status, 404);
  });
});
