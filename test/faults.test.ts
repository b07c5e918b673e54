// Faults of the single-machine product, caused for real on the start command (`node main.ts`) in the middle of a
// recorded meeting: the embedded Temporal server killed with SIGKILL is restarted and the meeting goes on to its
// recordings and transcript; the whole start command killed with SIGKILL and started again finds the meeting where the platform
// (the Daily simulator, which keeps its state in the data folder as Daily keeps its own) left it; and a SIGTERM
// while the Temporal server cannot come back still stops the product cleanly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './support/servers.ts';
import { speechTestEnv } from './support/speech.ts';
import { startCommand, commandLine, descendants, stillRunning, waitFor, type StartedCommand } from './support/start-command.ts';
import { connectDailySimulator, type DailySimulatorControl } from '../platforms/daily/simulator/index.ts';

const ADMIN = { email: 'admin@example.com', password: 'faults-admin-password' };
const RECORDING_END_STATES = ['completed', 'failed', 'missing'];

describe('faults of the start command, mid-meeting', () => {
  let env: Record<string, string>;
  let cwd: string;
  let api: string;
  let sim: DailySimulatorControl;
  const started: StartedCommand[] = [];

  before(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), 'faults-'));
    const ports = { API_PORT: await freePort(), TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), DAILY_SIMULATOR_PORT: await freePort(), LIVEKIT_SIMULATOR_PORT: await freePort() };
    env = {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(),
      DATA_DIR: path.join(cwd, 'data'), FIRST_ADMIN_EMAIL: ADMIN.email, FIRST_ADMIN_PASSWORD: ADMIN.password,
      RECORDING_READY_TIMEOUT_SECONDS: '120',
      ...speechTestEnv(),
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    };
    api = `http://127.0.0.1:${ports.API_PORT}`;
    sim = connectDailySimulator(`http://127.0.0.1:${ports.DAILY_SIMULATOR_PORT}/_sim`);
  });
  after(() => {
    for (const command of started) command.child.kill('SIGKILL');
  });

  async function start(): Promise<StartedCommand> {
    const product = await startCommand(env, cwd);
    started.push(product);
    return product;
  }

  let cookie = '';
  async function request(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${api}${urlPath}`, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (method === 'POST' && urlPath === '/v1/auth/login') cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** A room recording automatically, its meeting, and two participants in it who have said something. */
  async function meetingUnderWay(roomName: string) {
    assert.equal((await request('POST', '/v1/auth/login', ADMIN)).status, 200);
    assert.equal((await request('POST', '/v1/rooms', { name: roomName, recordingTrigger: 'automatic' })).status, 201);
    const meeting = (await request('POST', `/v1/rooms/${roomName}/meetings`)).body;
    const ann = await sim.join(meeting.platformRoomName, { userName: 'Ann', userId: 'ann', owner: true });
    const ben = await sim.join(meeting.platformRoomName, { userName: 'Ben', userId: 'ben' });
    assert.equal((await request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).status, 200);
    const said = await sim.say(ann.sessionId, { text: 'The meeting starts before anything goes wrong.' });
    await sleep(said.durationMs + 500);
    return { meeting, ann, ben };
  }

  /** The rest of the meeting after the fault, then its end: its recordings reach an end state, nobody is left present. */
  async function meetingFinishes(meeting: { id: string; roomName: string }, sessions: Array<{ sessionId: string }>) {
    const said = await sim.say(sessions[1]!.sessionId, { text: 'And it goes on after the fault as if nothing happened.' });
    await sleep(said.durationMs + 500);
    for (const session of sessions) await sim.leave(session.sessionId);
    let listed: any;
    await waitFor(async () => {
      listed = (await request('GET', `/v1/meetings?room=${meeting.roomName}`)).body?.items?.find((m: { id: string }) => m.id === meeting.id);
      return Boolean(listed && !listed.active && listed.recordings.length >= 2 && listed.recordings.every((r: { status: string }) => RECORDING_END_STATES.includes(r.status)));
    }, 240_000, `meeting ${meeting.id} to end with its recordings done`).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(listed)}`);
    });
    assert.deepEqual(listed.recordings.map((r: { status: string }) => r.status), ['completed', 'completed'], JSON.stringify(listed));
    const view = (await request('GET', `/v1/meetings/${meeting.id}`)).body;
    assert.equal(view.participantCount, 0, 'nobody is left present');
    // Ann spoke before the fault, Ben after it: the transcript has them both.
    assert.equal(listed.transcripts.length, 1, JSON.stringify(listed));
    const transcript = (await request('GET', `/v1/transcripts/${listed.transcripts[0].id}`)).body;
    assert.equal(transcript.status, 'ended');
    assert.deepEqual(transcript.participants.map((p: { name: string }) => p.name).sort(), ['Ann', 'Ben'], JSON.stringify(transcript));
  }

  it('kill -9 of the Temporal server: restarted on its port and data, the meeting goes on to its recordings', { timeout: 420_000 }, async () => {
    const product = await start();
    const { meeting, ann, ben } = await meetingUnderWay('temporal-killed');
    const temporal = descendants(product.child.pid!).filter((pid) => commandLine(pid).includes('start-dev'));
    assert.equal(temporal.length, 1, 'one Temporal dev server');
    process.kill(temporal[0]!, 'SIGKILL');
    await waitFor(() => product.output().includes('the Temporal dev server is back'), 60_000, 'the restart');
    assert.match(product.output(), /"level":"error".*"signal":"SIGKILL".*"msg":"the Temporal dev server exited; restarting it"/);
    await meetingFinishes(meeting, [ann, ben]);

    product.child.kill('SIGTERM');
    const exit = await Promise.race([product.exited, sleep(10_000).then(() => null)]);
    assert.ok(exit, `stopped within 10 s:\n${product.output()}`);
    assert.equal(exit.code, 0, product.output());
    assert.doesNotMatch(product.output(), /Channel has been shut down/);
  });

  it('kill -9 of the whole start command mid-meeting, then the same command again: the meeting ends with its recordings, nobody present', { timeout: 420_000 }, async () => {
    const product = await start();
    const { meeting, ann, ben } = await meetingUnderWay('product-killed');
    product.child.kill('SIGKILL');
    await product.exited;

    const again = await start();
    await meetingFinishes(meeting, [ann, ben]);
    again.child.kill('SIGTERM');
    assert.equal((await again.exited).code, 0, again.output());
  });

  it('SIGTERM while the Temporal server is gone and cannot come back (its port taken): a clean stop within 10 s', { timeout: 180_000 }, async () => {
    const product = await start();
    const temporal = descendants(product.child.pid!).filter((pid) => commandLine(pid).includes('start-dev'));
    process.kill(temporal[0]!, 'SIGKILL');
    const squatter = createServer(() => undefined);
    await waitFor(() => stillRunning(temporal).length === 0, 10_000, 'the Temporal server gone');
    await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(Number(env.TEMPORAL_PORT), '127.0.0.1', resolve));
    try {
      await waitFor(() => product.output().includes('the Temporal dev server did not restart'), 30_000, 'a failed restart');
      product.child.kill('SIGTERM');
      const exit = await Promise.race([product.exited, sleep(10_000).then(() => null)]);
      assert.ok(exit, `stopped within 10 s:\n${product.output()}`);
      assert.equal(exit.code, 0, product.output());
      assert.doesNotMatch(product.output(), /Channel has been shut down|stopping now/);
    } finally {
      squatter.close();
    }
  });
});
