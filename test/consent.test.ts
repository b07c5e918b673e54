// Consent on every path: when someone in a meeting refuses ("delete the audio after transcription"), none of
// the meeting's media is kept — raw tracks (audio and video), pipeline scratch, the mixed MP3 and the cloud
// (composite) MP4 — whatever order the recordings, the refusal and the errors come in; the words stay. Orders:
// the refusal mid-transcription, the transcript in error, the MP4 after the transcript, the refusal after it.
// Real product, real Temporal, the Daily simulator; a late webhook is the simulator's own dropped delivery,
// posted later, signed as Daily signs it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, sendDailyWebhook, recordingWorkflowResult, type TestProduct } from './support/product.ts';
import { Meeting, Recording, Transcript } from '../db/entities.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import type { RecordingWorkflowResult } from '../recordings/messages.ts';
import { consentRefusalWorkflowId } from '../workflows/consent.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';

type Kind = 'cloud' | 'raw-tracks';
interface ReadyPayload { recording_id: string; type?: Kind; s3_key: string; tracks?: Array<{ type: string; s3Key: string }> }

describe('consent on every path', () => {
  let product: TestProduct;

  before(async () => {
    // The meeting waits for a held-back recording as long as the test needs; nothing is reconciled meanwhile.
    // No audio and speech workers at first: the first test holds a transcript mid-pipeline, then starts them.
    product = await startTestProduct({ name: 'consent', env: { RECORDING_READY_TIMEOUT_SECONDS: '600' }, worker: { queues: ['meetings'] } });
  });
  after(() => product?.stop());

  /** A two-person meeting recorded in both kinds, in which Alice says one sentence; `holdBack`: that kind's ready webhook is dropped (returned, to post later). */
  async function recordMeeting(room: string, options: { holdBack?: Kind; refuse?: boolean } = {}) {
    const sim = product.daily;
    await product.request('POST', '/v1/rooms', { name: room, recordingTrigger: 'automatic' });
    const meeting = (await product.request('POST', `/v1/rooms/${room}/meetings`)).body;
    await sim.setFaults(options.holdBack ? { webhooks: [{ action: 'drop', types: ['recording.ready-to-download'], recordingTypes: [options.holdBack], count: 1 }] } : {});
    const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
    const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
    if (options.refuse) await refuse(meeting.id);
    const said = await sim.say(alice.sessionId, { text: 'Please do not keep my voice.' });
    await sleep(said.durationMs + 800);
    for (const who of [alice, bob]) await sim.leave(who.sessionId);
    const held = options.holdBack ? await droppedReady(meeting.platformRoomName, options.holdBack) : null;
    await sim.setFaults({});
    return { meetingId: meeting.id as string, held };
  }

  async function refuse(meetingId: string): Promise<void> {
    const answer = await product.request('POST', `/v1/meetings/${meetingId}/consent`, { consentGiven: false });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }

  async function droppedReady(platformRoomName: string, kind: Kind): Promise<{ body: string; payload: ReadyPayload }> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      for (const delivery of await product.daily.webhookDeliveries()) {
        const payload = (JSON.parse(delivery.body) as { payload: ReadyPayload & { room_name: string } }).payload;
        if (delivery.outcome === 'dropped' && delivery.type === 'recording.ready-to-download' && payload.room_name === platformRoomName && (payload.type ?? 'cloud') === kind) return { body: delivery.body, payload };
      }
      await sleep(200);
    }
    assert.fail(`the simulator never finished the ${kind} recording of ${platformRoomName}`);
  }

  async function deliverLate(held: { body: string }): Promise<void> {
    assert.equal((await sendDailyWebhook(product, held.body)).status, 200);
  }

  /** The recording's pipeline result, once the meeting has handed it over. */
  const recordingResult = (id: string): Promise<RecordingWorkflowResult> => recordingWorkflowResult(product, id);
  const meetingResult = (id: string): Promise<MeetingState> => product.services.temporal.workflow.getHandle(meetingWorkflowId(id)).result();

  /** The media the meeting's recordings and transcripts left in storage, each as "<what> <key>", and the transcripts whose words are kept. */
  async function mediaOf(meetingId: string) {
    const em = product.services.db.em.fork();
    const storage = product.services.storage;
    const recordings = await em.find(Recording, { meeting: meetingId });
    const transcripts = await em.find(Transcript, { recording: { $in: recordings.map((r) => r.id) } });
    const present: string[] = [];
    const keep = async (what: string, key: string) => void ((await storage.head(key)) && present.push(`${what} ${key}`));
    // A recording the platform has confirmed but not finished has no media yet (no key).
    for (const r of recordings.filter((r) => r.objectKey)) {
      if (r.type === 'cloud') await keep('mp4', r.objectKey);
      for (const key of await listed(storage, `${r.objectKey}-`)) await keep('track', key);
      for (const key of await listed(storage, `work/${r.id}/`)) await keep('scratch', key);
    }
    for (const t of transcripts) await keep('mp3', `transcripts/${t.id}/audio.mp3`);
    const words = [];
    for (const t of transcripts) if (await storage.head(`transcripts/${t.id}/segments.json`)) words.push(t.id);
    return { recordings, transcripts, present, words };
  }

  async function assertMediaDeleted(meetingId: string, kinds: Kind[]): Promise<void> {
    const { recordings, transcripts, present } = await mediaOf(meetingId);
    assert.deepEqual(recordings.map((r) => r.type).sort(), [...kinds].sort());
    assert.deepEqual(present, [], 'no media left');
    for (const r of recordings) {
      assert.equal(r.mediaDeleted, true, `${r.type} recording marked`);
      const view = (await product.request('GET', `/v1/recordings/${r.id}`)).body;
      assert.equal(view.mediaDeleted, true);
      assert.equal(view.download, null, `${r.type}: nothing to download`);
      const listed = (await product.request('GET', `/v1/recordings?room=${view.roomName}&type=${r.type}`)).body.items as Array<{ id: string; mediaDeleted: boolean }>;
      assert.deepEqual(listed.map((item) => [item.id, item.mediaDeleted]), [[r.id, true]], 'the list says so too');
      assert.equal((await product.request('GET', `/v1/recordings/${r.id}/download`)).status, 409);
    }
    for (const t of transcripts) assert.equal(t.audioDeleted, true);
    const meeting = await product.services.db.em.fork().findOneOrFail(Meeting, meetingId);
    assert.equal(meeting.cloudRecordingKey, null);
    assert.equal((await fetch(`${product.url}/v1/meetings/${meetingId}/cloud-recording`, { redirect: 'manual', headers: product.adminHeaders })).status, 404);
  }

  it('deletes what is settled when the refusal comes mid-transcription, and the rest when the transcript ends', { timeout: 300_000 }, async () => {
    const { meetingId } = await recordMeeting('consentmidway');
    const state = await meetingResult(meetingId);
    const cloudId = state.recordings.find((r) => r.kind === 'cloud')!.id;
    const rawId = state.recordings.find((r) => r.kind === 'raw-tracks')!.id;
    await recordingResult(cloudId);
    // The raw tracks wait for an audio worker: their transcript is under way.
    const em = product.services.db.em.fork();
    for (let deadline = Date.now() + 60_000; (await em.fork().findOne(Transcript, { recording: rawId })) === null; await sleep(100)) assert.ok(Date.now() < deadline, 'the transcript started');
    assert.equal((await em.fork().findOneOrFail(Recording, rawId)).status, 'processing');

    await refuse(meetingId);
    const refusal = await product.services.temporal.workflow.getHandle(consentRefusalWorkflowId(meetingId)).result();
    assert.deepEqual(refusal.recordingIds, [cloudId], 'the settled MP4 goes now; the tracks are left to their pipeline');
    const midway = await mediaOf(meetingId);
    assert.ok(!midway.present.some((item) => item.startsWith('mp4 ')), 'the MP4 is deleted');
    assert.ok(midway.present.some((item) => item.includes('-cam-audio-')), 'the tracks are still there for the transcript');

    await product.startWorker(['audio', 'speech']);
    assert.equal((await recordingResult(rawId)).transcriptStatus, 'ended');
    await assertMediaDeleted(meetingId, ['cloud', 'raw-tracks']);
    assert.equal((await mediaOf(meetingId)).words.length, 1, 'the words stay');
  });

  it('deletes a failed recording\'s tracks, and the cloud MP4, when the transcript ends in error', { timeout: 300_000 }, async () => {
    const { meetingId, held } = await recordMeeting('consentfailed', { holdBack: 'raw-tracks', refuse: true });
    // The tracks the platform wrote are unreadable: the transcript fails.
    const audioTracks = held!.payload.tracks!.filter((t) => t.type === 'audio');
    assert.ok(audioTracks.length >= 2);
    for (const track of audioTracks) await product.services.storage.put(track.s3Key, Buffer.from('not a webm file'));
    await deliverLate(held!);
    const result = await recordingResult(held!.payload.recording_id);
    assert.equal(result.transcriptStatus, 'error', JSON.stringify(result));
    assert.equal((await meetingResult(meetingId)).phase, 'ended');
    const raw = await product.services.db.em.fork().findOneOrFail(Recording, held!.payload.recording_id);
    assert.equal(raw.status, 'failed');
    await assertMediaDeleted(meetingId, ['cloud', 'raw-tracks']);
  });

  it('deletes a cloud MP4 that arrives after the transcript was made', { timeout: 300_000 }, async () => {
    const { meetingId, held } = await recordMeeting('consentlatemp4', { holdBack: 'cloud', refuse: true });
    const em = product.services.db.em.fork();
    const raw = await (async () => {
      for (let deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
        const found = await em.fork().findOne(Recording, { meeting: meetingId, type: 'raw-tracks' });
        if (found) return found;
      }
      return assert.fail('no raw-tracks recording');
    })();
    assert.equal((await recordingResult(raw.id)).transcriptStatus, 'ended');
    const before = await mediaOf(meetingId);
    assert.deepEqual(before.present, [], 'the raw tracks and the MP3 went when the transcript ended');
    assert.equal(before.words.length, 1, 'the transcript stays');
    // The composite MP4 is at the platform's key, not yet stored by us; then its webhook comes.
    assert.ok(await product.services.storage.head(held!.payload.s3_key), 'the platform wrote the MP4');
    await deliverLate(held!);
    await recordingResult(held!.payload.recording_id);
    assert.equal(await product.services.storage.head(held!.payload.s3_key), null, 'the late MP4 is deleted on arrival');
    assert.equal((await meetingResult(meetingId)).phase, 'ended');
    await assertMediaDeleted(meetingId, ['cloud', 'raw-tracks']);
  });

  it('deletes what was already kept when the refusal comes after transcription', { timeout: 300_000 }, async () => {
    const { meetingId } = await recordMeeting('consentlate');
    const state = await meetingResult(meetingId);
    for (const r of state.recordings) await recordingResult(r.id);
    const before = await mediaOf(meetingId);
    for (const what of ['mp3', 'mp4', 'track']) assert.ok(before.present.some((item) => item.startsWith(`${what} `)), `the ${what} was kept: ${before.present.join(', ')}`);
    assert.ok(before.present.some((item) => item.includes('-cam-audio-')), 'the audio tracks were kept');

    // Someone saying yes deletes nothing; a refusal, later, deletes it all.
    const yes = await product.request('POST', `/v1/meetings/${meetingId}/consent`, { consentGiven: true });
    assert.equal(yes.status, 200);
    assert.deepEqual((await mediaOf(meetingId)).present, before.present);
    await refuse(meetingId);
    const refusal = await product.services.temporal.workflow.getHandle(consentRefusalWorkflowId(meetingId)).result();
    assert.equal(refusal.recordingIds.length, 2);
    await assertMediaDeleted(meetingId, ['cloud', 'raw-tracks']);
    const after = await mediaOf(meetingId);
    assert.equal(after.words.length, 1, 'the words stay');
    const transcript = (await product.request('GET', `/v1/transcripts/${after.transcripts[0]!.id}`)).body;
    assert.ok(transcript.segments.length > 0, 'the transcript is kept');
    assert.equal(transcript.audio, null);
  });
});

async function listed(storage: ObjectStorage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list(prefix)) keys.push(object.key);
  return keys;
}
