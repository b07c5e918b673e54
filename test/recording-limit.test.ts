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
import { meetingStateQuery } from '../workflows/meeting.ts';

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
    await sleep(first.durationMs + 6_000);
    // The last line inside a later recording, not across the gap between two: said once the meeting reports a
    // raw-tracks recording running that started (Daily's start time is whole seconds, so 1.3 s after it) with room
    // left before its limit for the line (on a busy machine the next recording may start seconds after the last).
    const handle = product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
    const firstRecording = (await handle.query(meetingStateQuery)).recordings.find((r) => r.kind === 'raw-tracks');
    for (const deadline = Date.now() + 60_000; ; await sleep(100)) {
      const running = (await handle.query(meetingStateQuery)).recordings.find((r) => r.kind === 'raw-tracks' && r.status === 'recording' && r.id !== firstRecording?.id && r.startedAt);
      const since = running ? (Date.now() - Date.parse(running.startedAt!)) / 1000 : -1;
      if (since >= 1.3 && since <= LIMIT_SECONDS - 2.2) break;
      assert.ok(Date.now() < deadline, 'a later raw-tracks recording with room for the last line');
    }
    const lastSaidAt = new Date();
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

    // The meeting hands each recording to its own pipeline, which stores its length: all of them are waited for.
    const outcomes = new Map(await Promise.all(result.recordings.map(async (r) => [r.id, await recordingWorkflowResult(product, r.id, 120_000)] as const)));

    // Each recording ran at most the limit, and the next one began right after it: no stretch of the meeting unrecorded.
    const em = product.services.db.em.fork();
    for (const kind of ['cloud', 'raw-tracks'] as const) {
      const rows = await em.find(Recording, { meeting: meeting.id, type: kind }, { orderBy: { recordedAt: 'asc' } });
      let covered = 0;
      for (const [i, row] of rows.entries()) {
        assert.ok(row.durationSeconds != null && row.durationSeconds <= LIMIT_SECONDS, `${kind} recording ${i} lasted ${row.durationSeconds} s`);
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
    assert.deepEqual(rawTracks.map((r) => outcomes.get(r.id)?.transcriptStatus), rawTracks.map(() => 'ended'));
    const transcripts = await em.find(Transcript, { recording: { $in: rawTracks.map((r) => r.id) } });
    const text = transcripts.map((t) => t.webvtt ?? '').join('\n').toLowerCase();
    const allRaw = await em.find(Recording, { meeting: meeting.id, type: 'raw-tracks' }, { orderBy: { recordedAt: 'asc' } });
    const story = [`the last line said at ${lastSaidAt.toISOString()}`, ...allRaw.map((r) => {
      const t = transcripts.find((x) => x.recording.id === r.id);
      return `${r.recordedAt.toISOString()} +${r.durationSeconds} s ${r.status}: ${JSON.stringify(t?.webvtt ?? null)}`;
    })].join('\n');
    assert.match(text, /morning/, story);
    assert.match(text, /thank you/, story);
  });
});
