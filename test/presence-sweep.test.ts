// The presence sweep (issue 17 item 6): while a meeting is open its workflow asks the platform, every
// MEETING_PRESENCE_SWEEP_SECONDS, whether the call still goes on. Here Daily's meeting.ended (and one
// participant.left) are lost: the sweep notices the room is empty and ends the meeting as the webhook would,
// closing the session whose leave was lost. A room nobody has joined yet, and a live call, stay open.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { Meeting, ParticipantSession, WebhookEvent } from '../db/entities.ts';
import { meetingStateQuery } from '../workflows/meeting.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';

const SWEEP_SECONDS = 2;

describe('presence sweep: a meeting the platform has ended is ended without its webhook', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'presencesweep', env: { MEETING_PRESENCE_SWEEP_SECONDS: String(SWEEP_SECONDS) } });
  });
  after(() => product?.stop());

  it('ends the meeting after a dropped meeting.ended, and closes the session whose leave was dropped', { timeout: 90_000 }, async () => {
    const sim = product.daily;
    await product.request('POST', '/v1/rooms', { name: 'swept', recordingTrigger: 'none' });
    const meeting = (await product.request('POST', '/v1/rooms/swept/meetings')).body as { id: string; platformRoomName: string };
    const handle = product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
    const state = () => handle.query(meetingStateQuery);
    const waitFor = async (what: string, probe: (s: MeetingState) => boolean) => {
      for (let i = 0; i < 300; i++) {
        const s = await state();
        if (probe(s)) return s;
        await sleep(100);
      }
      assert.fail(`timed out waiting for ${what}`);
    };

    // Nobody has joined: the platform has no call, and that is no reason to end the meeting.
    await sleep(SWEEP_SECONDS * 2500);
    assert.equal((await state()).phase, 'open');

    await sim.setFaults({ webhooks: [
      { action: 'drop', types: ['meeting.ended'] },
      { action: 'drop', types: ['participant.left'], count: 1 },
    ] });
    const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
    const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
    await waitFor('both present', (s) => s.presentSessions.length === 2);
    // A live call survives the sweeps.
    await sleep(SWEEP_SECONDS * 2500);
    const live = await state();
    assert.equal(live.phase, 'open');
    assert.equal(live.platformCallSeen, true);

    await sim.leave(alice.sessionId); // its participant.left is dropped
    await sim.leave(bob.sessionId);
    const emptiedAt = Date.now();
    const result: MeetingState = await handle.result();
    assert.equal(result.endReason, 'platform');
    assert.equal(result.phase, 'ended');
    assert.deepEqual(result.presentSessions, []);

    // The webhooks really were lost: the product never received a meeting.ended, nor Alice's leave.
    const em = product.services.db.em.fork();
    assert.equal(await em.count(WebhookEvent, { meetingId: meeting.id, type: 'meeting.ended' }), 0);
    assert.equal(await em.count(WebhookEvent, { meetingId: meeting.id, type: 'participant.left' }), 1);
    assert.ok((await sim.webhookDeliveries()).some((d) => d.type === 'meeting.ended' && d.outcome === 'dropped'));

    const row = await em.findOneOrFail(Meeting, meeting.id);
    assert.equal(row.active, false);
    assert.ok(row.endedAt && row.endedAt.getTime() - emptiedAt < 5 * 60_000, `ended at ${row.endedAt?.toISOString()}, within 5 minutes of the room emptying`);
    assert.equal(row.participantCount, 0);
    const sessions = await em.find(ParticipantSession, { meeting: meeting.id }, { orderBy: { userName: 'asc' } });
    assert.deepEqual(sessions.map((s) => [s.userName, s.leftAt !== null]), [['Alice', true], ['Bob', true]]);
    // Alice's leave never came: her session was closed at the meeting's end.
    assert.equal(sessions[0]!.leftAt!.toISOString(), result.sessionsClosedAt);
  });
});
