// Choosing the version a transcript shows, through the real product (HTTP against the Koa app, PGlite, a worker for
// the webhook): a recording run again (its first transcript, corrected, kept by the pipeline's own step, the rerun's
// words written by the pipeline's own activity) has its first version restored: words, speakers as corrected, title,
// engine, exports and search are the restored one's, the one it replaced is kept, and switching back is another
// restore. A stale revision, the current version, a missing one and another user are refused, and nothing changes;
// the room hears `transcript.updated`, the access log has the restore, later corrections apply to the restored words.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestProduct, TestUser } from './support/product.ts';
import { waitForValue } from './support/poll.ts';
import type { WebhookReceiver } from './support/webhook-receiver.ts';
import { startOwnedTranscript } from './support/owned-transcript.ts';
import { Transcript } from '../db/entities.ts';
import { indexTranscript } from '../transcripts/search-index.ts';
import { keepCurrentVersion } from '../transcripts/versions.ts';
import { signOutgoingWebhook } from '../activities/outgoing-webhooks.ts';
import { createTranscriptionActivities } from '../activities/transcription.ts';
import type { Segment, TimedWord } from '../transcripts/words.ts';

const SECRET = 'versions-webhook-secret';
const w = (speaker: number, text: string, start: number, end: number): TimedWord => ({ text, start, end, confidence: 0.8, speaker });
const wordsOf = (speaker: number, text: string, start: number) => text.split(' ').map((word, i) => w(speaker, word, start + i * 0.5, start + i * 0.5 + 0.4));

