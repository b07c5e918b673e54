// Real meetings on the Daily simulator for the tests that hold one (test/metrics.test.ts, test/dashboard.test.ts,
// test/worker-crash.test.ts): speakers recorded, for the metrics transcribed to the end; and a forged webhook the API refuses.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestProduct } from './product.ts';
import { meetingWorkflowId, type MeetingState } from '../../meetings/messages.ts';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../../recordings/messages.ts';

export interface RecordedMeeting {
  meeting: { id: string; platformRoomName: string };
  state: MeetingState;
  /** The raw-tracks recording (one track per speaker). */
  raw: MeetingState['recordings'][number];
  /** Its pipeline's result: the transcript ended. */
  result: RecordingWorkflowResult;
}

/** One participant and the line they say. */
export interface Speaker { userName: string; userId: string; voice?: string; says: string }

const ALICE_AND_BOB: Speaker[] = [
  { userName: 'Alice', userId: 'alice', voice: 'en-us', says: 'Good morning everyone. The budget is on track.' },
  { userName: 'Bob', userId: 'bob', voice: 'en-gb', says: 'Thank you. We will hire two engineers.' },
];

/**
 * Creates the room (recording automatically) and holds its meeting on the Daily simulator: the speakers join (the
 * first as owner), recording starts, each says their line in turn (`pauseMs` after it), and all leave.
 */
export async function holdMeeting(product: TestProduct, roomName: string, speakers: Speaker[], pauseMs = 800): Promise<{ id: string; platformRoomName: string }> {
  const sim = product.daily;
  await product.request('POST', '/v1/rooms', { name: roomName, recordingTrigger: 'automatic' });
  const meeting = (await product.request('POST', `/v1/rooms/${roomName}/meetings`)).body;
  const joined = [];
  for (const [i, { userName, userId, voice }] of speakers.entries()) joined.push(await sim.join(meeting.platformRoomName, { userName, userId, owner: i === 0, ...(voice && { voice }) }));
  assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
  for (const [i, { says }] of speakers.entries()) {
    const said = await sim.say(joined[i]!.sessionId, { text: says });
    await sleep(said.durationMs + pauseMs);
  }
  for (const participant of joined) await sim.leave(participant.sessionId);
  return meeting;
}

/** Holds a meeting of Alice and Bob and waits until every recording's workflow ended, the transcript made. */
export async function holdRecordedMeeting(product: TestProduct, roomName: string): Promise<RecordedMeeting> {
  const meeting = await holdMeeting(product, roomName, ALICE_AND_BOB);
  const workflows = product.services.temporal.workflow;
  const state: MeetingState = await workflows.getHandle(meetingWorkflowId(meeting.id)).result();
  const raw = state.recordings.find((r) => r.kind === 'raw-tracks');
  assert.ok(raw, JSON.stringify(state.recordings));
  const result: RecordingWorkflowResult = await workflows.getHandle(recordingWorkflowId(raw.id)).result();
  assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
  const cloud = state.recordings.find((r) => r.kind === 'cloud');
  if (cloud) await workflows.getHandle(recordingWorkflowId(cloud.id)).result();
  return { meeting, state, raw, result };
}

/** Posts a Daily webhook with a bad signature; answers the refusal's code (401). */
export async function sendForgedDailyWebhook(product: TestProduct): Promise<string> {
  const refused = await fetch(`${product.url}/v1/webhooks/daily`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'x-webhook-signature': Buffer.from('not the signature').toString('base64') },
    body: JSON.stringify({ version: '1.0.0', type: 'participant.joined', id: 'forged', payload: {}, event_ts: Date.now() / 1000 }),
  });
  assert.equal(refused.status, 401);
  return ((await refused.json()) as { error: { code: string } }).error.code;
}
