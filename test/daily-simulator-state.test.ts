// The Daily simulator on a state file (the embedded mode's): a simulator started again on the file of one that
// stopped mid-meeting goes on with that meeting — who is present, the recording running, the audio said so far —
// and delivers the webhooks the first one had not delivered yet; the audio of finished meetings does not pile up.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DailyClient } from '../platforms/daily/client.ts';
import { connectDailySimulator, startDailySimulator, type DailySimulator } from '../platforms/daily/simulator/index.ts';
import { LocalFolderStorage } from '../storage/local-folder.ts';
import { waitFor } from './support/start-command.ts';

describe('the Daily simulator on a state file', () => {
  let dir: string;
  let receiver: { url: string; events: Array<{ id: string; type: string; payload: Record<string, unknown> }>; up: boolean; close(): void };
  const simulators: DailySimulator[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-state-'));
    const events: Array<{ id: string; type: string; payload: Record<string, unknown> }> = [];
    const state = { up: true };
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (body.test === 'test') return void res.writeHead(200).end();
      if (!state.up) return void res.writeHead(503).end();
      events.push(body);
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      events,
      get up() {
        return state.up;
      },
      set up(value) {
        state.up = value;
      },
      close: () => (server.closeAllConnections(), server.close()),
    };
  });
  after(async () => {
    for (const sim of simulators) await sim.stop();
    receiver?.close();
  });

  const storage = () => new LocalFolderStorage({ rootDir: join(dir, 'objects'), publicBaseUrl: 'http://127.0.0.1', signingSecret: 'x'.repeat(32) });
  async function start(): Promise<DailySimulator> {
    const sim = await startDailySimulator({
      apiKey: 'key', domain: 'sim', storage: storage(), clock: { mode: 'real' }, meetingEndedDelayMs: 300,
      webhookRetry: { backoffBaseMs: 50, maxBackoffMs: 200, maxTries: 50 }, stateFile: join(dir, 'daily-simulator', 'state.json'),
    });
    simulators.push(sim);
    return sim;
  }

  it('goes on with the meeting and delivers what it had not delivered', { timeout: 150_000 }, async () => {
    const first = await start();
    await new DailyClient({ apiKey: 'key', baseUrl: first.baseUrl }).createWebhook({ url: receiver.url, retryType: 'exponential' });
    const room = `room-${randomUUID().slice(0, 8)}`;
    const control = connectDailySimulator(first.controlUrl);
    await control.ensureRoom(room);
    const ann = await control.join(room, { userName: 'Ann', userId: 'ann' });
    const ben = await control.join(room, { userName: 'Ben', userId: 'ben' });
    await control.startRecording(ann.sessionId, { type: 'raw-tracks' });
    await control.say(ann.sessionId, { text: 'Before the restart.' });
    await waitFor(() => receiver.events.some((e) => e.type === 'recording.started'), 10_000, 'recording.started delivered');

    // Our end is down when Ben leaves; then the simulator stops with that webhook still to deliver.
    receiver.up = false;
    await control.leave(ben.sessionId);
    await sleep(200);
    simulators.splice(simulators.indexOf(first), 1);
    await first.stop();
    assert.ok(!receiver.events.some((e) => e.type === 'participant.left'));

    const second = await start();
    receiver.up = true;
    const again = connectDailySimulator(second.controlUrl);
    const view = (await again.state()).rooms.find((r) => r.name === room)!;
    assert.equal(view.meetingId, ann.meetingId, 'the same meeting');
    assert.deepEqual(view.present.map((p) => p.userName), ['Ann'], 'Ann still in it, Ben gone');
    assert.deepEqual(view.activeRecordings.map((r) => r.type), ['raw-tracks'], 'the recording still running');
    await waitFor(() => receiver.events.some((e) => e.type === 'participant.left'), 10_000, "Ben's participant.left delivered after the restart");

    await again.say(ann.sessionId, { text: 'After the restart.' });
    // Daily sends ready-to-download only for a recording of at least a second (its duration is whole seconds):
    // without this wait the recording lasted about 0.4 s and no ready-to-download came (the old flake).
    await sleep(1_500);
    await again.leave(ann.sessionId);
    // The tracks are encoded first: on a loaded machine that takes a while.
    await waitFor(() => receiver.events.some((e) => e.type === 'recording.ready-to-download'), 90_000, 'recording.ready-to-download');
    assert.ok(receiver.events.some((e) => e.type === 'meeting.ended' && e.payload.meeting_id === ann.meetingId));
    const recording = (await again.state()).recordings.find((r) => r.roomName === room)!;
    assert.equal(recording.status, 'finished');
    const keys = (await Array.fromAsync(storage().list(`sim/${room}/`))).map((o) => o.key);
    assert.ok(keys.some((k) => k.includes(ann.sessionId)) && keys.some((k) => k.includes(ben.sessionId)), `a track for each of them: ${keys}`);

    // Started once more: the finished meeting is still known, and its participants' audio, no longer needed, is gone.
    const media = join(dir, 'daily-simulator', 'media');
    assert.ok((await readdir(media)).length > 0);
    simulators.splice(simulators.indexOf(second), 1);
    await second.stop();
    const third = await start();
    assert.equal((await connectDailySimulator(third.controlUrl).state()).recordings.find((r) => r.roomName === room)?.status, 'finished');
    assert.deepEqual(await readdir(media), []);
  });
});
