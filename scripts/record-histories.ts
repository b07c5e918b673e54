// Records real workflow histories for the replay guard (test/replay.test.ts): short meetings run through the
// real product (API, worker, webhook endpoint) on a real Temporal dev server with the Daily simulator, and
// each finished workflow's history is saved as JSON under test/fixtures/histories/.
//
// Usage: node scripts/record-histories.ts [scenario …]   (all of them, or only those named: see SCENARIOS)
// Record only the scenario you add: re-recording the others would replace the histories of released code.
// It starts its own Temporal dev server unless TEST_TEMPORAL_ADDRESS is set (see test/support/servers.ts).
// Re-record when a workflow change is meant to be incompatible with running workflows (and version it), or
// to add a scenario; never to make the replay test pass after an accidental change.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startTestProduct, type TestProduct } from '../test/support/product.ts';
import { stopSharedServers } from '../test/support/servers.ts';
import { meetingStateQuery } from '../workflows/meeting.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { recordingWorkflowId } from '../recordings/messages.ts';

const fixturesDir = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'histories');

/** Saves a closed workflow's history in the proto3 JSON form other Temporal tools use (and historyFromJSON reads). */
async function saveHistory(product: TestProduct, workflowId: string, name: string): Promise<void> {
  const handle = product.services.temporal.workflow.getHandle(workflowId);
  await handle.result();
  const history = await handle.fetchHistory();
  const json = historyToJSON(history);
  // Round trip before writing: what we save must load as the same history.
  assert.equal(historyFromJSON(JSON.parse(json)).events?.length, history.events?.length);
  const file = path.join(fixturesDir, `${name}.json`);
  await writeFile(file, `${json}\n`);
  console.log(`  ${path.relative(process.cwd(), file)}: ${history.events?.length} events, ${Buffer.byteLength(json)} bytes (${workflowId})`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function meetingState(product: TestProduct, meetingId: string): Promise<MeetingState> {
  return product.services.temporal.workflow.getHandle(meetingWorkflowId(meetingId)).query(meetingStateQuery);
}

async function waitForPresent(product: TestProduct, meetingId: string, count: number): Promise<void> {
  await waitFor(`${count} participant(s) seen by the workflow`, async () => (await meetingState(product, meetingId)).presentSessions.length === count);
}

async function openMeeting(product: TestProduct, room: string, recordingTrigger: string) {
  const created = await product.request('POST', '/v1/rooms', { name: room, recordingTrigger });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const meeting = await product.request('POST', `/v1/rooms/${room}/meetings`);
  assert.equal(meeting.status, 201, JSON.stringify(meeting.body));
  return meeting.body as { id: string; platformRoomName: string };
}

async function requestRecording(product: TestProduct, meetingId: string, manual = false): Promise<string> {
  const answer = await product.request('POST', `/v1/meetings/${meetingId}/recordings/start`, { manual });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.status;
}

async function finalState(product: TestProduct, meetingId: string): Promise<MeetingState> {
  return product.services.temporal.workflow.getHandle(meetingWorkflowId(meetingId)).result();
}

const readyKinds = (state: MeetingState) => state.recordings.map((r) => `${r.kind}:${r.status}`).sort();

/** (a) Automatic trigger, 3 participants, every browser asks to record, stop and restart, everyone leaves. */
async function automaticStopRestart(product: TestProduct): Promise<void> {
  const sim = product.daily;
  const meeting = await openMeeting(product, 'replay-automatic', 'automatic');
  const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
  const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
  const carol = await sim.join(meeting.platformRoomName, { userName: 'Carol', userId: 'carol' });
  await waitForPresent(product, meeting.id, 3);
  const answers = await Promise.all([1, 2, 3].map(() => requestRecording(product, meeting.id)));
  assert.deepEqual(answers, ['recording', 'recording', 'recording']);
  await sim.say(alice.sessionId, { text: 'Let us start.' });
  await sleep(1500);
  const stopped = await product.request('POST', `/v1/meetings/${meeting.id}/recordings/stop`);
  assert.equal(stopped.body.status, 'stopped', JSON.stringify(stopped.body));
  assert.equal(await requestRecording(product, meeting.id, true), 'recording');
  await sim.say(bob.sessionId, { text: 'Second part.' });
  await sleep(1500);
  for (const who of [alice, bob, carol]) await sim.leave(who.sessionId);
  const state = await finalState(product, meeting.id);
  assert.equal(state.endReason, 'platform');
  assert.deepEqual(readyKinds(state), ['cloud:ready', 'cloud:ready', 'raw-tracks:ready', 'raw-tracks:ready']);
  await saveHistory(product, meetingWorkflowId(meeting.id), 'meeting-automatic-stop-restart');
  const rawTracks = state.recordings.find((r) => r.kind === 'raw-tracks')!;
  await saveHistory(product, recordingWorkflowId(rawTracks.id), 'recording-raw-tracks');
}

/** (b) Ended through the API while recording: the workflow stops both recordings itself. */
async function endedByApi(product: TestProduct): Promise<void> {
  const sim = product.daily;
  const meeting = await openMeeting(product, 'replay-api-end', 'automatic');
  const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
  const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
  await waitForPresent(product, meeting.id, 2);
  assert.equal(await requestRecording(product, meeting.id), 'recording');
  await sim.say(alice.sessionId, { text: 'We end this from the API.' });
  await sleep(1500);
  assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
  const state = await finalState(product, meeting.id);
  assert.equal(state.endReason, 'api');
  assert.deepEqual(readyKinds(state), ['cloud:ready', 'raw-tracks:ready']);
  await saveHistory(product, meetingWorkflowId(meeting.id), 'meeting-ended-by-api');
  for (const who of [alice, bob]) await sim.leave(who.sessionId);
}

/** (c) One recording.ready webhook is dropped: the workflow waits its (short) timeout and reconciles. */
async function reconciled(product: TestProduct): Promise<void> {
  const sim = product.daily;
  const meeting = await openMeeting(product, 'replay-reconcile', 'automatic');
  await sim.setFaults({ webhooks: [{ action: 'drop', types: ['recording.ready-to-download'], count: 1 }] });
  const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
  const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
  await waitForPresent(product, meeting.id, 2);
  assert.equal(await requestRecording(product, meeting.id), 'recording');
  await sim.say(bob.sessionId, { text: 'One of these webhooks gets lost.' });
  await sleep(1500);
  for (const who of [alice, bob]) await sim.leave(who.sessionId);
  const state = await finalState(product, meeting.id);
  await sim.setFaults({});
  assert.equal(state.endReason, 'platform');
  assert.deepEqual(readyKinds(state), ['cloud:ready', 'raw-tracks:ready']);
  assert.equal(state.appliedEventIds.filter((id) => id.startsWith('reconciled-')).length, 1, 'one recording came through reconciliation');
  assert.equal((await sim.webhookDeliveries()).filter((d) => d.outcome === 'dropped').length, 1);
  await saveHistory(product, meetingWorkflowId(meeting.id), 'meeting-reconciled');
}

/** (d) automatic-2nd-participant: the first browser's request waits; the second join starts recording. */
async function secondParticipant(product: TestProduct): Promise<void> {
  const sim = product.daily;
  const meeting = await openMeeting(product, 'replay-second', 'automatic-2nd-participant');
  const alice = await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true });
  await waitForPresent(product, meeting.id, 1);
  assert.equal(await requestRecording(product, meeting.id), 'waiting-for-participant');
  const bob = await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob' });
  await waitFor('recording to start on the second join', async () => (await meetingState(product, meeting.id)).recording.status === 'recording');
  await sim.say(alice.sessionId, { text: 'Now we are two.' });
  await sleep(1500);
  for (const who of [alice, bob]) await sim.leave(who.sessionId);
  const state = await finalState(product, meeting.id);
  assert.equal(state.endReason, 'platform');
  assert.deepEqual(readyKinds(state), ['cloud:ready', 'raw-tracks:ready']);
  await saveHistory(product, meetingWorkflowId(meeting.id), 'meeting-automatic-2nd-participant');
}

