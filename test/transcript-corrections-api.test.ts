// Corrections through the real product (HTTP against the Koa app, PGlite, a worker for the webhook): rename, merge
// and move speakers, edit a turn's text keeping the unchanged words' times, the history and its reverts, a stale
// revision refused with 409 and the current turn, another user refused, the exports and the search index
// following every edit, the access log, and the room's signed `transcript.updated` webhook.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestProduct, TestUser } from './support/product.ts';
import { waitForValue } from './support/poll.ts';
import type { WebhookReceiver } from './support/webhook-receiver.ts';
import { startOwnedTranscript } from './support/owned-transcript.ts';
import { Transcript, TranscriptEdit } from '../db/entities.ts';
import { indexTranscript } from '../transcripts/search-index.ts';
import { signOutgoingWebhook } from '../activities/outgoing-webhooks.ts';
import { createTranscriptionActivities } from '../activities/transcription.ts';
import type { Segment, TimedWord } from '../transcripts/words.ts';

const SECRET = 'corrections-webhook-secret';
const w = (speaker: number, text: string, start: number, end: number): TimedWord => ({ text, start, end, confidence: 0.8, speaker });

describe('transcript corrections (API)', () => {
  let product: TestProduct;
  let alice: TestUser;
  let bob: TestUser;
  let asAlice: ReturnType<TestProduct['as']>;
  let transcriptId: string;
  let recordingId: string;
  let receiver: WebhookReceiver;

  const base = () => `/v1/transcripts/${transcriptId}`;
  const current = async () => (await asAlice('GET', base())).body as { revision: number; segments: Segment[]; participants: Array<{ speaker: number; name: string }> };
  const exported = async (format: string) => {
    const body = (await asAlice('GET', `${base()}/export?format=${format}`)).body as unknown;
    return typeof body === 'string' ? body : JSON.stringify(body);
  };
  const found = async (q: string) => (await asAlice('GET', `/v1/search?${new URLSearchParams({ q })}`)).body.items.filter((h: { transcriptId: string }) => h.transcriptId === transcriptId);

  before(async () => {
    ({ product, receiver, alice, bob, asAlice, transcriptId, recordingId } = await startOwnedTranscript('corrections', SECRET));
    const em = product.services.db.em.fork();
    const segments: Segment[] = [
      { speaker: 0, speakerName: 'Quinton', start: 1, end: 3, text: 'We ship the tractor on Friday.', words: [w(0, 'We', 1, 1.2), w(0, 'ship', 1.3, 1.6), w(0, 'the', 1.7, 1.8), w(0, 'tractor', 1.9, 2.4), w(0, 'on', 2.5, 2.6), w(0, 'Friday.', 2.7, 3)] },
      { speaker: 1, speakerName: 'Bob', start: 4, end: 5, text: 'Sounds good.', words: [w(1, 'Sounds', 4, 4.4), w(1, 'good.', 4.5, 5)] },
      { speaker: 2, speakerName: 'Speaker 3', start: 6, end: 7, text: 'Agreed.', words: [w(2, 'Agreed.', 6, 7)] },
    ];
    await em.nativeUpdate(Transcript, { id: transcriptId }, {
      durationSeconds: 60, title: 'Shipping',
      participants: [0, 1, 2].map((speaker) => ({ speaker, name: ['Quinton', 'Bob', ''][speaker]!, platformParticipantId: null, userId: null })),
    });
    await product.services.storage.put(`transcripts/${transcriptId}/segments.json`, JSON.stringify(segments), { contentType: 'application/json' });
    await indexTranscript(em, product.services.storage, transcriptId);
  });
  after(async () => {
    await product?.stop();
    receiver?.close();
  });

  it('renames a speaker: turns, participants, exports and search follow, and the room hears transcript.updated', async () => {
    assert.equal((await found('quinton')).length, 1);
    const renamed = await asAlice('PATCH', `${base()}/speakers/0`, { revision: 0, name: 'Ada' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.revision, 1);
    assert.equal(renamed.body.edit.kind, 'rename-speaker');
    assert.equal(renamed.body.edit.summary, 'Renamed "Quinton" to "Ada"');
    assert.equal(renamed.body.webhook, 'scheduled');
    const now = await current();
    assert.equal(now.revision, 1);
    assert.equal(now.segments[0]!.speakerName, 'Ada');
    assert.equal(now.participants.find((p) => p.speaker === 0)!.name, 'Ada');
    assert.match(await exported('vtt'), /<v Ada>We ship the tractor/);
    assert.match(await exported('txt'), /^Ada: We ship the tractor on Friday\.$/m);
    assert.match(await exported('srt'), /Ada: We ship/);
    assert.deepEqual(JSON.parse(await exported('json')).speakers.map((s: { name: string }) => s.name), ['Ada', 'Bob', 'Speaker 3']);
    assert.equal((await found('quinton')).length, 0, 'the old name is no longer found');
    const byAda = await asAlice('GET', `/v1/search?q=tractor&speaker=Ada`);
    assert.equal(byAda.body.items.length, 1);

    const delivery = await waitForValue('the transcript.updated webhook', () => receiver.deliveries.find((d) => d.headers['x-webhook-id'] === renamed.body.edit.id), 30_000);
    assert.equal(delivery.headers['x-webhook-event'], 'transcript.updated');
    assert.equal(delivery.headers['x-webhook-signature'], signOutgoingWebhook(SECRET, String(delivery.headers['x-webhook-timestamp']), delivery.raw));
    const body = JSON.parse(delivery.raw);
    assert.equal(body.event, 'transcript.updated');
    assert.equal(body.transcript.id, transcriptId);
    assert.equal(body.transcript.revision, 1);
    assert.match(body.transcript.webvtt, /<v Ada>/);
    assert.deepEqual({ ...body.edit, at: undefined }, { id: renamed.body.edit.id, revision: 1, kind: 'rename-speaker', summary: 'Renamed "Quinton" to "Ada"', userId: alice.id, at: undefined, revertOf: null });
  });

  it('edits a turn\'s text: unchanged words keep their times; search finds the new word, not the old', async () => {
    const { revision } = await current();
    const edited = await asAlice('PATCH', `${base()}/turns/0`, { revision, text: 'We ship the combine harvester on Friday.' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.segments[0].text, 'We ship the combine harvester on Friday.');
    const words = JSON.parse(await exported('json')).segments[0].words as TimedWord[];
    const times = Object.fromEntries(words.map((word) => [word.text, [word.start, word.end]]));
    assert.deepEqual([times.We, times.ship, times.the, times.on, times['Friday.']], [[1, 1.2], [1.3, 1.6], [1.7, 1.8], [2.5, 2.6], [2.7, 3]]);
    // "combine harvester" takes the place of "tractor": between "the" (ends 1.8) and "on" (starts 2.5).
    assert.ok(times.combine![0]! >= 1.8 && times.harvester![1]! <= 2.5, JSON.stringify(times));
    assert.equal((await found('harvester')).length, 1);
    assert.equal((await found('tractor')).length, 0);
    assert.match(await exported('vtt'), /combine harvester/);
  });

  it('refuses a stale revision with 409, the current revision and the current turn; nothing changes', async () => {
    const before = await current();
    const stale = await asAlice('PATCH', `${base()}/turns/0`, { revision: before.revision - 1, text: 'Lost update.' });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, 'revision_conflict');
    assert.match(stale.body.error.message, /changed by someone else/i);
    assert.equal(stale.body.error.details.revision, before.revision);
    assert.equal(stale.body.error.details.turn.text, 'We ship the combine harvester on Friday.');
    assert.deepEqual(await current(), before);
  });

  it('lets exactly one of two concurrent corrections based on the same revision win', async () => {
    const { revision } = await current();
    const answers = await Promise.all(['First wins?', 'Second wins?'].map((text) => asAlice('PATCH', `${base()}/turns/1`, { revision, text })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], JSON.stringify(answers.map((a) => a.body)));
    const won = answers.find((a) => a.status === 200)!;
    const lost = answers.find((a) => a.status === 409)!;
    assert.equal(lost.body.error.details.revision, revision + 1);
    assert.equal(lost.body.error.details.turn.text, won.body.segments[1].text);
    assert.equal((await current()).segments[1]!.text, won.body.segments[1].text);
    // Put the turn back for the tests after this one.
    const back = await asAlice('PATCH', `${base()}/turns/1`, { revision: revision + 1, text: 'Sounds good.' });
    assert.equal(back.status, 200, JSON.stringify(back.body));
  });

  it('moves a turn and merges speakers; bad input is a clear 4xx naming the problem', async () => {
    let { revision } = await current();
    const moved = await asAlice('PATCH', `${base()}/turns/2`, { revision, speaker: 1 });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(moved.body.segments.map((s: Segment) => s.speakerName), ['Ada', 'Bob', 'Bob']);
    revision = moved.body.revision;
    const merged = await asAlice('POST', `${base()}/speakers/1/merge`, { revision, into: 0 });
    assert.equal(merged.status, 200, JSON.stringify(merged.body));
    assert.deepEqual(merged.body.segments.map((s: Segment) => s.speakerName), ['Ada', 'Ada', 'Ada']);
    assert.deepEqual(merged.body.participants.map((p: { speaker: number }) => p.speaker), [0, 2]);
    assert.match(await exported('txt'), /^Ada: Sounds good\.$/m);
    revision = merged.body.revision;

    const both = await asAlice('PATCH', `${base()}/turns/0`, { revision, speaker: 0, text: 'x' });
    assert.equal(both.status, 400);
    assert.match(both.body.error.message, /exactly one of "speaker" and "text"/);
    const noTurn = await asAlice('PATCH', `${base()}/turns/9`, { revision, text: 'x' });
    assert.deepEqual([noTurn.status, noTurn.body.error.code], [404, 'turn_not_found']);
    const noSpeaker = await asAlice('PATCH', `${base()}/speakers/7`, { revision, name: 'X' });
    assert.deepEqual([noSpeaker.status, noSpeaker.body.error.code], [404, 'speaker_not_found']);
    const noRevision = await asAlice('PATCH', `${base()}/speakers/0`, { name: 'X' });
    assert.equal(noRevision.status, 400);
    assert.equal(noRevision.body.error.details[0].field, 'revision');
    const self = await asAlice('POST', `${base()}/speakers/0/merge`, { revision, into: 0 });
    assert.deepEqual([self.status, self.body.error.code], [400, 'same_speaker']);
    assert.equal((await current()).revision, revision, 'refused requests changed nothing');
  });

  it('keeps every edit (who, when, before/after) and reverts one as a new edit', async () => {
    const history = await asAlice('GET', `${base()}/edits`);
    assert.equal(history.status, 200);
    assert.deepEqual(history.body.items.map((e: { kind: string }) => e.kind), ['merge-speakers', 'move-turn', 'edit-text', 'edit-text', 'edit-text', 'rename-speaker']);
    assert.ok(history.body.items.every((e: { userId: string; revertible: boolean }) => e.userId === alice.id && e.revertible));
    const textEdit = history.body.items.findLast((e: { kind: string }) => e.kind === 'edit-text');
    assert.equal(textEdit.before.turns[0].text, 'We ship the tractor on Friday.');
    assert.equal(textEdit.after.turns[0].text, 'We ship the combine harvester on Friday.');

    const reverted = await asAlice('POST', `${base()}/edits/${textEdit.id}/revert`, { revision: history.body.revision });
    assert.equal(reverted.status, 200, JSON.stringify(reverted.body));
    assert.equal(reverted.body.edit.kind, 'revert');
    assert.equal(reverted.body.edit.revertOf, textEdit.id);
    assert.equal(reverted.body.segments[0].text, 'We ship the tractor on Friday.');
    assert.equal(reverted.body.segments[0].speakerName, 'Ada', 'the other edits stay');
    const words = JSON.parse(await exported('json')).segments[0].words as TimedWord[];
    assert.deepEqual(words.find((word) => word.text === 'tractor'), { text: 'tractor', start: 1.9, end: 2.4, confidence: 0.8 });
    assert.equal((await found('tractor')).length, 1);
    assert.equal((await found('harvester')).length, 0);
    const unknown = await asAlice('POST', `${base()}/edits/00000000-0000-4000-8000-000000000000/revert`, { revision: reverted.body.revision });
    assert.equal(unknown.status, 404);
    const stored = await product.services.db.em.fork().count(TranscriptEdit, { transcript: transcriptId });
    assert.equal(stored, 7);
  });

  it('writes every edit to the access log', async () => {
    const log = await asAlice('GET', `/v1/recordings/${recordingId}/access-log?limit=100`);
    assert.equal(log.status, 200, JSON.stringify(log.body));
    const edits = log.body.items.filter((entry: { action: string }) => entry.action === 'edit');
    assert.equal(edits.length, 7);
    assert.ok(edits.every((entry: { userId: string }) => entry.userId === alice.id));
    assert.ok(edits.some((entry: { detail: string }) => /Renamed "Quinton" to "Ada"/.test(entry.detail)));
  });

  it('lets no one else edit: another user is told the transcript does not exist, and nothing changes', async () => {
    const before = await current();
    const asBob = product.as(bob.headers);
    const rename = await asBob('PATCH', `${base()}/speakers/0`, { revision: before.revision, name: 'Bob was here' });
    assert.equal(rename.status, 404);
    const history = await asBob('GET', `${base()}/edits`);
    assert.equal(history.status, 404);
    const anonymous = await product.as({})('PATCH', `${base()}/turns/0`, { revision: before.revision, text: 'anonymous' });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await current(), before);
  });

  it('a rerun of the pipeline drops the corrections: the revision advances and earlier edits are no longer revertible', async () => {
    const before = await current();
    const words = [w(0, 'Made', 1, 1.5), w(0, 'again.', 1.6, 2)];
    await product.services.storage.put(`transcripts/${transcriptId}/words/track-0.json`, JSON.stringify(words), { contentType: 'application/json' });
    const activities = createTranscriptionActivities({
      db: product.services.db, storage: product.services.storage, platforms: product.services.platforms,
      transcription: { recognizer: {} as never, summarizer: {} as never, language: 'en', publicUrl: product.url, allowPrivateWebhooks: true },
    });
    await activities.assembleTranscript({ transcriptId, recordingId, wordKeys: [`transcripts/${transcriptId}/words/track-0.json`], speakers: [{ index: 0, name: 'Ada' }], durationSeconds: 60 });
    const now = await current();
    assert.equal(now.revision, before.revision + 1);
    assert.deepEqual(now.segments.map((s) => s.text), ['Made again.']);
    const history = await asAlice('GET', `${base()}/edits`);
    assert.ok(history.body.items.every((e: { revertible: boolean }) => !e.revertible));
    const revert = await asAlice('POST', `${base()}/edits/${history.body.items[0].id}/revert`, { revision: now.revision });
    assert.deepEqual([revert.status, revert.body.error.code], [409, 'not_revertible']);
    const stale = await asAlice('PATCH', `${base()}/turns/0`, { revision: before.revision, text: 'Based on the old content.' });
    assert.deepEqual([stale.status, stale.body.error.code], [409, 'revision_conflict']);
  });
});
