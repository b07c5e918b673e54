// 100ms with track recording in the template (HMS_TEMPLATE_RECORDS_TRACKS=true) end to end on its embedded
// simulator: real Temporal, PGlite, ffmpeg and Whisper. Each peer's microphone is recorded from join to leave by the
// template (track.recording.success per peer), beside the host's beam composite: the meeting gets a per-speaker
// transcript, each turn by its own speaker with the name they joined with, and the composite stays playable.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordingWorkflowResult, startTestProduct, type TestProduct } from './support/product.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import type { HmsSimulator } from '../platforms/hms/simulator/index.ts';

describe('100ms with per-track recording: one transcript turn per speaker, by their own microphone', () => {
  let product: TestProduct;
  let sim: HmsSimulator;
  before(async () => {
    product = await startTestProduct({ name: 'hmstracks', hms: true, env: { HMS_TEMPLATE_RECORDS_TRACKS: 'true', RECORDING_READY_TIMEOUT_SECONDS: '20' } });
    sim = product.hms!;
  });
  after(() => product?.stop());

  it('records each peer on its own and transcribes them by name', { timeout: 300_000 }, async () => {
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'hms-tracks', platform: '100ms', recordingTrigger: 'none' })).status, 201);
    const meeting = (await product.request('POST', '/v1/rooms/hms-tracks/meetings')).body;
    const join = await product.request('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Alice' });
    assert.equal(join.status, 200, JSON.stringify(join.body));
    // As the browser SDK joins: our app token (its user and role), and the name typed.
    const alice = await sim.join(meeting.platformRoomName, { token: join.body.token, name: 'Alice', voice: 'en-us' });
    const bob = await sim.join(meeting.platformRoomName, { name: 'Bob', userId: 'bob', role: 'guest', voice: 'en-gb' });
    const started = await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, { manual: true });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    for (const deadline = Date.now() + 20_000; !(await sim.state()).recordings.some((r) => r.roomId === meeting.platformRoomName && r.status === 'running'); await sleep(200)) {
      if (Date.now() > deadline) throw new Error('the beam did not run');
    }
    for (const [who, text] of [[alice, 'Good morning everyone, the release went out on time.'], [bob, 'Thank you Alice. The budget is on track and we will hire two engineers.']] as const) {
      const said = await sim.say(who.peerId, { text });
      await sleep(said.durationMs + 700);
    }
    await product.request('POST', `/v1/meetings/${meeting.id}/recordings/stop`, {});
    await sim.leave(bob.peerId);
    await sim.leave(alice.peerId);
    await product.request('POST', `/v1/meetings/${meeting.id}/end`);

    const state: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    const kinds = state.recordings.map((r) => `${r.kind}:${r.status}`).sort();
    assert.deepEqual(kinds, ['cloud:ready', 'raw-tracks:ready'], JSON.stringify(state.recordings));
    assert.equal(state.speakerTracks?.filter((t) => t.status === 'ready').length, 2, JSON.stringify(state.speakerTracks));

    const perSpeaker = state.recordings.find((r) => r.kind === 'raw-tracks')!;
    const result = await recordingWorkflowResult(product, perSpeaker.id, 240_000);
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    assert.equal(result.audioTracks, 2);
    const transcript = (await product.request('GET', `/v1/transcripts/${result.transcriptId}`)).body;
    assert.equal(transcript.speakers, 'per-speaker-audio');
    const said = (name: string) => (transcript.segments as Array<{ speakerName: string; text: string }>).filter((s) => s.speakerName === name).map((s) => s.text).join(' ').toLowerCase();
    assert.match(said('Alice'), /release|on time/, JSON.stringify(transcript.segments));
    assert.match(said('Bob'), /budget|two engineers/, JSON.stringify(transcript.segments));
    assert.doesNotMatch(said('Alice'), /budget|engineers/, "Bob's words are not Alice's");

    const composite = state.recordings.find((r) => r.kind === 'cloud')!;
    const cloud = await recordingWorkflowResult(product, composite.id, 120_000);
    assert.equal(cloud.transcriptId, undefined, 'the composite is not transcribed where each speaker is');
    const link = await fetch(`${product.url}/v1/meetings/${meeting.id}/cloud-recording`, { redirect: 'manual', headers: product.adminHeaders });
    assert.equal(link.status, 307);
  });
});
