// End to end on Whereby through its simulator (as `npm start` embeds it), beside Daily in one deployment: real
// Temporal, PGlite, ffmpeg and Whisper. The room's owner opens the meeting with its host link (our join answers it
// to the owner only), a guest with the room URL; the room's trigger starts the recording at the platform (Whereby has
// no REST start), which is seen as its recorder joining and leaving; Whereby writes the composite into our storage,
// and its mixed audio is the transcript, one speaker, the whole room. A recording whose recording.finished never
// came is found through Whereby's recordings API once the wait for it runs out.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordingWorkflowResult, startTestProduct, type TestProduct } from './support/product.ts';
import { Recording, WebhookEvent } from '../db/entities.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { assertCloudRecordingPlays, assertCompositeTranscriptHeard } from './support/recordings.ts';
import type { WherebySimulator } from '../platforms/whereby/simulator/index.ts';

describe('Whereby end to end: a composite the room records by itself, written into our storage and transcribed', () => {
  let product: TestProduct;
  let sim: WherebySimulator;
  before(async () => {
    product = await startTestProduct({ name: 'wherebye2e', whereby: true, env: { RECORDING_READY_TIMEOUT_SECONDS: '6' } });
    sim = product.whereby!;
  });
  after(() => product?.stop());

  const meetingResult = (id: string): Promise<MeetingState> => product.services.temporal.workflow.getHandle(meetingWorkflowId(id)).result();

  /** The owner (host link) and a guest (room URL) join; the second one's arrival starts the recorder; both speak. */
  async function holdMeeting(room: string, lines: [string, string]) {
    assert.equal((await product.request('POST', '/v1/rooms', { name: room, platform: 'whereby', recordingTrigger: 'automatic-2nd-participant', allowAnonymous: true })).status, 201);
    const meeting = (await product.request('POST', `/v1/rooms/${room}/meetings`)).body;
    assert.equal(meeting.platform, 'whereby');
    assert.ok(meeting.hostRoomUrl, 'the owner sees the host link');
    const join = await product.request('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Alice' });
    assert.equal(join.status, 200, JSON.stringify(join.body));
    assert.equal(join.body.roomUrl, meeting.hostRoomUrl, "the owner's browser opens the host link");
    const guestJoin = await product.as({})('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Bob' });
    assert.equal(guestJoin.status, 200, JSON.stringify(guestJoin.body));
    assert.equal(guestJoin.body.roomUrl, meeting.roomUrl);
    assert.equal(guestJoin.body.meeting.hostRoomUrl, null, 'a guest never sees the host link');
    const alice = await sim.join({ roomUrl: join.body.roomUrl, displayName: 'Alice', voice: 'en-us' });
    assert.equal(alice.roleName, 'host');
    const bob = await sim.join({ roomUrl: guestJoin.body.roomUrl, displayName: 'Bob', voice: 'en-gb' });
    assert.equal(bob.roleName, 'visitor');
    // Asking our API to record is refused: the room's trigger does it at Whereby.
    const asked = await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, { manual: true });
    assert.equal(asked.status, 409);
    assert.equal(asked.body.error.code, 'recording_started_by_platform');
    await waitFor('the recorder to join', async () => (await sim.state()).meetings.some((m) => m.roomName === meeting.platformRoomName && m.recording));
    // The meeting's recording status follows the platform's recorder: the real one, though nobody asked us.
    await waitFor('the workflow to show it recording', async () => (await product.request('GET', `/v1/meetings/${meeting.id}/state`)).body.recording.status === 'recording');
    for (const [who, text] of [[alice, lines[0]], [bob, lines[1]]] as const) {
      const said = await sim.say(who.participantId, { text });
      await sleep(said.durationMs + 700);
    }
    await sim.leave(bob.participantId);
    await sim.leave(alice.participantId);
    return meeting as { id: string; platformRoomName: string };
  }

  it('records two speakers into a one-speaker transcript of real words and a playable composite in our storage', { timeout: 300_000 }, async () => {
    const meeting = await holdMeeting('whereby-standup', ['Good morning everyone, the release went out on time.', 'Thank you Alice. The budget is on track and we will hire two engineers.']);
    const state = await meetingResult(meeting.id);
    assert.equal(state.phase, 'ended');
    assert.equal(state.endReason, 'platform');
    assert.equal(state.recording.status, 'stopped', 'its recording ended with the meeting');
    assert.deepEqual(state.recordings.map((r) => `${r.kind}:${r.status}`), ['cloud:ready'], JSON.stringify(state.recordings));
    const composite = state.recordings[0]!;
    const result = await recordingWorkflowResult(product, composite.id, 240_000);
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));

    // Whereby wrote it into our storage (under whereby/, by its file name scheme) with the keys it was given.
    const row = await product.services.db.em.fork().findOneOrFail(Recording, composite.id);
    const theirs = (await sim.state()).recordings.find((r) => r.roomName === meeting.platformRoomName)!;
    assert.equal(row.objectKey, theirs.key);
    assert.match(row.objectKey, /^whereby\/whereby-standup-.+-\d{4}-\d\d-\d\dT.+\.mp4$/);
    const stored = await product.services.storage.head(row.objectKey);
    assert.ok(stored && stored.size > 10_000, JSON.stringify(stored));

    await assertCompositeTranscriptHeard(product, result.transcriptId!, 'whereby-standup', [/release|on time/, /budget|two engineers/]);
    await assertCloudRecordingPlays(product, meeting.id, stored!.size);

    // Every webhook of the meeting came signed at the Whereby route and matched this meeting.
    const events = await product.services.db.em.fork().find(WebhookEvent, { meetingId: meeting.id });
    const types = events.map((e) => e.type);
    for (const type of ['recording.started', 'recording.ready', 'meeting.ended']) assert.ok(types.includes(type), `${type} among ${types.join(', ')}`);
    assert.ok(events.every((e) => e.platform === 'whereby'));
  });

  it("finds a recording whose recording.finished never came", { timeout: 300_000 }, async () => {
    await sim.setFaults({ webhooks: [{ action: 'drop', types: ['recording.finished'], count: 1 }] });
    const meeting = await holdMeeting('whereby-dropped', ['Testing one two three, can you hear me.', 'Yes, loud and clear.']);
    const state = await meetingResult(meeting.id);
    await sim.setFaults({});
    assert.ok((await sim.webhookDeliveries()).some((d) => d.type === 'recording.finished' && d.outcome === 'dropped'), 'recording.finished was dropped');
    assert.equal(await product.services.db.em.fork().count(WebhookEvent, { meetingId: meeting.id, type: 'recording.ready' }), 0, 'no recording.ready came');
    assert.deepEqual(state.recordings.map((r) => `${r.kind}:${r.status}`), ['cloud:ready'], JSON.stringify(state.recordings));
    const result = await recordingWorkflowResult(product, state.recordings[0]!.id, 240_000);
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    await assertCompositeTranscriptHeard(product, result.transcriptId!, 'whereby-dropped', [/testing|hear|loud|clear/]);
  });
});

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
