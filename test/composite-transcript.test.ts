// Composite-only transcripts, platform-neutral: a platform without per-speaker audio (perSpeakerAudio `none`)
// hands the recording workflow its composite with `compositeTranscript`, and the mixed audio becomes a transcript
// with one speaker, the whole room. Here a Daily meeting's cloud recording is processed that way (the pipeline is
// started as a composite-only platform's meeting starts it), so the words are real speech through the real pipeline.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { Recording } from '../db/entities.ts';
import { COMPOSITE, meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { compositeSpeakerName, compositeTranscriptFor, type RecordingWorkflowResult } from '../recordings/messages.ts';
import { startRecordingPipeline } from '../recordings/pipeline.ts';

describe('composite-only transcripts', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'compositetx', env: { RECORDING_READY_TIMEOUT_SECONDS: '6' } });
  });
  after(() => product?.stop());

  it('only a platform without per-speaker audio asks for a composite transcript', () => {
    assert.deepEqual(compositeTranscriptFor('none'), { compositeTranscript: true });
    assert.deepEqual(compositeTranscriptFor('with-composite'), {});
    assert.deepEqual(compositeTranscriptFor('per-track'), {});
    assert.deepEqual(compositeTranscriptFor(undefined), {});
  });

  it('turns the mixed audio into a transcript with one speaker, the room, and says so', { timeout: 240_000 }, async () => {
    const sim = product.daily;
    await product.request('POST', '/v1/rooms', { name: 'mixed', recordingTrigger: 'automatic' });
    const meeting = (await product.request('POST', '/v1/rooms/mixed/meetings')).body;
    const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
    const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
    const said = await sim.say(alice.sessionId, { text: 'Good morning, let us plan the release.' });
    await sleep(said.durationMs + 700);
    const answered = await sim.say(bob.sessionId, { text: 'The budget is on track.' });
    await sleep(answered.durationMs + 700);
    for (const who of [alice, bob]) await sim.leave(who.sessionId);

    const state: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    const cloud = state.recordings.find((r) => r.kind === COMPOSITE && r.status === 'ready');
    assert.ok(cloud, JSON.stringify(state.recordings));
    // The meeting's own run only stored the composite (Daily records per-speaker audio beside it).
    const stored: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(`recording/${cloud.id}`).result();
    assert.equal(stored.transcriptId, undefined);

    const row = await product.services.db.em.fork().findOneOrFail(Recording, cloud.id);
    const handle = await startRecordingPipeline(product.services.temporal, product.services.config.temporal.taskQueue, {
      meetingId: meeting.id, roomName: 'mixed', recordingId: row.id, kind: COMPOSITE, startedAt: row.recordedAt.toISOString(),
      durationSeconds: row.durationSeconds ?? 0, objectKey: row.objectKey!, tracks: null, platformMeetingId: null,
      ...compositeTranscriptFor('none'),
    }, { runs: 'again', summary: 'composite-only transcript' });
    const result: RecordingWorkflowResult = await handle.result();
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));

    const transcript = (await product.request('GET', `/v1/transcripts/${result.transcriptId}`)).body;
    assert.equal(transcript.speakers, 'mixed-audio');
    assert.deepEqual(transcript.participants.map((p: { name: string }) => p.name), [compositeSpeakerName('mixed')]);
    const segments = transcript.segments as Array<{ speaker: number; text: string }>;
    assert.ok(segments.length >= 1);
    assert.ok(segments.every((s) => s.speaker === 0));
    const text = segments.map((s) => s.text).join(' ').toLowerCase();
    for (const word of ['morning', 'release', 'budget']) assert.match(text, new RegExp(word), text);
    assert.ok(transcript.audio, 'the mixed audio is playable beside the transcript');
  });
});
