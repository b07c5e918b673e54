import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as jose from 'jose';
import { loadScenario } from '../platforms/daily/simulator/scenario.ts';
import { connectHmsSimulator, runHmsScenario, startHmsSimulator } from '../platforms/hms/simulator/index.ts';
import type { HmsSimulator, HmsSimulatorControl } from '../platforms/hms/simulator/index.ts';
import { waitForValue } from './support/poll.ts';

// The 100ms simulator's fidelity, judged against 100ms's documentation (HMS-DOCS; platform-apis.md part B) with
// tokens minted here by jose, not by our adapter: the REST API's auth refusals, rooms, sessions, the recording's
// 409 and status transitions, webhooks (envelope, secret headers, no signature, retries at +1 s, +3 s, +10 s),
// real media (an MP4 composite, per-track WebM/Opus) and presigned links that expire.

const run = promisify(execFile);
const ACCESS_KEY = `ak${randomBytes(8).toString('hex')}`;
const APP_SECRET = randomBytes(32).toString('base64url');
const SECRET_HEADER = { name: 'x-hms-webhook-secret', value: randomBytes(16).toString('hex') };
const START = new Date('2026-05-04T09:00:00.000Z');

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  envelope: { version: string; id: string; app_id: string; account_id: string; template_id: string; timestamp: string; type: string; data: Record<string, unknown> };
  at: number;
}

let server: HmsSimulator;
/** Peers, time and faults through the control API over HTTP, as a demo in another process would. */
let sim: HmsSimulatorControl;
let hook: Server;
let dir: string;
const received: Received[] = [];
/** Every attempt, answered or not, by event type: for the retry schedule. */
const attempts: Array<{ type: string; id: string; at: number }> = [];
/** Answers for the next attempts whose event type matches. */
const scripted: Array<{ type: string; status: number }> = [];
let tracksTemplate: string;
let sfuTemplate: string;

