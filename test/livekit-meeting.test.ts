// End to end on LiveKit through its simulator, beside Daily in one deployment: the meeting workflow records the
// room composite and one track egress per published microphone, and the tracks together become one
// speaker-attributed transcript. A reconnecting participant stays one speaker; a failed egress is an error with
// its reason; an egress_ended that never came is found through ListEgress.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { Recording, WebhookEvent } from '../db/entities.ts';
import { speakerAudioInstanceId } from '../platforms/platform.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../recordings/messages.ts';
import type { LiveKitSimulator } from '../platforms/livekit/simulator/index.ts';

describe('LiveKit end to end: composite and per-speaker track egress, beside Daily', () => {
  let product: TestProduct;
  let sim: LiveKitSimulator;
  before(async () => {
    product = await startTestProduct({ name: 'livekite2e', livekit: true, env: { RECORDING_READY_TIMEOUT_SECONDS: '6' } });
    sim = product.livekit!;
  });
  after(() => product?.stop());

  const meetingResult = (id: string): Promise<MeetingState> => product.services.temporal.workflow.getHandle(meetingWorkflowId(id)).result();

  it('turns a 3-person LiveKit meeting, with a reconnection, into a transcript and a playable composite', { timeout: 300_000 }, async () => {
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'standup', platform: 'livekit', recordingTrigger: 'automatic' })).status, 201);
    const meeting = (await product.request('POST', '/v1/rooms/standup/meetings')).body;
    assert.equal(meeting.platform, 'livekit');
    assert.match(meeting.roomUrl, /^ws:\/\/127\.0\.0\.1:\d+$/);

    // The owner joins with the token our API gives (livekit-client's way); the others as participants of the room.
    const join = await product.request('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Alice' });
    assert.equal(join.status, 200, JSON.stringify(join.body));
    assert.equal(join.body.isOwner, true);
    const alice = await sim.join(meeting.platformRoomName, { token: join.body.token, voice: 'en-us' });
    const bob = await sim.join(meeting.platformRoomName, { identity: 'bob', name: 'Bob', voice: 'en-gb' });
    let carol = await sim.join(meeting.platformRoomName, { identity: 'carol', name: 'Carol', voice: 'en-us+f3' });

    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
    const say = async (participantSid: string, text: string) => {
      const said = await sim.say(participantSid, { text });
      await sleep(said.durationMs + 700);
    };
    await say(alice.participantSid, 'Good morning everyone. Let us look back at the last sprint.');
    await say(bob.participantSid, 'The release went out on time and the tests were green.');
    carol = await sim.reconnect(carol.participantSid);
    // Her new microphone is recorded too: its track egress starts from track_published.
    await waitFor('a track egress for the reconnected microphone', async () => (await sim.state()).egresses.some((e) => e.trackSid === carol.trackSid));
    await say(carol.participantSid, 'Next time we should start the review one day earlier.');
    for (const who of [alice, bob, carol]) await sim.leave(who.participantSid);
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);

    const state = await meetingResult(meeting.id);
    assert.equal(state.phase, 'ended');
    assert.deepEqual(state.recordings.map((r) => `${r.kind}:${r.status}`).sort(), ['cloud:ready', 'raw-tracks:ready'], JSON.stringify(state.recordings));
    // Four microphones (Carol's twice), each its own egress, all ready.
    assert.deepEqual(state.speakerTracks?.map((t) => t.status), ['ready', 'ready', 'ready', 'ready'], JSON.stringify(state.speakerTracks));

    const speakerAudio = state.recordings.find((r) => r.kind === 'raw-tracks')!;
    assert.equal(speakerAudio.id, speakerAudioInstanceId(meeting.id));
    const result: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(speakerAudio.id)).result();
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    assert.equal(result.audioTracks, 4);
    assert.deepEqual(result.warnings, [], 'every track placed without doubt');
    const transcript = (await product.request('GET', `/v1/transcripts/${result.transcriptId}`)).body;
    // A reconnection is one speaker: three people, not four.
    assert.deepEqual(transcript.participants.map((p: { name: string }) => p.name).sort(), ['Alice', 'Bob', 'Carol']);
    const heard = (who: string) => (transcript.segments as Array<{ speakerName: string; text: string }>).filter((s) => s.speakerName === who).map((s) => s.text).join(' ').toLowerCase();
    assert.match(heard('Alice'), /look back/, heard('Alice'));
    assert.match(heard('Bob'), /on time/, heard('Bob'));
    assert.match(heard('Carol'), /one day earlier/, heard('Carol'));
    // In the order they spoke.
    const order = (transcript.segments as Array<{ speakerName: string }>).map((s) => s.speakerName).filter((name, i, all) => name !== all[i - 1]);
    assert.deepEqual(order, ['Alice', 'Bob', 'Carol']);

    // The composite: an MP4 through the same link as Daily's.
    const link = await fetch(`${product.url}/v1/meetings/${meeting.id}/cloud-recording`, { redirect: 'manual', headers: product.adminHeaders });
    assert.equal(link.status, 307);
    const video = await fetch(link.headers.get('location')!);
    assert.equal(video.status, 200);
    assert.ok((await video.arrayBuffer()).byteLength > 1000);

    // Findable in the Temporal UI by its platform.
    const runs = [];
    for await (const run of product.services.temporal.workflow.list({ query: `Platform = "livekit" AND WorkflowId = "${meetingWorkflowId(meeting.id)}"` })) runs.push(run);
    assert.equal(runs.length, 1);
  });

  it('holds a Daily meeting and a LiveKit meeting at the same time, each on its own platform', { timeout: 240_000 }, async () => {
    await product.request('POST', '/v1/rooms', { name: 'daily-side', platform: 'daily', recordingTrigger: 'automatic' });
    await product.request('POST', '/v1/rooms', { name: 'livekit-side', platform: 'livekit', recordingTrigger: 'automatic' });
    const onDaily = (await product.request('POST', '/v1/rooms/daily-side/meetings')).body;
    const onLiveKit = (await product.request('POST', '/v1/rooms/livekit-side/meetings')).body;
    assert.deepEqual([onDaily.platform, onLiveKit.platform], ['daily', 'livekit']);

    const dana = await product.daily.join(onDaily.platformRoomName, { userName: 'Dana', userId: 'dana', owner: true });
    const lee = await sim.join(onLiveKit.platformRoomName, { identity: 'lee', name: 'Lee' });
    for (const m of [onDaily, onLiveKit]) assert.equal((await product.request('POST', `/v1/meetings/${m.id}/recordings/start`, {})).body.status, 'recording');
    await product.daily.say(dana.sessionId, { text: 'This is the Daily room.' });
    await sim.say(lee.participantSid, { text: 'This is the LiveKit room.' });
    await sleep(2500);
    await product.daily.leave(dana.sessionId);
    await sim.leave(lee.participantSid);
    await product.request('POST', `/v1/meetings/${onLiveKit.id}/end`);

    const [daily, livekit] = await Promise.all([meetingResult(onDaily.id), meetingResult(onLiveKit.id)]);
    assert.deepEqual(daily.recordings.map((r) => `${r.kind}:${r.status}`).sort(), ['cloud:ready', 'raw-tracks:ready']);
    assert.deepEqual(livekit.recordings.map((r) => `${r.kind}:${r.status}`).sort(), ['cloud:ready', 'raw-tracks:ready']);
    // Each platform's webhooks arrived at its own route and matched its own meeting.
    const em = product.services.db.em.fork();
    const events = await em.find(WebhookEvent, { meetingId: { $in: [onDaily.id, onLiveKit.id] } });
    assert.ok(events.length > 0);
    for (const e of events) assert.equal(e.platform, e.meetingId === onDaily.id ? 'daily' : 'livekit', `${e.platform} event ${e.type} matched the other meeting`);
  });

  it('marks a failed egress as an error with its reason, and recovers a dropped egress_ended through ListEgress', { timeout: 240_000 }, async () => {
    await product.request('POST', '/v1/rooms', { name: 'faulty', platform: 'livekit', recordingTrigger: 'automatic' });
    const meeting = (await product.request('POST', '/v1/rooms/faulty/meetings')).body;
    // The composite fails soon after it starts; then the one track egress's egress_ended is never sent.
    await sim.setFaults({ egress: [{ action: 'fail', kinds: ['room_composite'], error: 'no GPU available for the compositor', afterMs: 500, count: 1 }] });
    const host = await sim.join(meeting.platformRoomName, { identity: 'host', name: 'Host' });
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
    await waitFor('the composite to fail, as our records say', async () => (await product.services.db.em.fork().count(Recording, { meeting: meeting.id, type: 'cloud', status: 'failed' })) > 0);
    await sim.setFaults({ webhooks: [{ action: 'drop', types: ['egress_ended'], count: 1 }] });
    await sim.say(host.participantSid, { text: 'Testing one two three.' });
    await sleep(3000);
    await sim.leave(host.participantSid);
    await product.request('POST', `/v1/meetings/${meeting.id}/end`);

    const state = await meetingResult(meeting.id);
    await sim.setFaults({});
    const composite = state.recordings.filter((r) => r.kind === 'cloud');
    assert.equal(composite[0]?.status, 'error', JSON.stringify(state.recordings));
    assert.match(composite[0]?.error ?? '', /EGRESS_FAILED.*no GPU/);
    // Its ended webhook was dropped, yet the track was found at the platform and transcribed.
    assert.deepEqual(state.speakerTracks?.map((t) => t.status), ['ready'], JSON.stringify(state.speakerTracks));
    assert.equal(state.recordings.find((r) => r.kind === 'raw-tracks')?.status, 'ready');
    const processed: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(speakerAudioInstanceId(meeting.id))).result();
    assert.equal(processed.audioTracks, 1);
    const row = await product.services.db.em.fork().findOneOrFail(Recording, speakerAudioInstanceId(meeting.id));
    assert.equal(row.trackKeys?.length, 1);
  });
});

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
