// Scaled out, a dead process loses nothing: two API processes and two worker processes share one Temporal and
// one PostgreSQL; with one of each killed (kill -9) in the middle of the meetings, every acknowledged webhook is
// applied exactly once and every meeting ends. (`npm run bench:scale -- --scale-out` is the same at load.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { sendDailyWebhook, startTestProduct, type TestProduct } from './support/product.ts';
import { participantWebhookBody } from './support/daily.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiProcess, startWorkerProcess } from '../scripts/bench-processes.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';

// Participants exist only in the webhooks sent: the presence sweep, which asks the simulator, must not end the meetings.
const ENV = { MEETING_PRESENCE_SWEEP_SECONDS: '3600' };

describe('scale-out', () => {
  let product: TestProduct;
  const apis: Array<{ child: ChildProcess; url: string }> = [];
  const workers: ChildProcess[] = [];

  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  before(async () => {
    product = await startTestProduct({ name: 'scaleout', database: 'postgresql', worker: false, env: ENV });
    // Only the API processes answer and deliver webhooks.
    await product.api.close();
    // A short sticky timeout (WORKER_STICKY_TIMEOUT_SECONDS): the dead worker's meetings move on after 1 s, not the SDK's 10.
    for (let i = 0; i < 2; i++) workers.push(startWorkerProcess(product, { env: { ...ENV, WORKER_QUEUES: 'meetings', WORKER_STICKY_TIMEOUT_SECONDS: '1' } }));
    apis.push(...await Promise.all([0, 1].map(() => startApiProcess(product, ENV))));
  });

  after(async () => {
    await Promise.all([...apis.map((api) => api.child), ...workers].map(kill));
    await product?.stop();
  });

  it('applies every acknowledged webhook once, with one API and one worker killed mid-meeting', async () => {
    const request = async (api: number, method: string, urlPath: string, body?: unknown) => {
      const response = await fetch(`${apis[api]!.url}${urlPath}`, {
        method, headers: { ...product.adminHeaders, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, string> };
    };
    const meetings: Array<{ id: string; room: string; sessions: string[]; joinedAtMs: number }> = [];
    for (let i = 0; i < 4; i++) {
      assert.equal((await request(i % 2, 'POST', '/v1/rooms', { name: `scaleout-${i}`, recordingTrigger: 'none' })).status, 201);
      const meeting = await request(i % 2, 'POST', `/v1/rooms/scaleout-${i}/meetings`, {});
      assert.equal(meeting.status, 201);
      meetings.push({ id: meeting.body.id!, room: meeting.body.platformRoomName!, sessions: [randomUUID(), randomUUID(), randomUUID()], joinedAtMs: Date.now() });
    }
    type Event = { meeting: (typeof meetings)[number]; type: 'participant.joined' | 'participant.left'; session: number };
    /** To API `api`; answered 200 by it, or (it is dead) by the other, as the platform retries an unanswered webhook. */
    const send = async ({ meeting, type, session }: Event, api: number) => {
      const body = participantWebhookBody({ room: meeting.room, type, sessionId: meeting.sessions[session]!, joinedAtMs: meeting.joinedAtMs + session });
      const status = await sendDailyWebhook(product, body, apis[api]!.url).then((r) => r.status, () => sendDailyWebhook(product, body, apis[1]!.url).then((r) => r.status));
      assert.equal(status, 200);
    };
    const round = (type: Event['type'], session: number) => meetings.map((meeting) => ({ meeting, type, session }));

    const connection = product.services.db.em.getConnection();
    const rows = () => connection.execute<Array<{ meeting_id: string; session_id: string; left: boolean }>>('select meeting_id, session_id, left_at is not null as left from participant_session');
    const sorted = <T extends { session_id: string }>(list: T[]) => [...list].sort((a, b) => a.session_id.localeCompare(b.session_id));
    /** Until PostgreSQL holds these rows (the workflows write them, in their time), then exactly these. */
    const untilRows = async (expected: Array<{ meeting_id: string; session_id: string; left: boolean }>) => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
        if (JSON.stringify(sorted(await rows())) === JSON.stringify(sorted(expected))) break;
      }
      assert.deepEqual(sorted(await rows()), sorted(expected));
    };

    // A and B join, across both APIs; once the workflows (held in the workers' sticky caches) have applied that, one of each kind dies.
    for (const [i, event] of [...round('participant.joined', 0), ...round('participant.joined', 1)].entries()) await send(event, i % 2);
    await untilRows(meetings.flatMap((m) => m.sessions.slice(0, 2).map((session) => ({ meeting_id: m.id, session_id: session, left: false }))));
    await Promise.all([kill(apis[0]!.child), kill(workers[0]!)]);
    // A leaves and C joins: sent to both as before (the dead API's share retried on the survivor); B's join once more, as a redelivery.
    for (const [i, event] of [...round('participant.left', 0), ...round('participant.joined', 2), ...round('participant.joined', 1)].entries()) await send(event, i % 2);
    // Every acknowledged join has its one row, every acknowledged leave its left_at.
    await untilRows(meetings.flatMap((m) => m.sessions.map((session, i) => ({ meeting_id: m.id, session_id: session, left: i === 0 }))));

    for (const meeting of meetings) assert.equal((await request(1, 'POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
    for (const meeting of meetings) {
      const state = (await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result()) as MeetingState;
      assert.deepEqual({ phase: state.phase, participantsSeen: state.participantsSeen, recordings: state.recordings.length }, { phase: 'ended', participantsSeen: 3, recordings: 0 });
    }
    // Each event recorded once (B's redelivered join is the same event), and each delivered.
    const recorded = await connection.execute<Array<{ outcome: string; n: number }>>('select outcome, count(*)::int as n from webhook_event group by outcome');
    assert.deepEqual(recorded, [{ outcome: 'signaled', n: meetings.length * 4 }]);
  });
});
