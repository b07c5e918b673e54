// A burst of participant events costs the meeting workflow a few activities, not one per event: the events
// waiting together are noted on its state in their order and written by one activity, exactly once each.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendDailyWebhook, startTestProduct, type TestProduct } from './support/product.ts';
import { Meeting, ParticipantSession, WebhookEvent } from '../db/entities.ts';
import { meetingEventSignal, meetingStateQuery } from '../workflows/meeting.ts';
import { meetingWorkflowId, type MeetingEvent, type MeetingState } from '../meetings/messages.ts';

describe('participant events in a burst', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'batched' });
  });
  after(() => product?.stop());

  it('writes 30 joins and 20 leaves, one redelivered and one leave before its join, with a few activities', { timeout: 120_000 }, async () => {
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'burst' })).status, 201);
    const meeting = (await product.request('POST', '/v1/rooms/burst/meetings')).body;
    const handle = product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
    const t0 = Date.now();
    const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
    const joins = Array.from({ length: 30 }, (_, i) => ({ type: 'participant.joined' as const, eventId: `join-${i}`, sessionId: `s${i}`, userId: `u${i}`, userName: `Person ${i}`, isOwner: i === 0, at: at(i) }));
    const events: MeetingEvent[] = [...joins];
    for (let i = 0; i < 20; i++) events.push({ type: 'participant.left', eventId: `left-${i}`, sessionId: `s${i}`, at: at(100 + i) });
    // A leave whose join may come after it (by arrival, not by time).
    events.push({ type: 'participant.left', eventId: 'left-late', sessionId: 'late', at: at(60) });
    events.push({ type: 'participant.joined', eventId: 'join-late', sessionId: 'late', userId: 'ul', userName: 'Late', isOwner: false, at: at(50) });

    await Promise.all(events.map((event) => handle.signal(meetingEventSignal, event)));
    // A retried webhook: an event signalled again.
    await handle.signal(meetingEventSignal, { ...joins[25]!, userName: 'Redelivered' });
    // Then one more join: once it is applied, the one before it was too (one sender's signals keep their order).
    await handle.signal(meetingEventSignal, { ...joins[29]!, eventId: 'join-last', sessionId: 'last', userName: 'Last' });
    const deadline = Date.now() + 60_000;
    let state = await handle.query(meetingStateQuery);
    while (state.participantsSeen < 32 && Date.now() < deadline) {
      await sleep(100);
      state = await handle.query(meetingStateQuery);
    }
    assert.equal(state.participantsSeen, 32, 'every join applied once');
    assert.deepEqual([...state.presentSessions].sort(), [...Array.from({ length: 10 }, (_, i) => `s${20 + i}`), 'last'].sort(), 'the eleven who stayed; the late session left already');

    const em = product.services.db.em.fork();
    const rows = await em.find(ParticipantSession, { meeting: meeting.id });
    assert.equal(rows.length, 32);
    assert.equal(rows.filter((r) => r.leftAt === null).length, 11);
    assert.equal(rows.find((r) => r.sessionId === 's25')!.userName, 'Person 25', 'a redelivered event is not applied again');
    const late = rows.find((r) => r.sessionId === 'late')!;
    assert.equal(late.joinedAt.toISOString(), at(50));
    assert.equal(late.leftAt?.toISOString(), at(60));
    assert.equal((await em.findOneOrFail(Meeting, meeting.id)).participantCount, 11);

    const history = await handle.fetchHistory();
    const written = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((name) => name?.startsWith('recordParticipant'));
    assert.ok(written.every((name) => name === 'recordParticipantEvents'), written.join(', '));
    assert.ok(written.length <= events.length / 4, `${events.length + 2} events written by ${written.length} activities`);
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
  });

  it('applies a burst of webhooks once each; those waiting for one meeting go in one signal', { timeout: 120_000 }, async () => {
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'burst-hooks' })).status, 201);
    const meeting = (await product.request('POST', '/v1/rooms/burst-hooks/meetings')).body;
    const handle = product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id));
    const t0 = Date.now() / 1000;
    const joined = (i: number) => JSON.stringify({
      version: '1.0.0', type: 'participant.joined', id: `ptcpt-join-burst-${meeting.id}-${i}`, event_ts: t0 + i,
      payload: { room: meeting.platformRoomName, user_name: `Person ${i}`, user_id: `user-${i}`, session_id: `session-${i}`, joined_at: t0 + i, will_eject_at: null, owner: false, permissions: { hasPresence: true, canSend: true, canReceive: { base: true }, canAdmin: false } },
    });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => sendDailyWebhook(product, joined(i))));
    assert.ok(answers.every((a) => a.status === 200), answers.map((a) => a.status).join(','));
    // A webhook Daily sends again: acknowledged, not applied twice.
    assert.equal((await sendDailyWebhook(product, joined(7))).status, 200);

    const deadline = Date.now() + 60_000;
    while ((await handle.query(meetingStateQuery)).participantsSeen < 40 && Date.now() < deadline) await sleep(100);
    const em = product.services.db.em.fork();
    assert.equal(await em.count(ParticipantSession, { meeting: meeting.id }), 40);
    const outcomes = await em.find(WebhookEvent, { meetingId: meeting.id });
    assert.equal(outcomes.length, 40);
    assert.ok(outcomes.every((row) => row.outcome === 'signaled'), JSON.stringify(outcomes.map((row) => row.outcome)));
    // Whether they waited together depends on how fast each signal went: at most one signal each.
    const signals = (await handle.fetchHistory()).events?.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean) ?? [];
    assert.ok(signals.length <= 40, `40 webhooks, ${signals.length} signals`);

    // Rows a stopped process recorded and did not deliver wait together for the dispatcher's sweep: one signal.
    for (let i = 40; i < 70; i++) {
      const body = JSON.parse(joined(i));
      em.create(WebhookEvent, { platform: 'daily', eventId: body.id, type: body.type, meetingId: meeting.id, outcome: 'received', receivedAt: new Date(Date.now() - 60_000 + i), payload: body });
    }
    await em.flush();
    await product.api.webhookDispatcher.sweep(); // also runs every few seconds on its own
    while ((await handle.query(meetingStateQuery)).participantsSeen < 70 && Date.now() < deadline) await sleep(100);
    assert.equal(await em.fork().count(ParticipantSession, { meeting: meeting.id }), 70);
    assert.equal(await em.fork().count(WebhookEvent, { meetingId: meeting.id, outcome: 'signaled' }), 70);
    const after = (await handle.fetchHistory()).events?.map((e) => e.workflowExecutionSignaledEventAttributes).filter((a) => a?.signalName) ?? [];
    const batches = after.slice(signals.length).map((a) => a!.signalName);
    assert.deepEqual(batches, ['meetingEvents'], `30 waiting webhooks went in one signal: ${batches.join(', ')}`);
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
  });
});

