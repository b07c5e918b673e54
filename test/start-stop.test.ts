// The start command (`node main.ts`, which `npm start` runs after building the web app) as a user runs it, with
// a data folder and ports of its own: a normal start prints no warning or stack, SIGTERM stops it and every
// process it started within 10 s and frees its ports, and a kill -9 of it leaves nothing holding a port. A stop
// that does not finish is cut short: by a second signal, or after its time.
import { describe, it, before, after } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './support/servers.ts';
import { startCommand, commandLine, descendants, portIsFree, stillRunning, waitFor, type StartedCommand } from './support/start-command.ts';

describe('the start command', () => {
  let env: Record<string, string>;
  let ports: Record<string, number>;
  const started: StartedCommand[] = [];

  before(async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'start-stop-'));
    // A built web app of our own, with one large asset to abandon mid-download.
    const webDir = path.join(dataDir, 'web');
    await mkdir(path.join(webDir, 'assets'), { recursive: true });
    await writeFile(path.join(webDir, 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(path.join(webDir, 'assets', 'large.js'), Buffer.alloc(32 * 1024 * 1024, 0x20));
    ports = { API_PORT: await freePort(), TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), DAILY_SIMULATOR_PORT: await freePort(), LIVEKIT_SIMULATOR_PORT: await freePort(), HMS_SIMULATOR_PORT: await freePort(), WHEREBY_SIMULATOR_PORT: await freePort() };
    env = {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(),
      DATA_DIR: path.join(dataDir, 'data'), WEB_DIST_DIR: webDir, FIRST_ADMIN_PASSWORD: 'start-stop-admin-password',
      // Every platform with an embedded simulator: each starts with the command and stops with it.
      PLATFORMS: 'daily,livekit,100ms,whereby',
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    };
  });
  after(() => {
    for (const command of started) command.child.kill('SIGKILL');
  });

  it('starts without a warning or a stack, and SIGTERM stops everything within 10 s, ports freed', { timeout: 180_000 }, async () => {
    const product = await startCommand(env, path.dirname(env.DATA_DIR!));
    started.push(product);
    const children = descendants(product.child.pid!);
    assert.ok(children.length >= 2, `the Temporal dev server and its watchdog at least: ${children}`);

    // One deployment holds meetings on all four platforms, each in its embedded simulator.
    const api = `http://127.0.0.1:${ports.API_PORT}`;
    const login = await fetch(`${api}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: env.FIRST_ADMIN_PASSWORD }) });
    assert.equal(login.status, 200, await login.clone().text());
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
    const asAdmin = (method: string, urlPath: string, body?: unknown) => fetch(`${api}${urlPath}`, {
      method, headers: { cookie, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const platform of ['daily', 'livekit', '100ms', 'whereby']) {
      const room = `four-${platform.replace(/\d+/, 'hms')}`;
      assert.equal((await asAdmin('POST', '/v1/rooms', { name: room, platform })).status, 201, platform);
      const meeting = await asAdmin('POST', `/v1/rooms/${room}/meetings`);
      const body = await meeting.json() as { platform: string; roomUrl: string | null };
      assert.equal(meeting.status, 201, JSON.stringify(body));
      assert.equal(body.platform, platform);
      assert.ok(body.roomUrl, `${platform}: its platform room was made`);
    }

    // A browser that goes away mid-download is no error of ours.
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${ports.API_PORT}/assets/large.js`, { signal: abort.signal });
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    await sleep(500);

    const stopAsked = Date.now();
    product.child.kill('SIGTERM');
    const exit = await Promise.race([product.exited, sleep(10_000).then(() => null)]);
    assert.ok(exit, `stopped within 10 s:\n${product.output()}`);
    assert.equal(exit.code, 0, product.output());
    console.log(`stopped in ${((Date.now() - stopAsked) / 1000).toFixed(1)} s`);
    for (const [name, port] of Object.entries(ports)) assert.ok(await portIsFree(port), `${name} ${port} is free`);
    await waitFor(() => stillRunning(children).length === 0, stopAsked + 10_000 - Date.now()).catch(() => undefined);
    assert.deepEqual(stillRunning(children).map(commandLine), [], 'every process it started has stopped within 10 s');

    const output = product.output();
    assert.match(output, /100ms: +simulator at http:\/\/127\.0\.0\.1:\d+\/v2/, output);
    assert.match(output, /Whereby: +simulator at http:\/\/127\.0\.0\.1:\d+\/v1/, output);
    assert.doesNotMatch(output, /No workflows registered/);
    assert.doesNotMatch(output, /ERR_STREAM_PREMATURE_CLOSE/);
    assert.doesNotMatch(output, /"level":"(warn|error)"|\[(WARN|ERROR)\]/, output);
    assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, output);
  });

  it('leaves no process holding a port after a kill -9 of it', { timeout: 180_000 }, async () => {
    const product = await startCommand(env, path.dirname(env.DATA_DIR!));
    started.push(product);
    const children = descendants(product.child.pid!);
    product.child.kill('SIGKILL');
    await product.exited;
    await waitFor(async () => portIsFree(ports.TEMPORAL_PORT!), 10_000);
    for (const [name, port] of Object.entries(ports)) assert.ok(await portIsFree(port), `${name} ${port} is free`);
    await waitFor(() => stillRunning(children).length === 0, 10_000).catch(() => undefined);
    assert.deepEqual(stillRunning(children).map(commandLine), [], 'every process it started has stopped');

    // And the same command starts again on the same ports and data.
    const again = await startCommand(env, path.dirname(env.DATA_DIR!));
    started.push(again);
    again.child.kill('SIGTERM');
    assert.equal((await again.exited).code, 0, again.output());
  });
});

describe('a stop that does not finish (the product\'s lifecycle, on a process whose shutdown never ends)', () => {
  const fixture = path.join(import.meta.dirname, 'fixtures', 'stuck-stop.ts');
  async function stuckProcess(forceAfterMs: number) {
    const child = spawn(process.execPath, [fixture, String(forceAfterMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(() => /ready \d+/.test(output), 10_000, 'the fixture up');
    const groupLeader = Number(/ready (\d+)/.exec(output)![1]);
    return { child, exited, groupLeader, output: () => output };
  }

  it('a second SIGTERM more than a second after the first ends it at once, its child group killed', { timeout: 30_000 }, async () => {
    const stuck = await stuckProcess(60_000);
    stuck.child.kill('SIGTERM');
    await sleep(200);
    stuck.child.kill('SIGTERM'); // as npm forwards a Ctrl-C the terminal also sent: the same request
    await sleep(1_200);
    assert.equal(stuck.child.exitCode, null, 'still stopping after the first request');
    stuck.child.kill('SIGTERM');
    const code = await Promise.race([stuck.exited, sleep(3_000).then(() => 'still running')]);
    assert.equal(code, 1, stuck.output());
    assert.match(stuck.output(), /SIGTERM again: stopping now/);
    await waitFor(() => stillRunning([stuck.groupLeader]).length === 0, 2_000, 'its child gone');
  });

  it('a stop still running after its time ends it, its child group killed', { timeout: 30_000 }, async () => {
    const stuck = await stuckProcess(1_500);
    stuck.child.kill('SIGTERM');
    const code = await Promise.race([stuck.exited, sleep(5_000).then(() => 'still running')]);
    assert.equal(code, 1, stuck.output());
    assert.match(stuck.output(), /the stop took over 1.5 s: stopping now/);
    await waitFor(() => stillRunning([stuck.groupLeader]).length === 0, 2_000, 'its child gone');
  });
});