/** (e) Twelve people join at once and leave at once: their events, waiting together, are written in batches. */
async function participantBurst(product: TestProduct): Promise<void> {
  const sim = product.daily;
  const meeting = await openMeeting(product, 'replay-burst', 'none');
  const people = await Promise.all(Array.from({ length: 12 }, (_, i) => sim.join(meeting.platformRoomName, { userName: `Person ${i}`, userId: `person-${i}`, owner: i === 0 })));
  await waitForPresent(product, meeting.id, 12);
  await Promise.all(people.slice(1).map((who) => sim.leave(who.sessionId)));
  await waitForPresent(product, meeting.id, 1);
  assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`)).status, 202);
  const state = await finalState(product, meeting.id);
  assert.equal(state.participantsSeen, 12);
  await saveHistory(product, meetingWorkflowId(meeting.id), 'meeting-participant-burst');
  await sim.leave(people[0]!.sessionId);
}

const SCENARIOS = {
  'automatic-stop-restart': automaticStopRestart,
  'ended-by-api': endedByApi,
  'automatic-2nd-participant': secondParticipant,
  reconciled,
  'participant-burst': participantBurst,
} satisfies Record<string, (product: TestProduct) => Promise<void>>;

async function main(): Promise<void> {
  const named = process.argv.slice(2);
  const unknown = named.filter((name) => !(name in SCENARIOS));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const chosen = (named.length ? named : Object.keys(SCENARIOS)) as Array<keyof typeof SCENARIOS>;
  await mkdir(fixturesDir, { recursive: true });
  // Recordings normally arrive by webhook within seconds: a generous timeout keeps reconciliation out of the way.
  const product = await startTestProduct({ name: 'histories', env: { RECORDING_READY_TIMEOUT_SECONDS: '120' } });
  // Reconciliation needs a short timeout: a product of its own.
  const reconciling = await startTestProduct({ name: 'historiesreconcile', env: { RECORDING_READY_TIMEOUT_SECONDS: '5' } });
  try {
    console.log('recording workflow histories:');
    for (const name of chosen) await SCENARIOS[name](name === 'reconciled' ? reconciling : product);
  } finally {
    await Promise.allSettled([product.stop(), reconciling.stop()]);
    await stopSharedServers();
  }
}

await main();