const sign = (claims: Record<string, unknown>, options: { secret?: string; expiresIn?: number; jti?: boolean } = {}) => {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now).setNotBefore(now).setExpirationTime(now + (options.expiresIn ?? 600));
  if (options.jti !== false) jwt = jwt.setJti(randomUUID());
  return jwt.sign(new TextEncoder().encode(options.secret ?? APP_SECRET));
};
const managementToken = (extra: Record<string, unknown> = {}, options?: Parameters<typeof sign>[1]) => sign({ access_key: ACCESS_KEY, type: 'management', version: 2, ...extra }, options);
const appToken = (roomId: string, userId: string, role: string) => sign({ access_key: ACCESS_KEY, room_id: roomId, user_id: userId, role, type: 'app', version: 2 });

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; json: T }> {
  const authorization = token === null ? undefined : `Bearer ${token ?? (await managementToken())}`;
  const response = await fetch(`${server.apiUrl}${path}`, {
    method,
    headers: { ...(authorization && { authorization }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return { status: response.status, json: (await response.json()) as T };
}

const eventsOf = (type: string, roomId?: string) => received.filter((r) => r.envelope.type === type && (roomId === undefined || r.envelope.data.room_id === roomId));
const eventOf = (type: string, match: (data: Record<string, unknown>) => boolean = () => true) =>
  waitForValue(type, () => received.find((r) => r.envelope.type === type && match(r.envelope.data))?.envelope);

async function probe(path: string) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type:format=format_name,duration', '-of', 'json', path]);
  return JSON.parse(stdout) as { streams: Array<{ codec_name: string; codec_type: string }>; format: { format_name: string; duration: string } };
}

async function downloadTo(url: string, name: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `download of ${name}`);
  const path = join(dir, name);
  await writeFile(path, Buffer.from(await response.arrayBuffer()));
  return path;
}

async function newRoom(name: string, templateId?: string): Promise<string> {
  const { status, json } = await api<{ id: string }>('POST', '/rooms', { name, ...(templateId && { template_id: templateId }) });
  assert.equal(status, 200);
  return json.id;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hms-sim-test-'));
  hook = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    const envelope = JSON.parse(body) as Received['envelope'];
    attempts.push({ type: envelope.type, id: envelope.id, at: Date.now() });
    const answer = scripted.findIndex((s) => s.type === envelope.type);
    if (answer >= 0) {
      res.writeHead(scripted.splice(answer, 1)[0]!.status).end();
      return;
    }
    received.push({ headers: req.headers, body, envelope, at: Date.now() });
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  server = await startHmsSimulator({
    accessKey: ACCESS_KEY,
    appSecret: APP_SECRET,
    templates: [{ name: 'default' }, { name: 'tracks', trackRecording: true }, { name: 'sfu', sfuRecording: true }],
    webhook: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hms`, headers: { [SECRET_HEADER.name]: SECRET_HEADER.value } },
    clock: { mode: 'virtual', startAt: START },
    recordingStartupMs: 2_000,
    log: () => {},
  });
  [, tracksTemplate, sfuTemplate] = server.templates.map((t) => t.id) as [string, string, string];
  sim = connectHmsSimulator(server.controlUrl);
});

after(async () => {
  await server?.stop();
  await new Promise((resolve) => hook?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('100ms simulator: management tokens', () => {
  it('refuses a missing, forged, expired or incomplete token with 401 JSON, another type or version with 403', async () => {
    const refused = async (token: string | null, status: number, message: RegExp) => {
      const answer = await api<{ code: number; message: string }>('GET', '/recordings', undefined, token);
      assert.equal(answer.status, status, `${message}`);
      assert.equal(answer.json.code, status);
      assert.match(answer.json.message, message);
    };
    await refused(null, 401, /authorization header is missing/);
    await refused(await managementToken({}, { secret: 'another-secret' }), 401, /invalid token/);
    await refused(await managementToken({}, { expiresIn: -60 }), 401, /token is expired/);
    await refused(await managementToken({}, { jti: false }), 401, /invalid token/);
    await refused(await managementToken({ access_key: 'someone-else' }), 401, /access_key/);
    await refused(await sign({ access_key: ACCESS_KEY, room_id: 'r', user_id: 'u', role: 'host', type: 'app', version: 2 }), 403, /app token cannot call the REST API/);
    await refused(await managementToken({ version: 1 }), 403, /version 1/);
    const ok = await api('GET', '/recordings');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { limit: 10, data: [], last: '' });
  });
});

describe('100ms simulator: rooms and sessions', () => {
  it('creates a room, answers the same room for its name again, refuses a bad name and an unknown id', async () => {
    const created = await api<{ id: string; name: string; enabled: boolean; template_id: string }>('POST', '/rooms', { name: 'standup-1', description: 'daily' });
    assert.equal(created.status, 200);
    assert.match(created.json.id, /^[0-9a-f]{24}$/);
    assert.equal(created.json.enabled, true);
    assert.equal(created.json.template_id, server.templates[0]!.id);
    const again = await api<{ id: string }>('POST', '/rooms', { name: 'standup-1' });
    assert.equal(again.json.id, created.json.id);
    assert.equal((await api('GET', `/rooms/${created.json.id}`)).status, 200);
    const bad = await api<{ code: number; message: string }>('POST', '/rooms', { name: 'no spaces allowed' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /name/);
    assert.equal((await api('GET', '/rooms/000000000000000000000000')).status, 404);
  });

  it('opens a session with the first peer, lists who is in it, closes it with the last; a disabled room cannot be joined', async () => {
    const roomId = await newRoom('sessions-1');
    assert.equal((await api('GET', `/active-rooms/${roomId}`)).status, 404);
    const ana = await sim.join(roomId, { token: await appToken(roomId, 'ana', 'host') });
    assert.equal(ana.role, 'host');
    assert.equal(ana.userId, 'ana');
    const bo = await sim.join(roomId, { name: 'Bo' });
    assert.equal(bo.sessionId, ana.sessionId);
    const active = await api<{ session: { id: string; peers: Record<string, { user_id: string; role: string }> } }>('GET', `/active-rooms/${roomId}`);
    assert.equal(active.json.session.id, ana.sessionId);
    assert.deepEqual(Object.values(active.json.session.peers).map((p) => [p.user_id, p.role]).sort(), [['ana', 'host'], [bo.userId, 'guest']].sort());
    await assert.rejects(sim.join(roomId, { token: await appToken('another-room', 'eve', 'host') }), /403|not/);
    await sim.advance(5_000);
    await sim.leave(bo.peerId);
    await sim.leave(ana.peerId);
    const close = await eventOf('session.close.success', (d) => d.session_id === ana.sessionId);
    assert.equal(close.data.session_duration, 5);
    const sessions = await api<{ data: Array<{ id: string; active: boolean; peers: Record<string, { left_at: string | null }> }> }>('GET', `/sessions?room_id=${roomId}`);
    assert.equal(sessions.json.data.length, 1);
    assert.equal(sessions.json.data[0]!.active, false);
    assert.ok(Object.values(sessions.json.data[0]!.peers).every((p) => p.left_at !== null));
    const disabled = await api<{ enabled: boolean }>('POST', `/rooms/${roomId}`, { enabled: false });
    assert.equal(disabled.json.enabled, false);
    await assert.rejects(sim.join(roomId, { name: 'Late' }), /disabled/);
  });
});

describe('100ms simulator: recording', () => {
  it('needs a running session, answers 409 to a second start, goes starting → running → stopping → completed with a playable MP4', async () => {
    const roomId = await newRoom('recorded-1');
    const early = await api<{ message: string }>('POST', `/recordings/room/${roomId}/start`, {});
    assert.equal(early.status, 404);
    assert.match(early.json.message, /not active/);
    const host = await sim.join(roomId, { token: await appToken(roomId, 'host-1', 'host') });
    const guest = await sim.join(roomId, { name: 'Guest' });
    const start = await api<{ id: string; status: string; room_id: string; session_id: string; started_at: null; recording_assets: null }>('POST', `/recordings/room/${roomId}/start`, {});
    assert.equal(start.status, 200);
    assert.equal(start.json.status, 'starting');
    assert.equal(start.json.session_id, host.sessionId);
    assert.equal(start.json.started_at, null);
    assert.equal(start.json.recording_assets, null);
    const second = await api<{ code: number }>('POST', `/recordings/room/${roomId}/start`, {});
    assert.equal(second.status, 409);
    assert.equal(second.json.code, 409);

    await sim.advance(2_000);
    assert.equal((await api<{ status: string }>('GET', `/recordings/${start.json.id}`)).json.status, 'running');
    const started = await eventOf('beam.started.success', (d) => d.room_id === roomId);
    assert.equal(started.data.session_id, host.sessionId);
    assert.equal((await api('POST', `/recordings/room/${roomId}/start`, {})).status, 409, 'still 409 while running');

    const said = await sim.say(host.peerId, { text: 'The quarterly numbers are in.' });
    await sim.advance(said.durationMs + 500);
    const reply = await sim.say(guest.peerId, { text: 'Good, let us look at them.' });
    await sim.advance(reply.durationMs + 1_000);
    const stop = await api<{ data: Array<{ id: string; status: string }> }>('POST', `/recordings/room/${roomId}/stop`);
    assert.equal(stop.status, 200);
    assert.deepEqual(stop.json.data.map((r) => [r.id, r.status]), [[start.json.id, 'stopping']]);
    assert.equal((await api('POST', `/recordings/room/${roomId}/stop`)).status, 404, 'nothing left to stop');

    const success = await eventOf('beam.recording.success', (d) => d.room_id === roomId);
    const recording = await api<{ status: string; recording_assets: Array<{ type: string; path: string; size: number; id: string }> }>('GET', `/recordings/${start.json.id}`);
    assert.equal(recording.json.status, 'completed');
    const [asset] = recording.json.recording_assets;
    assert.equal(asset!.type, 'room-composite');
    assert.equal(success.data.recording_id, start.json.id);
    assert.equal(success.data.recording_path, asset!.path);
    assert.match(String(success.data.recording_path), /^s3:\/\/[^/]+\/beam\/.+\.mp4$/);
    assert.equal(success.data.size, asset!.size);
    const expectedSeconds = Math.round((said.durationMs + 500 + reply.durationMs + 1_000) / 1000);
    assert.equal(success.data.duration, expectedSeconds);

    const file = await downloadTo(String(success.data.recording_presigned_url), 'composite.mp4');
    const probed = await probe(file);
    assert.match(probed.format.format_name, /mp4/);
    assert.deepEqual(probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:aac', 'video:h264']);
    assert.ok(Math.abs(Number(probed.format.duration) - (said.durationMs + 500 + reply.durationMs + 1_000) / 1000) < 0.5);

    const fresh = await api<{ url: string; path: string }>('GET', `/recording-assets/${asset!.id}/presigned-url`);
    assert.equal(fresh.json.path, asset!.path);
    assert.equal((await fetch(fresh.json.url)).status, 200);
    await sim.leave(guest.peerId);
    await sim.leave(host.peerId);
  });

  it('fails a recording on demand (beam.failure), after which a new one may start; a dropped webhook never arrives', async () => {
    const roomId = await newRoom('failing-1');
    const peer = await sim.join(roomId, { name: 'Solo' });
    const start = await api<{ id: string }>('POST', `/recordings/room/${roomId}/start`, {});
    await sim.advance(2_000);
    await sim.failRecording(start.json.id, 'encoder crashed');
    const failure = await eventOf('beam.failure', (d) => d.room_id === roomId);
    assert.equal(failure.data.error_type, 'INTERNAL_ERROR');
    assert.equal(failure.data.error_message, 'encoder crashed');
    assert.equal((await api<{ status: string }>('GET', `/recordings/${start.json.id}`)).json.status, 'failed');
    // A failed recording no longer blocks a new one.
    assert.equal((await api('POST', `/recordings/room/${roomId}/start`, {})).status, 200);

    await sim.setFaults({ webhooks: [{ action: 'drop', types: ['peer.leave.success'], count: 1 }] });
    await sim.leave(peer.peerId);
    await sim.whenIdle();
    const deliveries = await sim.webhookDeliveries();
    assert.ok(deliveries.some((d) => d.type === 'peer.leave.success' && d.outcome === 'dropped'));
    assert.equal(eventsOf('peer.leave.success', roomId).length, 0);
    assert.equal(eventsOf('session.close.success', roomId).length, 1, 'the next event is sent');
    await sim.setFaults({});
  });

  it('records each microphone on its own where the template enables track recording, and the session whole where it enables SFU recording', async () => {
    const roomId = await newRoom('tracks-1', tracksTemplate);
    const ana = await sim.join(roomId, { name: 'Ana', userId: 'ana' });
    const bo = await sim.join(roomId, { name: 'Bo', userId: 'bo' });
    await eventOf('track.recording.started.success', (d) => d.peer_id === bo.peerId);
    await sim.advance(1_000);
    const said = await sim.say(bo.peerId, { text: 'Only Bo speaks here.' });
    await sim.advance(said.durationMs + 1_000);
    await sim.leave(bo.peerId);
    await sim.leave(ana.peerId);
    const boTrack = await eventOf('track.recording.success', (d) => d.peer_id === bo.peerId);
    const anaTrack = await eventOf('track.recording.success', (d) => d.peer_id === ana.peerId);
    assert.equal(boTrack.data.track_type, 'audio');
    assert.equal(boTrack.data.session_id, bo.sessionId);
    const boFile = await downloadTo(String(boTrack.data.recording_presigned_url), 'bo.webm');
    const probed = await probe(boFile);
    assert.deepEqual(probed.streams.map((s) => s.codec_name), ['opus']);
    const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', boFile, '-af', 'volumedetect', '-f', 'null', '-']);
    const anaFile = await downloadTo(String(anaTrack.data.recording_presigned_url), 'ana.webm');
    const { stderr: silent } = await run('ffmpeg', ['-hide_banner', '-i', anaFile, '-af', 'volumedetect', '-f', 'null', '-']);
    const maxVolume = (text: string) => Number(/max_volume: (-?[\d.]+|-inf) dB/.exec(text)?.[1] ?? '-inf');
    assert.ok(maxVolume(stderr) > -20, 'Bo is heard on his track');
    assert.ok(!(maxVolume(silent) > -60), 'Ana, who said nothing, is silent on hers');

    const sfuRoom = await newRoom('sfu-1', sfuTemplate);
    const solo = await sim.join(sfuRoom, { name: 'Solo' });
    await sim.advance(3_000);
    await sim.leave(solo.peerId);
    const sfu = await eventOf('recording.success', (d) => d.room_id === sfuRoom);
    assert.equal(sfu.data.session_id, solo.sessionId);
    assert.equal(sfu.data.duration, 3);
    assert.match(String(sfu.data.recording_path), /\.mp4$/);
    assert.equal((await fetch(String(sfu.data.recording_presigned_url))).status, 200);
  });
});

describe('100ms simulator: webhooks and links', () => {
  it('sends the 2.0 envelope with the secret headers passed through and no signature', async () => {
    const joined = await eventOf('peer.join.success');
    const delivery = received.find((r) => r.envelope.id === joined.id)!;
    assert.deepEqual(Object.keys(delivery.envelope).sort(), ['account_id', 'app_id', 'data', 'id', 'template_id', 'timestamp', 'type', 'version']);
    assert.equal(delivery.envelope.version, '2.0');
    assert.match(delivery.envelope.id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(delivery.envelope.timestamp)) && delivery.envelope.timestamp.endsWith('Z'));
    assert.match(String(delivery.headers['content-type']), /^application\/json/);
    for (const r of received) assert.equal(r.headers[SECRET_HEADER.name], SECRET_HEADER.value);
    for (const r of received) assert.ok(!Object.keys(r.headers).some((h) => /signature/i.test(h)), 'nothing is signed');
    for (const field of ['room_id', 'room_name', 'session_id', 'peer_id', 'user_id', 'role', 'joined_at']) assert.ok(field in joined.data, field);
    const types = new Set(received.map((r) => r.envelope.type));
    for (const type of ['peer.join.success', 'peer.leave.success', 'session.open.success', 'session.close.success', 'beam.started.success', 'beam.stopped.success', 'beam.recording.success', 'beam.failure', 'recording.success', 'track.recording.success']) {
      assert.ok(types.has(type), `${type} was sent`);
    }
    assert.deepEqual((await sim.state()).webhook.headerNames, [SECRET_HEADER.name], 'state shows header names, not values');
  });

  it('retries a delivery answered with anything but 200 three times, 1 s, 3 s and 10 s apart', { timeout: 30_000 }, async () => {
    const roomId = await newRoom('retries-1');
    scripted.push({ type: 'session.open.success', status: 204 }, { type: 'session.open.success', status: 500 }, { type: 'session.open.success', status: 503 });
    const peer = await sim.join(roomId, { name: 'Patient' });
    const opened = await waitForValue('session.open.success delivered', () => eventsOf('session.open.success', roomId)[0], 25_000);
    const tries = attempts.filter((a) => a.id === opened.envelope.id);
    assert.equal(tries.length, 4);
    const gaps = tries.slice(1).map((t, i) => (t.at - tries[i]!.at) / 1000);
    for (const [gap, expected] of gaps.map((g, i) => [g, [1, 3, 10][i]!] as const)) assert.ok(gap >= expected - 0.05 && gap < expected + 0.8, `gap ${gap}s, expected ${expected}s`);
    const logged = (await sim.webhookDeliveries()).filter((d) => d.eventId === opened.envelope.id);
    assert.deepEqual(logged.map((d) => [d.attempt, d.outcome, d.status]), [[1, 'failed', 204], [2, 'failed', 500], [3, 'failed', 503], [4, 'delivered', 200]]);
    await sim.leave(peer.peerId);
  });

  it('delays or duplicates a webhook (same id and body) and refuses REST calls on a fault', async () => {
    const roomId = await newRoom('faults-1');
    await sim.setFaults({
      webhooks: [
        { action: 'duplicate', types: ['peer.join.success'], count: 1 },
        { action: 'delay', types: ['session.open.success'], delayMs: 300, count: 1 },
      ],
      api: [{ routes: ['POST /recordings/room/:id/start'], status: 503, count: 1 }],
    });
    const startsBefore = (await sim.stats()).apiCalls['POST /recordings/room/:id/start'] ?? 0;
    const peer = await sim.join(roomId, { name: 'Faulty' });
    const joins = await waitForValue('two copies of peer.join.success', () => eventsOf('peer.join.success', roomId).length === 2 && eventsOf('peer.join.success', roomId));
    assert.equal(joins[0]!.envelope.id, joins[1]!.envelope.id);
    assert.equal(joins[0]!.body, joins[1]!.body);
    const opened = await waitForValue('delayed session.open.success', () => eventsOf('session.open.success', roomId)[0]);
    assert.ok(opened.at - joins[0]!.at >= 250, 'the session opening came after the later join, delayed');
    const refused = await api<{ code: number }>('POST', `/recordings/room/${roomId}/start`, {});
    assert.equal(refused.status, 503);
    assert.equal((await api('POST', `/recordings/room/${roomId}/start`, {})).status, 200, 'the fault fired once');
    assert.equal((await sim.stats()).apiCalls['POST /recordings/room/:id/start'], startsBefore + 2, 'the refused call is counted too');
    await sim.setFaults({});
    await sim.leave(peer.peerId);
  });

  it('serves a file through its presigned link until the link expires, then answers 403 AccessDenied; a forged link too', async () => {
    await sim.setPresignedUrlTtl(1);
    const roomId = await newRoom('expiring-1');
    const peer = await sim.join(roomId, { name: 'Brief' });
    const start = await api<{ id: string }>('POST', `/recordings/room/${roomId}/start`, {});
    await sim.advance(3_000);
    await api('POST', `/recordings/${start.json.id}/stop`);
    const success = await eventOf('beam.recording.success', (d) => d.recording_id === start.json.id);
    const url = String(success.data.recording_presigned_url);
    assert.equal((await fetch(url)).status, 200);
    const forged = new URL(url);
    forged.searchParams.set('expires', String(Number(forged.searchParams.get('expires')) + 3600));
    const refusedForgery = await fetch(forged);
    assert.equal(refusedForgery.status, 403);
    assert.match(await refusedForgery.text(), /<Code>AccessDenied<\/Code>/);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const expired = await fetch(url);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /Request has expired/);
    await sim.setPresignedUrlTtl(86_400);
    await sim.leave(peer.peerId);
  });
});

describe('100ms simulator: meeting scripts', () => {
  it('plays a Daily meeting script in a 100ms room: peers, speech, the host role, recording steps handed over', async () => {
    const { scenario, baseDir } = await loadScenario(resolve(import.meta.dirname, '../platforms/daily/simulator/scenarios/two-person-demo.json'));
    const steps: string[] = [];
    let roomId = '';
    const result = await runHmsScenario(sim, scenario, {
      baseDir,
      tailSeconds: 5,
      recordingStep: async (step) => {
        steps.push(`${step.action}:${step.type}`);
        if (step.action === 'startRecording' && step.type === 'cloud') assert.equal((await api('POST', `/recordings/room/${roomId}/start`, {})).status, 200);
      },
      afterStep: async (step, index) => {
        if (index === 0) roomId = (await sim.state()).rooms.find((r) => r.name === scenario.room)!.id;
      },
    });
    assert.equal(result.roomId, roomId);
    assert.deepEqual(steps, ['startRecording:raw-tracks', 'startRecording:cloud']);
    assert.deepEqual(Object.keys(result.peers).sort(), ['ada', 'grace']);
    const joined = eventsOf('peer.join.success', roomId).map((r) => [r.envelope.data.user_id, r.envelope.data.role]);
    assert.deepEqual(joined, [['user-ada', 'host'], ['user-grace', 'guest']]);
    // The script's end has everyone leave: the session closes and stops the recording, whose file has the meeting.
    const success = await eventOf('beam.recording.success', (d) => d.room_id === roomId);
    assert.equal(success.data.duration, 16, 'from running (1 s + 2 s starting) to the end at 19 s');
    assert.equal(eventsOf('session.close.success', roomId).length, 1);
  });
});