describe('a busy meeting keeps its history short', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({ name: 'historybound', env: { MEETING_HISTORY_MAX_EVENTS: '50' } });
  });
  after(() => product?.stop());

  it('continues as new at its bound, its state carried: every event applied once across the runs', { timeout: 120_000 }, async () => {
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'busy' })).status, 201);
    const meeting = (await product.request('POST', '/v1/rooms/busy/meetings')).body;
    const workflowId = meetingWorkflowId(meeting.id);
    const handle = product.services.temporal.workflow.getHandle(workflowId);
    const t0 = Date.now();
    // One at a time, so that each costs its workflow tasks and activity: 40 joins and 30 leaves.
    for (let i = 0; i < 40; i++) {
      await handle.signal(meetingEventSignal, { type: 'participant.joined', eventId: `j${i}`, sessionId: `s${i}`, userId: null, userName: `P${i}`, isOwner: false, at: new Date(t0 + i).toISOString() });
      if (i >= 10) await handle.signal(meetingEventSignal, { type: 'participant.left', eventId: `l${i - 10}`, sessionId: `s${i - 10}`, at: new Date(t0 + 1000 + i).toISOString() });
      await sleep(20);
    }
    const deadline = Date.now() + 60_000;
    let state = await handle.query(meetingStateQuery);
    while ((state.participantsSeen < 40 || state.presentSessions.length !== 10) && Date.now() < deadline) {
      await sleep(100);
      state = await handle.query(meetingStateQuery);
    }
    assert.equal(state.participantsSeen, 40);
    assert.deepEqual([...state.presentSessions].sort(), Array.from({ length: 10 }, (_, i) => `s${30 + i}`).sort());
    const runs = [];
    for await (const run of product.services.temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(run);
    assert.ok(runs.length >= 2, `${runs.length} run(s): it continued as new`);
    for (const run of runs.filter((r) => r.status.name !== 'RUNNING')) {
      const history = await product.services.temporal.workflow.getHandle(workflowId, run.runId).fetchHistory();
      // The bound, and the last workflow task and activity; the signals that come meanwhile (as many as a loaded
      // machine lets pile up) are history too, but what they carry goes to the next run.
      const own = (history.events ?? []).filter((e) => !e.workflowExecutionSignaledEventAttributes).length;
      assert.ok(own <= 50 + 10, `a run of ${history.events?.length} events, ${own} not signals`);
    }
    const em = product.services.db.em.fork();
    assert.equal(await em.count(ParticipantSession, { meeting: meeting.id }), 40);
    assert.equal((await em.findOneOrFail(Meeting, meeting.id)).participantCount, 10);
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
    const ended: MeetingState = await handle.result();
    assert.equal(ended.phase, 'ended');
    assert.equal(ended.participantsSeen, 40);
  });
});
