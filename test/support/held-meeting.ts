// A short real meeting on the Daily simulator, held to its end: a room recording automatically, Alice (the owner)
// and Bob join, recording starts through the API, each says a line, both leave; the meeting's workflow has ended and
// the raw tracks' transcript (and the cloud recording's workflow, when there is one) finished.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestProduct } from './product.ts';
import { meetingWorkflowId, type MeetingState } from '../../meetings/messages.ts';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../../recordings/messages.ts';

export interface HeldMeeting {
  meeting: { id: string; platformRoomName: string };
  state: MeetingState;
  rawTracks: MeetingState['recordings'][number];
  transcript: RecordingWorkflowResult;
}

export async function holdMeeting(product: TestProduct, roomName: string, lines: { alice: string; bob: string }): Promise<HeldMeeting> {
  const sim = product.daily;
  await product.request('POST', '/v1/rooms', { name: roomName, recordingTrigger: 'automatic' });
  const meeting = (await product.request('POST', `/v1/rooms/${roomName}/meetings`)).body;
  const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true, voice: 'en-us' });
  const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob', voice: 'en-gb' });
  assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
  for (const [who, text] of [[alice, lines.alice], [bob, lines.bob]] as const) {
    const said = await sim.say(who.sessionId, { text });
    await sleep(said.durationMs + 800);
  }
  await sim.leave(alice.sessionId);
  await sim.leave(bob.sessionId);
  const workflows = product.services.temporal.workflow;
  const state: MeetingState = await workflows.getHandle(meetingWorkflowId(meeting.id)).result();
  const rawTracks = state.recordings.find((r) => r.kind === 'raw-tracks');
  assert.ok(rawTracks, JSON.stringify(state.recordings));
  const transcript: RecordingWorkflowResult = await workflows.getHandle(recordingWorkflowId(rawTracks.id)).result();
  assert.equal(transcript.transcriptStatus, 'ended', JSON.stringify(transcript));
  const cloud = state.recordings.find((r) => r.kind === 'cloud');
  if (cloud) await workflows.getHandle(recordingWorkflowId(cloud.id)).result();
  return { meeting, state, rawTracks, transcript };
}
