// End to end on 100ms through its simulator (as `npm start` embeds it), beside Daily in one deployment: real
// Temporal, PGlite, ffmpeg and Whisper. The room's owner joins with our app token (the host role) and starts and
// stops the beam composite; 100ms keeps the file in its own storage, so the recording workflow copies it into ours
// from a fresh presigned link before anything reads it; without per-track recording the composite's mixed audio is
// the transcript, one speaker, the whole room. A recording whose webhook never came is found through the
// recordings API once the wait for it runs out.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordingWorkflowResult, startTestProduct, type TestProduct } from './support/product.ts';
import { Recording, WebhookEvent } from '../db/entities.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { assertCloudRecordingPlays, assertCompositeTranscriptHeard } from './support/recordings.ts';
import type { HmsSimulator } from '../platforms/hms/simulator/index.ts';

const PRESIGNED = 'GET /recording-assets/:id/presigned-url';

describe('100ms end to end: a host-controlled beam composite, copied into our storage and transcribed', () => {
  let product: TestProduct;
  let sim: HmsSimulator;
  before(async () => {
    product = await startTestProduct({ name: 'hmse2e', hms: true, env: { RECORDING_READY_TIMEOUT_SECONDS: '6' } });
    sim = product.hms!;
  });
  after(() => product?.stop());

  const meetingResult = (id: string): Promise<MeetingState> => product.services.temporal.workflow.getHandle(meetingWorkflowId(id)).result();
  const recordingRuns = (roomId: string) => waitFor('the beam recording to run', async () => (await sim.state()).recordings.some((r) => r.roomId === roomId && r.status === 'running'));
  const linksAsked = async () => (await sim.stats()).apiCalls[PRESIGNED] ?? 0;

  /** The owner (host role, by our token) and a guest join; the owner starts the recording; both speak. */
  async function holdMeeting(room: string, lines: [string, string]) {
    assert.equal((await product.request('POST', '/v1/rooms', { name: room, platform: '100ms', recordingTrigger: 'none' })).status, 201);
    const meeting = (await product.request('POST', `/v1/rooms/${room}/meetings`)).body;
    assert.equal(meeting.platform, '100ms');
    const join = await product.request('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Alice' });
    assert.equal(join.status, 200, JSON.stringify(join.body));
    assert.equal(join.body.isOwner, true);
    const alice = await sim.join(meeting.platformRoomName, { token: join.body.token, voice: 'en-us' });
    assert.equal(alice.role, 'host');
    const bob = await sim.join(meeting.platformRoomName, { name: 'Bob', userId: 'bob', role: 'guest', voice: 'en-gb' });
    const started = await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, { manual: true });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.status, 'recording', JSON.stringify(started.body));
    await recordingRuns(meeting.platformRoomName);
    for (const [who, text] of [[alice, lines[0]], [bob, lines[1]]] as const) {
      const said = await sim.say(who.peerId, { text });
      await sleep(said.durationMs + 700);
    }
    return { meeting, alice, bob };
  }

  it('records two speakers, host-controlled, into a one-speaker transcript of real words and a playable composite in our storage', { timeout: 300_000 }, async () => {
    const { meeting, alice, bob } = await holdMeeting('hms-standup', ['Good morning everyone, the release went out on time.', 'Thank you Alice. The budget is on track and we will hire two engineers.']);
    // Stopping is the host's: another signed-in user of the product may not.
    const stranger = await product.createUser();
    const refused = await product.as(stranger.headers)('POST', `/v1/meetings/${meeting.id}/recordings/stop`, {});
    assert.ok([403, 404].includes(refused.status), `a stranger stopped the recording: ${refused.status}`);
    const linksBefore = await linksAsked();
    const stopped = await product.request('POST', `/v1/meetings/${meeting.id}/recordings/stop`, {});
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    await sim.leave(bob.peerId);
    await sim.leave(alice.peerId);
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);

    const state = await meetingResult(meeting.id);
    assert.equal(state.phase, 'ended');
    assert.deepEqual(state.recordings.map((r) => `${r.kind}:${r.status}`), ['cloud:ready'], JSON.stringify(state.recordings));
    const composite = state.recordings[0]!;
    const result = await recordingWorkflowResult(product, composite.id, 240_000);
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));

    // The file is ours: copied from a fresh link (asked of the recordings API), complete.
    assert.ok((await linksAsked()) > linksBefore, 'a fresh presigned link was asked for');
    const row = await product.services.db.em.fork().findOneOrFail(Recording, composite.id);
    assert.match(row.objectKey, /^platform-files\/100ms\/.+\.mp4$/);
    const copied = await product.services.storage.head(row.objectKey);
    const theirs = (await sim.state()).recordings.find((r) => r.id === composite.id)!.assets.find((a) => a.type === 'room-composite')!;
    assert.equal(copied?.size, theirs.size);

    await assertCompositeTranscriptHeard(product, result.transcriptId!, 'hms-standup', [/release|on time/, /budget|two engineers/]);
    // The composite plays from our storage through the same link as the other platforms'.
    const location = await assertCloudRecordingPlays(product, meeting.id, theirs.size);
    assert.ok(!location.startsWith(sim.apiUrl.replace(/\/v2$/, '')), 'served by us, not by 100ms');

    // Every webhook of the meeting came at the 100ms route, with its secret header, and matched this meeting.
    const events = await product.services.db.em.fork().find(WebhookEvent, { meetingId: meeting.id });
    assert.ok(events.some((e) => e.type === 'recording.ready'), events.map((e) => e.type).join(', '));
    assert.ok(events.every((e) => e.platform === '100ms'));
  });

  it('finds a recording whose file webhook never came', { timeout: 300_000 }, async () => {
    await sim.setFaults({ webhooks: [{ action: 'drop', types: ['beam.recording.success'], count: 1 }] });
    const { meeting, alice, bob } = await holdMeeting('hms-dropped', ['Testing one two three, can you hear me.', 'Yes, loud and clear.']);
    await product.request('POST', `/v1/meetings/${meeting.id}/recordings/stop`, {});
    await sim.leave(bob.peerId);
    await sim.leave(alice.peerId);
    await product.request('POST', `/v1/meetings/${meeting.id}/end`);

    const state = await meetingResult(meeting.id);
    await sim.setFaults({});
    assert.ok((await sim.webhookDeliveries()).some((d) => d.type === 'beam.recording.success' && d.outcome === 'dropped'), 'the file webhook was dropped');
    const events = await product.services.db.em.fork().find(WebhookEvent, { meetingId: meeting.id, type: 'recording.ready' });
    assert.equal(events.length, 0, 'no recording.ready came');
    assert.deepEqual(state.recordings.map((r) => `${r.kind}:${r.status}`), ['cloud:ready'], JSON.stringify(state.recordings));
    const result = await recordingWorkflowResult(product, state.recordings[0]!.id, 240_000);
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    const row = await product.services.db.em.fork().findOneOrFail(Recording, state.recordings[0]!.id);
    assert.match(row.objectKey, /^platform-files\/100ms\//);
    await assertCompositeTranscriptHeard(product, result.transcriptId!, 'hms-dropped', [/testing|hear|loud|clear/]);
  });
});

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
