// Search through the real product (API, PGlite and PostgreSQL): ranked hits across the transcripts a caller
// may see and none other, stemming and phrases, the matched words marked in a snippet that is never HTML, each
// hit's moment and link, the room/speaker/date filters, and a deleted recording's words never found.
// (test/transcription.test.ts shows a transcript made by the pipeline found the moment it ends.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestProduct, type TestProduct, type TestUser } from './support/product.ts';
import { seedRecording, seedRoom } from './support/recordings.ts';
import { type Meeting, Recording, Transcript, TranscriptPassage, type TranscriptTopic } from '../db/entities.ts';
import { indexTranscript, transcriptPassages, writeSearchIndex } from '../transcripts/search-index.ts';
import { SEARCH_CANDIDATES } from '../api/search.ts';

interface Said { speakerName: string; start: number; end: number; text: string }

for (const database of ['pglite', 'postgresql'] as const) {
  describe(`search (${database})`, () => {
    let product: TestProduct;
    let alice: TestUser;
    let bob: TestUser;
    let asAlice: ReturnType<TestProduct['as']>;
    let asBob: ReturnType<TestProduct['as']>;
    const ids: Record<string, string> = {};
    const base = Date.parse('2026-11-02T09:00:00Z');

    /** An ended transcript in `meeting`, indexed as the pipeline indexes it when it ends. */
    async function transcriptOf(meeting: Meeting, recordedAt: Date, content: { title: string; summary: string; topics?: TranscriptTopic[]; actionItems?: string[]; said: Said[] }): Promise<string> {
      const em = product.services.db.em.fork();
      const { transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', recordedAt, transcript: true });
      const t = await em.findOneOrFail(Transcript, transcript!.id);
      Object.assign(t, { title: content.title, shortSummary: content.summary, topics: content.topics ?? [], actionItems: content.actionItems ?? [] });
      await em.flush();
      const segments = content.said.map((s, i) => ({ ...s, speaker: i % 2, words: [] }));
      await product.services.storage.put(`transcripts/${t.id}/segments.json`, JSON.stringify(segments), { contentType: 'application/json' });
      await writeSearchIndex(em, t.id, 'en', transcriptPassages(t, segments));
      return t.id;
    }

    const search = (as: ReturnType<TestProduct['as']>, params: Record<string, string>) => as('GET', `/v1/search?${new URLSearchParams(params)}`);

    before(async () => {
      product = await startTestProduct({ name: `search-${database}`, database, worker: false });
      alice = await product.createUser({ email: `alice-${database}@example.com` });
      bob = await product.createUser({ email: `bob-${database}@example.com` });
      asAlice = product.as(alice.headers);
      asBob = product.as(bob.headers);
      const em = product.services.db.em.fork();
      const planning = await seedRoom(em, { name: `planning-${database}`, ownerId: alice.id });
      const retro = await seedRoom(em, { name: `retro-${database}`, ownerId: alice.id });
      const bobs = await seedRoom(em, { name: `bobs-${database}`, ownerId: bob.id });
      ids.budget = await transcriptOf(planning.meeting, new Date(base), {
        title: 'Budget review for the spring',
        summary: 'The team went through the budget and agreed to move the launch.',
        topics: [{ title: 'Launch date', summary: 'The launch moves to April.', start: 30, end: 62 }],
        actionItems: ['Ada sends the revised budgets to finance by Friday'],
        said: [
          { speakerName: 'Ada', start: 2.5, end: 9, text: 'Let us start with the budget, it is over by ten percent.' },
          { speakerName: 'Grace', start: 9.5, end: 20, text: 'The hosting costs doubled after the migration.' },
          { speakerName: 'Ada', start: 30.25, end: 41, text: 'Then we move the launch to April and keep the budgets as they are.' },
          { speakerName: 'Grace', start: 41.5, end: 50, text: 'Careful with <script>alert(1)</script> in the notes & such.' },
        ],
      });
      ids.retro = await transcriptOf(retro.meeting, new Date(base + 7 * 86_400_000), {
        title: 'Sprint retrospective',
        summary: 'What went well and what did not.',
        said: [
          { speakerName: 'Grace', start: 1, end: 6, text: 'The release went out on time and the tests were green.' },
          { speakerName: 'Linus', start: 6.5, end: 12, text: 'Nobody mentioned money this time.' },
        ],
      });
      ids.bobs = await transcriptOf(bobs.meeting, new Date(base), {
        title: 'Bob\'s own planning',
        summary: 'A private budget talk.',
        said: [{ speakerName: 'Bob', start: 3, end: 8, text: 'The budget for the hosting is secret.' }],
      });
      // A recording deleted by its owner: its words are never found, even before its workflow removes the row.
      ids.deleted = await transcriptOf(planning.meeting, new Date(base + 86_400_000), {
        title: 'Deleted meeting about the budget', summary: 'Gone.', said: [{ speakerName: 'Ada', start: 1, end: 3, text: 'This budget talk was deleted.' }],
      });
      const deleted = await em.findOneOrFail(Transcript, ids.deleted, { populate: ['recording'] });
      await em.nativeUpdate(Recording, { id: deleted.recording.id }, { deletionRequestedAt: new Date() });
    });

    after(async () => {
      await product?.stop();
    });

    it('finds words across the caller\'s transcripts only, best match first, with the moment and a link to it', async () => {
      const found = await search(asAlice, { q: 'budget' });
      assert.equal(found.status, 200, JSON.stringify(found.body));
      const transcripts = new Set(found.body.items.map((h: { transcriptId: string }) => h.transcriptId));
      assert.deepEqual([...transcripts], [ids.budget], 'only Alice\'s live transcript that says it');
      assert.equal(found.body.total, found.body.items.length);
      // The title (weighted most) comes first; every kind of passage that says it is found.
      assert.equal(found.body.items[0].kind, 'title');
      assert.deepEqual(new Set(found.body.items.map((h: { kind: string }) => h.kind)), new Set(['title', 'summary', 'action-item', 'turn']));
      const ranks = found.body.items.map((h: { rank: number }) => h.rank);
      assert.deepEqual(ranks, [...ranks].sort((a: number, b: number) => b - a));
      const turn = found.body.items.find((h: { kind: string; start: number }) => h.kind === 'turn' && h.start === 2.5);
      assert.ok(turn, JSON.stringify(found.body.items));
      assert.equal(turn.speakerName, 'Ada');
      assert.equal(turn.end, 9);
      assert.equal(turn.roomName, `planning-${database}`);
      assert.equal(turn.title, 'Budget review for the spring');
      assert.equal(turn.link, `/transcripts/${ids.budget}?t=2`);
      assert.deepEqual(turn.snippet.filter((p: { match: boolean }) => p.match).map((p: { text: string }) => p.text), ['budget']);
      assert.equal(turn.snippet.map((p: { text: string }) => p.text).join(''), 'Let us start with the budget, it is over by ten percent.');
      // Stemming: "budgets" finds "budget", and the other way round.
      const plural = await search(asAlice, { q: 'budgets' });
      assert.ok(plural.body.items.some((h: { start: number }) => h.start === 2.5));
      // Bob finds his own, not Alice's.
      const bobs = await search(asBob, { q: 'budget' });
      assert.deepEqual([...new Set(bobs.body.items.map((h: { transcriptId: string }) => h.transcriptId))], [ids.bobs]);
      // An admin sees everything live, still not the deleted one.
      const all = await product.request('GET', `/v1/search?q=budget`);
      assert.deepEqual(new Set(all.body.items.map((h: { transcriptId: string }) => h.transcriptId)), new Set([ids.budget, ids.bobs]));
    });

    it('takes phrases, exclusions and alternatives, and pages through hits', async () => {
      const phrase = await search(asAlice, { q: '"hosting costs doubled"' });
      assert.deepEqual(phrase.body.items.map((h: { start: number }) => h.start), [9.5]);
      const notThere = await search(asAlice, { q: '"costs hosting doubled"' });
      assert.equal(notThere.body.total, 0);
      const excluded = await search(asAlice, { q: 'launch -april' });
      assert.ok(excluded.body.items.every((h: { snippet: Array<{ text: string }> }) => !/april/i.test(h.snippet.map((p) => p.text).join(''))), JSON.stringify(excluded.body.items));
      const either = await search(asAlice, { q: 'money or migration' });
      assert.deepEqual(new Set(either.body.items.map((h: { transcriptId: string }) => h.transcriptId)), new Set([ids.budget, ids.retro]));
      const first = await search(asAlice, { q: 'budget', limit: '2' });
      const second = await search(asAlice, { q: 'budget', limit: '2', offset: '2' });
      assert.equal(first.body.items.length, 2);
      assert.equal(first.body.total, second.body.total);
      const key = (h: { kind: string; start: number | null; snippet: unknown }) => JSON.stringify([h.kind, h.start, h.snippet]);
      assert.ok(!second.body.items.some((h: never) => first.body.items.map(key).includes(key(h))));
    });

    it('filters by room, speaker and recording date', async () => {
      const inRetro = await search(asAlice, { q: 'release or budget', room: `retro-${database}` });
      assert.deepEqual([...new Set(inRetro.body.items.map((h: { transcriptId: string }) => h.transcriptId))], [ids.retro]);
      const byGrace = await search(asAlice, { q: 'hosting or release', speaker: 'grace' });
      assert.deepEqual(byGrace.body.items.map((h: { speakerName: string }) => h.speakerName), ['Grace', 'Grace']);
      const byAda = await search(asAlice, { q: 'hosting', speaker: 'Ada' });
      assert.equal(byAda.body.total, 0);
      const later = await search(asAlice, { q: 'release or budget', from: new Date(base + 86_400_000).toISOString() });
      assert.deepEqual([...new Set(later.body.items.map((h: { transcriptId: string }) => h.transcriptId))], [ids.retro]);
      const earlier = await search(asAlice, { q: 'release or budget', to: new Date(base + 86_400_000).toISOString() });
      assert.deepEqual([...new Set(earlier.body.items.map((h: { transcriptId: string }) => h.transcriptId))], [ids.budget]);
    });

    it('never returns markup from a transcript as markup', async () => {
      const found = await search(asAlice, { q: 'careful notes' });
      const text = found.body.items[0].snippet.map((p: { text: string }) => p.text).join('');
      assert.equal(text, 'Careful with <script>alert(1)</script> in the notes & such.');
      assert.deepEqual(found.body.items[0].snippet.filter((p: { match: boolean }) => p.match).map((p: { text: string }) => p.text), ['Careful', 'notes']);
    });

    it('refuses a missing or bad query with a clear error, and anonymous callers', async () => {
      const empty = await search(asAlice, { q: '  ' });
      assert.equal(empty.status, 400);
      assert.match(JSON.stringify(empty.body), /q/);
      const badDates = await search(asAlice, { q: 'budget', from: '2026-12-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
      assert.equal(badDates.status, 400);
      assert.match(JSON.stringify(badDates.body), /from/);
      assert.equal((await search(product.as({}), { q: 'budget' })).status, 401);
      // Only stop words: nothing to look for, an empty answer rather than everything.
      const stop = await search(asAlice, { q: 'the and' });
      assert.equal(stop.status, 200);
      assert.equal(stop.body.total, 0);
    });

    it(`ranks a word said everywhere among the first ${SEARCH_CANDIDATES} passages found, and says so`, async () => {
      const em = product.services.db.em.fork();
      const { meeting } = await seedRoom(em, { name: `chatty-${database}`, ownerId: bob.id });
      const said = Array.from({ length: SEARCH_CANDIDATES + 50 }, (_, i) => ({
        speakerName: 'Bob', start: i * 2, end: i * 2 + 1.5, text: i === 7 ? 'Okay okay okay, okay.' : `Okay, item ${i}.`,
      }));
      await transcriptOf(meeting, new Date(base), { title: 'Long stand-up', summary: 'Many items.', said });
      const answer = await search(asBob, { q: 'okay', limit: '5' });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.total, SEARCH_CANDIDATES);
      assert.equal(answer.body.totalCapped, true);
      assert.equal(answer.body.hasMore, true);
      assert.equal(answer.body.items[0].start, 14, 'the passage saying it most ranks first');
      const narrow = await search(asBob, { q: 'okay item 12' });
      assert.equal(narrow.body.totalCapped, false);
      assert.ok(narrow.body.total < SEARCH_CANDIDATES);
    });

    it('indexes a transcript made before the index from what the pipeline stored (search:reindex)', async () => {
      const em = product.services.db.em.fork();
      const { meeting } = await seedRoom(em, { name: `older-${database}`, ownerId: bob.id });
      const { transcript } = await seedRecording(em, product.services.storage, { meeting, type: 'raw-tracks', transcript: true });
      const segments = [{ speakerName: 'Bob', speaker: 0, start: 4, end: 9, text: 'The quarterly numbers look unusual.', words: [] }];
      await product.services.storage.put(`transcripts/${transcript!.id}/segments.json`, JSON.stringify(segments), { contentType: 'application/json' });
      assert.equal((await search(asBob, { q: 'quarterly' })).body.total, 0);
      assert.equal(await indexTranscript(em.fork(), product.services.storage, transcript!.id), 1, 'one passage: its one turn (no title, summary, topics yet)');
      const found = await search(asBob, { q: 'quarterly' });
      assert.equal(found.body.total, 1);
      assert.equal(found.body.items[0].start, 4);
    });

    it('forgets a transcript\'s words when it is deleted', async () => {
      const em = product.services.db.em.fork();
      assert.ok(await em.count(TranscriptPassage, { transcript: ids.deleted }) > 0);
      await em.nativeDelete(Transcript, { id: ids.deleted });
      assert.equal(await em.count(TranscriptPassage, { transcript: ids.deleted }), 0);
    });
  });
}
