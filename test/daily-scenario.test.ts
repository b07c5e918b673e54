import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DailyPlatform } from '../platforms/daily/daily-platform.ts';
import { connectDailySimulator, loadScenario, runScenario, startDailySimulator } from '../platforms/daily/simulator/index.ts';
import type { DailyScenario, DailySimulator } from '../platforms/daily/simulator/index.ts';
import type { PlatformEvent } from '../platforms/platform.ts';
import { LocalFolderStorage } from '../storage/local-folder.ts';

// Scenarios on the virtual and the real clock, in-process and over the /_sim control API.

const SECRET = Buffer.from('scenario-webhook-secret').toString('base64');
const scenarioFile = (name: string) => fileURLToPath(new URL(`../platforms/daily/simulator/scenarios/${name}.json`, import.meta.url));
let dir: string;

async function simulator(clock: 'virtual' | 'real') {
  const storage = new LocalFolderStorage({ rootDir: join(dir, `${clock}-${Date.now()}`), publicBaseUrl: 'http://127.0.0.1', signingSecret: 'x' });
  const sim = await startDailySimulator({ apiKey: 'key', domain: 'sim', storage, clock: { mode: clock }, meetingEndedDelayMs: 1_000 });
  return { sim, platform: new DailyPlatform({ apiKey: 'key', baseUrl: sim.baseUrl, webhookSecret: SECRET }) };
}