describe('transcript versions: choosing the one shown (API)', () => {
  let product: TestProduct;
  let alice: TestUser;
  let bob: TestUser;
  let asAlice: ReturnType<TestProduct['as']>;
  let transcriptId: string;
  let recordingId: string;
  let renameEditId: string;
  let receiver: WebhookReceiver;

  const base = () => `/v1/transcripts/${transcriptId}`;
  type Shown = { revision: number; title: string | null; engines: { speech: string | null }; segments: Segment[]; participants: Array<{ speaker: number; name: string }> };
  const current = async () => (await asAlice('GET', base())).body as Shown;
  const text = (t: Shown) => t.segments.map((s) => `${s.speakerName}: ${s.text}`).join(' | ');
  const found = async (q: string) => (await asAlice('GET', `/v1/search?${new URLSearchParams({ q })}`)).body.items.filter((h: { transcriptId: string }) => h.transcriptId === transcriptId).length;
  const versions = async () => (await asAlice('GET', `${base()}/versions`)).body.items as Array<{ number: number; current: boolean; speechEngine: string | null; title: string | null; restoredFrom: number | null }>;

  before(async () => {
    ({ product, receiver, alice, bob, asAlice, transcriptId, recordingId } = await startOwnedTranscript('versions', SECRET));
    const em = product.services.db.em.fork();
    await em.nativeUpdate(Transcript, { id: transcriptId }, {
      durationSeconds: 60, title: 'Shipping the tractor', speechEngine: 'whisper:whisper-tiny',
      participants: [0, 1].map((speaker) => ({ speaker, name: ['Quinton', 'Bob'][speaker]!, platformParticipantId: null, userId: null })),
    });
    const activities = createTranscriptionActivities({
      db: product.services.db, storage: product.services.storage, platforms: product.services.platforms,
      transcription: { recognizer: {} as never, summarizer: {} as never, language: 'en', publicUrl: product.url, allowPrivateWebhooks: true },
    });
    const speakers = [{ index: 0, name: 'Quinton' }, { index: 1, name: 'Bob' }];
    const assemble = async (first: string, second: string) => {
      const keys = [`transcripts/${transcriptId}/words/track-0.json`, `transcripts/${transcriptId}/words/track-1.json`];
      await product.services.storage.put(keys[0]!, JSON.stringify(wordsOf(0, first, 1)), { contentType: 'application/json' });
      await product.services.storage.put(keys[1]!, JSON.stringify(wordsOf(1, second, 10)), { contentType: 'application/json' });
      await activities.assembleTranscript({ transcriptId, recordingId, wordKeys: keys, speakers, durationSeconds: 60 });
      await indexTranscript(em.fork(), product.services.storage, transcriptId);
    };
    // The first run's words, and a correction of them (a speaker's name).
    await assemble('We ship the tractor on Friday.', 'Sounds good.');
    const first = await current();
    const renamed = await asAlice('PATCH', `${base()}/speakers/0`, { revision: first.revision, name: 'Ada' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    renameEditId = renamed.body.edit.id;
    // The rerun: its pipeline keeps what it replaces first, then writes its own words.
    assert.equal(await keepCurrentVersion(em.fork(), product.services.storage, recordingId), 1);
    await em.nativeUpdate(Transcript, { id: transcriptId }, {
      title: 'Shipping the contract', speechEngine: 'whisper:whisper-base',
      participants: [0, 1].map((speaker) => ({ speaker, name: ['Quinton', 'Bob'][speaker]!, platformParticipantId: null, userId: null })),
    });
    await assemble('We ship the contract on Friday.', 'Sounds good.');
  });
  after(async () => {
    await product?.stop();
    receiver?.close();
  });

  it('refuses a stale revision, the version shown, one that does not exist, and another user; nothing changes', async () => {
    const before = await current();
    assert.equal(text(before), 'Quinton: We ship the contract on Friday. | Bob: Sounds good.');
    const stale = await asAlice('POST', `${base()}/versions/1/restore`, { revision: before.revision - 1 });
    assert.deepEqual([stale.status, stale.body.error?.code, stale.body.error?.details?.revision], [409, 'revision_conflict', before.revision], JSON.stringify(stale.body));
    const shown = await asAlice('POST', `${base()}/versions/2/restore`, { revision: before.revision });
    assert.deepEqual([shown.status, shown.body.error?.code], [409, 'version_current'], JSON.stringify(shown.body));
    const missing = await asAlice('POST', `${base()}/versions/7/restore`, { revision: before.revision });
    assert.equal(missing.status, 404, JSON.stringify(missing.body));
    const bad = await asAlice('POST', `${base()}/versions/1/restore`, {});
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /revision/);
    const byBob = await product.request('POST', `${base()}/versions/1/restore`, { revision: before.revision }, bob.headers);
    assert.equal(byBob.status, 404, JSON.stringify(byBob.body));
    assert.deepEqual(await current(), before, 'nothing changed');
    assert.deepEqual((await versions()).map((v) => [v.number, v.current]), [[1, false], [2, true]]);
  });

  it('restores the first version: its words as corrected, title, engine, exports and search; the one it replaced kept', async () => {
    const before = await current();
    const restored = await asAlice('POST', `${base()}/versions/1/restore`, { revision: before.revision });
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.deepEqual(restored.body, { revision: before.revision + 1, current: 3, kept: 2, webhook: 'scheduled' });
    const now = await current();
    assert.equal(now.revision, before.revision + 1);
    assert.equal(text(now), 'Ada: We ship the tractor on Friday. | Bob: Sounds good.', 'the first version, with its correction');
    assert.equal(now.participants.find((p) => p.speaker === 0)!.name, 'Ada');
    assert.deepEqual([now.title, now.engines.speech], ['Shipping the tractor', 'whisper:whisper-tiny']);
    const vtt = (await asAlice('GET', `${base()}/export?format=vtt`)).body as string;
    assert.match(vtt, /<v Ada>We ship the tractor/);
    assert.ok(await found('tractor') > 0, 'the search finds the words shown');
    assert.equal(await found('contract'), 0, 'and not the ones replaced');
    const listed = await versions();
    assert.deepEqual(listed.map((v) => [v.number, v.current, v.speechEngine, v.restoredFrom]), [
      [1, false, 'whisper:whisper-tiny', null], [2, false, 'whisper:whisper-base', null], [3, true, 'whisper:whisper-tiny', 1],
    ]);
    const kept = (await asAlice('GET', `${base()}/versions/2`)).body as { segments: Segment[] };
    assert.equal(kept.segments[0]!.text, 'We ship the contract on Friday.', 'the rerun\'s words are kept');

    const delivery = await waitForValue('the transcript.updated webhook', () => receiver.deliveries.find((d) => d.headers['x-webhook-id'] === `${transcriptId}/revision-${now.revision}`), 30_000);
    assert.equal(delivery.headers['x-webhook-event'], 'transcript.updated');
    assert.equal(delivery.headers['x-webhook-signature'], signOutgoingWebhook(SECRET, String(delivery.headers['x-webhook-timestamp']), delivery.raw));
    const body = JSON.parse(delivery.raw);
    assert.deepEqual(body.restored, { version: 1, revision: now.revision });
    assert.equal(body.transcript.revision, now.revision);
    assert.match(body.transcript.webvtt, /<v Ada>We ship the tractor/);

    const log = await asAlice('GET', `/v1/recordings/${recordingId}/access-log?limit=100`);
    assert.ok(log.body.items.some((e: { action: string; userId: string; detail: string }) => e.action === 'edit' && e.userId === alice.id && /restored version 1/.test(e.detail)), JSON.stringify(log.body.items));
  });

  it('corrects the restored words; edits from before the restore are no longer revertible; switching back is another restore', async () => {
    const before = await current();
    const revert = await asAlice('POST', `${base()}/edits/${renameEditId}/revert`, { revision: before.revision });
    assert.deepEqual([revert.status, revert.body.error?.code], [409, 'not_revertible']);
    const edited = await asAlice('PATCH', `${base()}/turns/1`, { revision: before.revision, text: 'Sounds very good.' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(text(await current()), 'Ada: We ship the tractor on Friday. | Bob: Sounds very good.');

    const back = await asAlice('POST', `${base()}/versions/2/restore`, { revision: before.revision + 1 });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.deepEqual([back.body.kept, back.body.current], [3, 4]);
    assert.equal(text(await current()), 'Quinton: We ship the contract on Friday. | Bob: Sounds good.');
    assert.ok(await found('contract') > 0);
    assert.equal(await found('tractor'), 0);
    const kept = (await asAlice('GET', `${base()}/versions/3`)).body as { segments: Segment[]; restoredFrom: number | null };
    assert.equal(kept.segments[1]!.text, 'Sounds very good.', 'the correction of the restored words is kept with them');
    assert.equal(kept.restoredFrom, 1);
    const changes = (await asAlice('GET', `${base()}/versions/4/changes?from=3`)).body;
    assert.deepEqual([changes.wordsRemoved, changes.wordsAdded], [3, 2], JSON.stringify(changes)); // Ada tractor very → Quinton contract
  });
});
