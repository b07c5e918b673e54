// Whole long meetings (issue 17 item 4): each recording's start tells the platform its maximum duration, and a
// recording the platform stops at that limit while the meeting goes on is followed by the next one, so the
// meeting's recordings, and the transcripts made of them, cover it from start to end. Here the limit is 4 s
// (RECORDING_MAX_DURATION_SECONDS) and the Daily simulator stops each recording at the duration it was given.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, recordingWorkflowResult, type TestProduct } from './support/product.ts';
import { Recording, Transcript } from '../db/entities.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';

const LIMIT_SECONDS = 4;

describe('recordings continue past the platform limit while the meeting goes on', () => {
  let product: TestProduct;
  before(async () => {
    // A recording started just before everyone leaves lasts 0 s, and Daily sends no ready for it: the meeting finds
    // it by reconciliation, after this wait.
    product = await startTestProduct({ name: 'reclimit', env: { RECORDING_MAX_DURATION_SECONDS: String(LIMIT_SECONDS), RECORDING_READY_TIMEOUT_SECONDS: '45' } });
  });
  after(() => product?.stop());

  it('starts the next recording at each limit: consecutive recordings and transcripts cover the meeting', { timeout: 240_000 }, async () => {
    const sim = product.daily;
    await product.request('POST', '/v1/rooms', { name: 'long', recordingTrigger: 'automatic' });
    const meeting = (await product.request('POST', '/v1/rooms/long/meetings')).body as { id: string; platformRoomName: string };
    const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
    const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
    const recordingSince = Date.now();
    // Speech well inside the first recording and well inside the last: both must reach a transcript.
    const first = await sim.say(alice.sessionId, { text: 'Good morning everyone.' });
    await sleep(first.durationMs + 9_000);
    const last = await sim.say(bob.sessionId, { text: 'Thank you, goodbye.' });
    await sleep(last.durationMs + 500);
    const recordedFor = (Date.now() - recordingSince) / 1000;
    for (const who of [alice, bob]) await sim.leave(who.sessionId);

    const result: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    assert.equal(result.endReason, 'platform');
    // As many pieces as the limit cuts the meeting into, less one for the short gaps between them.
    const expectedPerKind = Math.ceil(recordedFor / LIMIT_SECONDS) - 1;
    for (const kind of ['cloud', 'raw-tracks'] as const) {
      const ofKind = result.recordings.filter((r) => r.kind === kind);
      assert.ok(ofKind.length >= expectedPerKind, `${ofKind.length} ${kind} recordings in ${recordedFor.toFixed(1)} s, at most ${LIMIT_SECONDS} s each`);
      assert.deepEqual(ofKind.map((r) => r.status), ofKind.map(() => 'ready'), JSON.stringify(ofKind));
    }

    // Each recording ran at most the limit, and the next one began right after it: no stretch of the meeting unrecorded.
    const em = product.services.db.em.fork();
    for (const kind of ['cloud', 'raw-tracks'] as const) {
      const rows = await em.find(Recording, { meeting: meeting.id, type: kind }, { orderBy: { recordedAt: 'asc' } });
      let covered = 0;
      for (const [i, row] of rows.entries()) {
        assert.ok(row.durationSeconds! <= LIMIT_SECONDS, `${kind} recording ${i} lasted ${row.durationSeconds} s`);
        covered += row.durationSeconds!;
        const next = rows[i + 1];
        if (!next) continue;
        const gap = (next.recordedAt.getTime() - row.recordedAt.getTime()) / 1000 - row.durationSeconds!;
        assert.ok(gap <= 3, `${kind}: ${gap.toFixed(1)} s unrecorded between recordings ${i} and ${i + 1}`);
      }
      assert.ok(covered >= recordedFor - rows.length * 3, `${kind}: ${covered} s recorded of ${recordedFor.toFixed(1)} s`);
    }

    // Every raw-tracks recording with a length is transcribed; the first words and the last are in the meeting's transcripts.
    const rawTracks = await em.find(Recording, { meeting: meeting.id, type: 'raw-tracks', durationSeconds: { $gt: 0 } });
    const outcomes = await Promise.all(rawTracks.map((r) => recordingWorkflowResult(product, r.id, 120_000)));
    assert.deepEqual(outcomes.map((o) => o.transcriptStatus), outcomes.map(() => 'ended'));
    const transcripts = await em.find(Transcript, { recording: { $in: rawTracks.map((r) => r.id) } });
    const text = transcripts.map((t) => t.webvtt ?? '').join('\n').toLowerCase();
    assert.match(text, /morning/, text);
    assert.match(text, /thank you/, text);
  });
});
