// Participant webhooks reach the meeting workflow in the order their handlers finish, not Daily's:
// a leave before its join, and a meeting's webhooks shuffled and sent at once, end as they would in order
// (presence, rows, count and the second-participant trigger); the meeting's end closes the sessions still open.
// The simulator knows nothing of these faked participants, so the presence sweep is kept out of the way.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, sendDailyWebhook, type TestProduct } from './support/product.ts';
import { Meeting, ParticipantSession } from '../db/entities.ts';
import { meetingStateQuery } from '../workflows/meeting.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';

describe('participant events applied in their own order', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'partorder', env: { MEETING_PRESENCE_SWEEP_SECONDS: '3600' } });
  });
  after(() => product?.stop());

  async function openMeeting(room: string, recordingTrigger = 'none') {
    await product.request('POST', '/v1/rooms', { name: room, recordingTrigger });
    const meeting = (await product.request('POST', '/v1/rooms/' + room + '/meetings')).body as { id: string };
    const row = await product.services.db.em.fork().findOneOrFail(Meeting, meeting.id);
    return { id: meeting.id, platformRoomName: row.platformRoomName! };
  }

  const startSec = Math.floor(Date.now() / 1000);
  function envelope(roomName: string, type: 'participant.joined' | 'participant.left', sessionId: string, joinedAt: number, duration?: number) {
    return JSON.stringify({
      version: '1.0.0', type, id: `${roomName}/${type}/${sessionId}`, event_ts: duration === undefined ? joinedAt : joinedAt + duration,
      payload: { room: roomName, session_id: sessionId, user_name: sessionId, joined_at: joinedAt, owner: false, ...(duration !== undefined && { duration }) },
    });
  }
  /** Shuffled by a seeded generator, so a failing order can be replayed (PARTICIPANT_ORDER_SEED). */
  const seed = Number(process.env.PARTICIPANT_ORDER_SEED ?? Date.now() % 100_000);
  function shuffle<T>(items: T[]): T[] {
    let x = seed;
    const random = () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  const sendAtOnce = (bodies: string[]) => Promise.all(bodies.map(async (body, i) => { await sleep(i * 10); await send(body); }));
  async function send(body: string) {
    const response = await sendDailyWebhook(product, body);
    assert.equal(response.status, 200, await response.text());
  }
  /** The workflow has applied `joins` joins and `leaves` leaves and their rows are written (joins count once written). */
  async function settled(meetingId: string, joins: number, leaves: number): Promise<MeetingState> {
    const handle = product.services.temporal.workflow.getHandle(meetingWorkflowId(meetingId));
    for (let i = 0; i < 300; i++) {
      const state = await handle.query(meetingStateQuery);
      const left = await product.services.db.em.fork().count(ParticipantSession, { meeting: meetingId, leftAt: { $ne: null } });
      if (state.participantsSeen >= joins && state.appliedEventIds.length >= joins + leaves && left >= leaves) return state;
      await sleep(100);
    }
    assert.fail(`meeting ${meetingId}: ${joins} joins and ${leaves} leaves not applied within 30 s`);
  }
  async function sessions(meetingId: string) {
    const rows = await product.services.db.em.fork().find(ParticipantSession, { meeting: meetingId }, { orderBy: { sessionId: 'asc' } });
    return rows.map((r) => ({ sessionId: r.sessionId, joinedAt: r.joinedAt.toISOString(), leftAt: r.leftAt?.toISOString() ?? null }));
  }

  it('keeps a leave sent 1.5 s before its join', { timeout: 60_000 }, async () => {
    const meeting = await openMeeting('early-leave');
    await send(envelope(meeting.platformRoomName, 'participant.left', 's-early', startSec, 4));
    await sleep(1_500);
    await send(envelope(meeting.platformRoomName, 'participant.joined', 's-early', startSec));
    const state = await settled(meeting.id, 1, 1);
    assert.deepEqual(state.presentSessions, []);
    assert.deepEqual(await sessions(meeting.id), [{ sessionId: 's-early', joinedAt: new Date(startSec * 1000).toISOString(), leftAt: new Date((startSec + 4) * 1000).toISOString() }]);
    assert.equal((await product.services.db.em.fork().findOneOrFail(Meeting, meeting.id)).participantCount, 0);
  });

  it('ends shuffled concurrent webhooks as the in-order delivery does', { timeout: 120_000 }, async () => {
    const build = (roomName: string) => {
      const bodies: string[] = [];
      for (let i = 0; i < 40; i++) {
        const id = `s-${String(i).padStart(2, '0')}`;
        bodies.push(envelope(roomName, 'participant.joined', id, startSec + i));
        if (i >= 3) bodies.push(envelope(roomName, 'participant.left', id, startSec + i, 2)); // three stay
      }
      return bodies;
    };
    const inOrder = await openMeeting('in-order');
    for (const body of build(inOrder.platformRoomName)) await send(body);
    const shuffledMeeting = await openMeeting('shuffled');
    await sendAtOnce(shuffle(build(shuffledMeeting.platformRoomName)));

    const expected = await settled(inOrder.id, 40, 37);
    const actual = await settled(shuffledMeeting.id, 40, 37);
    assert.deepEqual(actual.presentSessions.toSorted(), ['s-00', 's-01', 's-02'], `seed ${seed}`);
    assert.deepEqual(actual.presentSessions.toSorted(), expected.presentSessions.toSorted());
    assert.equal(actual.participantsSeen, expected.participantsSeen);
    assert.deepEqual(actual.earlyLeaves ?? [], []);
    assert.deepEqual(await sessions(shuffledMeeting.id), await sessions(inOrder.id));
    const em = product.services.db.em.fork();
    assert.equal((await em.findOneOrFail(Meeting, shuffledMeeting.id)).participantCount, 3);
    assert.equal((await em.findOneOrFail(Meeting, inOrder.id)).participantCount, 3);
  });

  it('starts the second-participant recording only if two sessions really met, whatever the order', { timeout: 60_000 }, async () => {
    const handleOf = (meetingId: string) => product.services.temporal.workflow.getHandle(meetingWorkflowId(meetingId));
    const ask = async (meetingId: string) =>
      assert.equal((await product.request('POST', `/v1/meetings/${meetingId}/recordings/start`, { manual: false })).body.status, 'waiting-for-participant');
    // One after another, never together (in order nobody is ever second), delivered joins first: both look present
    // until the leaves, sent once the workflow has applied both joins, say otherwise.
    const apart = await openMeeting('apart', 'automatic-2nd-participant');
    await ask(apart.id);
    await send(envelope(apart.platformRoomName, 'participant.joined', 'earlier', startSec));
    await send(envelope(apart.platformRoomName, 'participant.joined', 'later', startSec + 10));
    assert.deepEqual((await settled(apart.id, 2, 0)).presentSessions, ['earlier', 'later']);
    await send(envelope(apart.platformRoomName, 'participant.left', 'earlier', startSec, 5));
    await send(envelope(apart.platformRoomName, 'participant.left', 'later', startSec + 10, 5));
    // Two who met, delivered leaves first: neither is ever present, yet they were together.
    const together = await openMeeting('together', 'automatic-2nd-participant');
    await ask(together.id);
    await sendAtOnce([
      envelope(together.platformRoomName, 'participant.left', 'first', startSec, 20),
      envelope(together.platformRoomName, 'participant.left', 'second', startSec + 5, 5),
      envelope(together.platformRoomName, 'participant.joined', 'second', startSec + 5),
      envelope(together.platformRoomName, 'participant.joined', 'first', startSec),
    ]);

    assert.deepEqual((await settled(apart.id, 2, 2)).presentSessions, []);
    await sleep(3_000); // longer than the trigger waits for late leaves
    const apartState = await handleOf(apart.id).query(meetingStateQuery);
    assert.equal(apartState.recording.status, 'waiting-for-participant');
    assert.deepEqual(apartState.starts, []);
    const togetherState = await settled(together.id, 2, 2);
    assert.deepEqual(togetherState.presentSessions, []);
    assert.notEqual(togetherState.recording.status, 'waiting-for-participant', 'the trigger fired: two sessions met');
  });

  it('closes the sessions still open when the meeting ends, a join after the end already left', { timeout: 60_000 }, async () => {
    const meeting = await openMeeting('ended');
    const room = meeting.platformRoomName;
    await send(envelope(room, 'participant.joined', 'stays', startSec));
    await send(envelope(room, 'participant.joined', 'leaves-late', startSec + 1));
    const endSec = startSec + 30;
    await send(JSON.stringify({
      version: '1.0.0', type: 'meeting.ended', id: `${room}/meeting.ended`, event_ts: endSec,
      payload: { room, meeting_id: `${room}-call`, start_ts: startSec, end_ts: endSec },
    }));
    // After the end: a leave still counts with its own time; a join is closed at the end, or at once if it came later.
    await send(envelope(room, 'participant.left', 'leaves-late', startSec + 1, 20));
    await send(envelope(room, 'participant.joined', 'after-end', startSec + 40));
    await send(envelope(room, 'participant.joined', 'lost-leave', startSec + 2));
    const handle = product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
    let state = await handle.query(meetingStateQuery);
    for (let i = 0; i < 300 && !state.sessionsClosedAt; i++) {
      await sleep(100);
      state = await handle.query(meetingStateQuery);
    }
    await settled(meeting.id, 4, 2);
    const at = (sec: number) => new Date(sec * 1000).toISOString();
    assert.equal(state.sessionsClosedAt, at(endSec));
    assert.deepEqual(state.presentSessions, []);
    assert.deepEqual(await sessions(meeting.id), [
      { sessionId: 'after-end', joinedAt: at(startSec + 40), leftAt: at(startSec + 40) },
      { sessionId: 'leaves-late', joinedAt: at(startSec + 1), leftAt: at(startSec + 21) },
      { sessionId: 'lost-leave', joinedAt: at(startSec + 2), leftAt: at(endSec) },
      { sessionId: 'stays', joinedAt: at(startSec), leftAt: at(endSec) },
    ]);
    assert.equal((await product.services.db.em.fork().findOneOrFail(Meeting, meeting.id)).participantCount, 0);
  });
});