/** A webhook endpoint that keeps the verified, parsed events. */
async function subscribe(sim: DailySimulator, platform: DailyPlatform) {
  const events: PlatformEvent[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    assert.deepEqual(platform.verifyWebhook({ rawBody, headers: req.headers, now: new Date() }), { ok: true });
    const parsed = platform.parseWebhook(rawBody);
    if (parsed.kind === 'event') events.push(parsed.event);
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await platform.client.createWebhook({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hmac: SECRET });
  return { events, close: () => server.close() };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daily-scenario-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('virtual time', () => {
  it('runs 10 simulated minutes without waiting for them, with a consistent timeline', async () => {
    const { sim, platform } = await simulator('virtual');
    const hook = await subscribe(sim, platform);
    const steps: DailyScenario['steps'] = [
      { at: 0, action: 'join', who: 'alice' },
      { at: 0, action: 'join', who: 'bob' },
      { at: 1, action: 'startRecording', who: 'alice', type: 'raw-tracks' },
    ];
    for (let at = 10; at < 600; at += 30) {
      steps.push({ at, action: 'say', who: at % 60 === 10 ? 'alice' : 'bob', text: 'Here is one more update on the project.' });
    }
    steps.push({ at: 601, action: 'end' });
    const wallStart = Date.now();
    try {
      const { startedAtMs } = await runScenario(sim, {
        room: 'long-call',
        participants: { alice: { userName: 'Alice' }, bob: { userName: 'Bob' } },
        steps,
      });
      // Behaviour, not speed (speed lives in benchmarks): ten virtual minutes pass without waiting ten real ones.
      assert.ok(Date.now() - wallStart < 600_000, `the virtual clock waited for real time: ${Date.now() - wallStart} ms`);
      const ready = hook.events.find((e) => e.type === 'recording.ready');
      assert.ok(ready?.type === 'recording.ready');
      assert.equal(ready.durationSeconds, 600);
      assert.equal(ready.startedAt.getTime(), Math.floor((startedAtMs + 1_000) / 1000) * 1000);
      assert.equal(ready.tracks?.filter((t) => t.type === 'audio').length, 2);
      assert.deepEqual(ready.tracks?.map((t) => t.startedAt?.getTime()), Array(4).fill(startedAtMs + 1_000));
      const ended = hook.events.find((e) => e.type === 'meeting.ended');
      assert.ok(ended?.type === 'meeting.ended');
      assert.equal(ended.endedAt.getTime(), startedAtMs + 601_000);
    } finally {
      hook.close();
      await sim.stop();
    }
  });
});

describe('example scenarios', () => {
  it('three-person standup over the control API: a stop + restart and a rejoin make new recordings and sessions', async () => {
    const { sim, platform } = await simulator('virtual');
    const hook = await subscribe(sim, platform);
    try {
      const { scenario, baseDir } = await loadScenario(scenarioFile('three-person-standup'));
      const result = await runScenario(connectDailySimulator(sim.controlUrl), scenario, { baseDir });
      assert.equal(result.sessions.bob?.length, 2);
      const ready = hook.events.filter((e): e is Extract<PlatformEvent, { type: 'recording.ready' }> => e.type === 'recording.ready');
      const raw = ready.filter((e) => e.recordingType === 'raw-tracks').sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
      assert.equal(raw.length, 2);
      assert.equal(ready.filter((e) => e.recordingType === 'cloud').length, 1);
      assert.notEqual(raw[0]!.recordingId, raw[1]!.recordingId);
      const audioSessions = (event: (typeof raw)[number]) => event.tracks!.filter((t) => t.type === 'audio').map((t) => t.sessionId);
      // First take: Alice, Bob, Carol. Second take: Alice, Bob before and after his rejoin, Carol.
      assert.deepEqual(audioSessions(raw[0]!), [result.sessions.alice![0], result.sessions.bob![0], result.sessions.carol![0]]);
      assert.deepEqual(audioSessions(raw[1]!), [result.sessions.alice![0], result.sessions.bob![0], result.sessions.carol![0], result.sessions.bob![1]]);
      const participants = await platform.getMeetingParticipants((await platform.getRecording(raw[1]!.recordingId))!.meetingSessionId!);
      assert.deepEqual(participants.map((p) => p.userName), ['Alice', 'Bob', 'Carol', 'Bob']);
    } finally {
      hook.close();
      await sim.stop();
    }
  });

  it('two-person demo with recording control routed through our platform adapter', async () => {
    const { sim, platform } = await simulator('virtual');
    try {
      const { scenario } = await loadScenario(scenarioFile('two-person-demo'));
      await runScenario(sim, scenario, {
        roomName: 'routed-demo',
        startRecording: async ({ type, instanceId }) => {
          assert.equal(await platform.startRecording('routed-demo', { type: type === 'raw-tracks' ? 'raw-tracks' : 'cloud', instanceId }), 'started');
        },
      });
      const stats = await sim.stats();
      assert.equal(stats.restCalls['POST /rooms/:name/recordings/start'], 2);
      assert.deepEqual(stats.recordingsStarted, { 'raw-tracks': 1, cloud: 1 });
      const { recordings } = await platform.listRecordings({ roomName: 'routed-demo' });
      assert.deepEqual(recordings.map((r) => `${r.type}:${r.status}:${r.durationSeconds}`).sort(), ['cloud:finished:18', 'raw-tracks:finished:18']);
    } finally {
      await sim.stop();
    }
  });
});

describe('control API', () => {
  it('accepts uploaded audio for say, and reports the clock, state and REST counts', async () => {
    const { sim } = await simulator('virtual');
    const control = connectDailySimulator(sim.controlUrl);
    const wav = join(dir, 'tone.wav');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.5', '-ar', '16000', wav]);
    try {
      await control.ensureRoom('ctl');
      const { sessionId } = await control.join('ctl', { userName: 'Tone' });
      const said = await control.say(sessionId, { wavPath: wav });
      assert.ok(Math.abs(said.durationMs - 1500) < 5, `duration ${said.durationMs}`);
      const before = await control.clock();
      assert.deepEqual(await control.advance(2_500), { nowMs: before.nowMs + 2_500 });
      await assert.rejects(control.startRecording(sessionId, { type: 'raw-tracks', instanceId: 'not-a-uuid' }), /instanceId/);
      const state = await control.state();
      assert.deepEqual(state.rooms[0]?.present.map((p) => p.userName), ['Tone']);
      assert.equal((await control.stats()).recordingStartRequests['raw-tracks'], 1);
      await control.endMeeting('ctl');
      assert.equal((await control.state()).rooms[0]?.meetingId, null);
    } finally {
      await sim.stop();
    }
  });
});

describe('real time', () => {
  it('paces steps on the wall clock', async () => {
    const { sim, platform } = await simulator('real');
    const hook = await subscribe(sim, platform);
    const wallStart = Date.now();
    try {
      await runScenario(sim, {
        room: 'live',
        participants: { ann: { userName: 'Ann' } },
        steps: [
          { at: 0, action: 'join', who: 'ann' },
          { at: 0.2, action: 'startRecording', who: 'ann', type: 'raw-tracks' },
          { at: 0.4, action: 'say', who: 'ann', text: 'Live.' },
          { at: 2.2, action: 'end' },
        ],
      });
      assert.ok(Date.now() - wallStart >= 2_200);
      const ready = hook.events.find((e) => e.type === 'recording.ready');
      assert.ok(ready?.type === 'recording.ready');
      assert.equal(ready.durationSeconds, 2);
    } finally {
      hook.close();
      await sim.stop();
    }
  });
});
