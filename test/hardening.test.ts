// The edges of the API, against the real product: security headers, CORS for the web origins only (and the
// origin check on unsafe requests), rate limits per client address, body limits per route, no SSRF through a
// room's webhook URL, and no secret in what the API logs or answers (the API run as its own process, its
// whole output captured).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import pg from 'pg';
import { startTestProduct, testConfig, TEST_ADMIN_EMAIL, type TestProduct } from './support/product.ts';
import { freePort } from './support/servers.ts';
import { signDailyWebhook } from '../platforms/daily/signature.ts';

const WEB_ORIGIN = 'https://app.example.com';
const LOGIN_LIMIT = 3;
const PUBLIC_LIMIT = 4;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

/**
 * One request with node:http, from a chosen loopback address: the rate limits count per client address, so
 * each test speaks from its own (127.0.0.2, 127.0.0.3, …) and the limits of one do not spill into another.
 */
function send(
  base: string,
  method: string,
  urlPath: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; from?: string; chunked?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(options.body));
    const request = http.request(`${base}${urlPath}`, { method, headers, localAddress: options.from }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
    });
    // The server may answer 413 before reading everything: a reset after the answer is fine.
    request.on('error', reject);
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}

describe('hardening the edges', () => {
  let product: TestProduct;
  before(async () => {
    product = await startTestProduct({
      name: 'hardening',
      worker: false,
      env: {
        WEB_ORIGINS: `${WEB_ORIGIN},https://admin.example.com`,
        LOGIN_RATE_LIMIT_PER_MINUTE: String(LOGIN_LIMIT),
        PUBLIC_RATE_LIMIT_PER_MINUTE: String(PUBLIC_LIMIT),
        OUTGOING_WEBHOOKS_ALLOW_PRIVATE: 'false',
      },
    });
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'open-room', allowAnonymous: true })).status, 201);
  });
  after(() => product?.stop());

  it('sends the security headers on every API answer, errors included', async () => {
    const answers = [
      await product.request('GET', '/v1/rooms'),
      await product.as({})('GET', '/v1/rooms'),
      await product.request('POST', '/v1/rooms', { name: 'X' }),
      await product.as({})('GET', '/v1/no-such-endpoint'),
      await product.as({})('GET', '/healthz'),
      await product.as({})('GET', '/v1/openapi.json'),
    ];
    assert.deepEqual(answers.map((a) => a.status), [200, 401, 400, 404, answers[4]!.status, 200]);
    for (const { headers, status } of answers) {
      assert.equal(headers.get('x-content-type-options'), 'nosniff', `nosniff on ${status}`);
      assert.match(headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.match(headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(headers.get('x-frame-options'), 'DENY');
      assert.equal(headers.get('cache-control'), 'no-store');
      assert.equal(headers.get('referrer-policy'), 'no-referrer');
      assert.equal(headers.get('x-powered-by'), null);
      assert.equal(headers.get('access-control-allow-origin'), null, 'no CORS without an Origin');
    }
  });

  it('answers CORS for the web origins only, and refuses unsafe requests from any other origin', async () => {
    const fromWeb = await product.request('GET', '/v1/rooms', undefined, { origin: WEB_ORIGIN });
    assert.equal(fromWeb.status, 200);
    assert.equal(fromWeb.headers.get('access-control-allow-origin'), WEB_ORIGIN);
    assert.equal(fromWeb.headers.get('access-control-allow-credentials'), 'true');
    assert.match(fromWeb.headers.get('vary') ?? '', /origin/i);

    const preflight = await product.as({})('OPTIONS', '/v1/rooms', undefined, { origin: WEB_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-api-key' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), WEB_ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-API-Key/i);
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'from-web-origin' }, { origin: WEB_ORIGIN })).status, 201);

    // Look-alikes are other origins: another host, a longer host, another scheme, another port.
    for (const stranger of ['https://evil.example', 'https://app.example.com.evil.example', 'http://app.example.com', 'https://app.example.com:8443', 'null']) {
      const read = await product.request('GET', '/v1/rooms', undefined, { origin: stranger });
      assert.equal(read.headers.get('access-control-allow-origin'), null, `no CORS for ${stranger}`);
      assert.equal(read.headers.get('access-control-allow-credentials'), null);
      const pre = await product.as({})('OPTIONS', '/v1/rooms', undefined, { origin: stranger, 'access-control-request-method': 'DELETE' });
      assert.notEqual(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), null);
      // Unsafe methods from another origin are refused before anything runs, credential or not.
      const create = await product.request('POST', '/v1/rooms', { name: 'from-stranger' }, { origin: stranger });
      assert.equal(create.status, 403, stranger);
      assert.equal(create.body.error.code, 'origin_not_allowed');
      const logout = await product.as({})('POST', '/v1/auth/logout', undefined, { origin: stranger });
      assert.equal(logout.status, 403);
      assert.equal((await product.as({})('POST', '/v1/auth/login', { email: TEST_ADMIN_EMAIL, password: 'x' }, { origin: stranger })).body.error.code, 'origin_not_allowed');
      assert.equal((await product.request('DELETE', '/v1/rooms/open-room', undefined, { origin: stranger })).status, 403);
    }
    assert.equal((await product.request('GET', '/v1/rooms/from-stranger')).status, 404, 'nothing was created');
    assert.equal((await product.request('GET', '/v1/rooms/open-room')).status, 200, 'nothing was deleted');
    // Our own origin is always allowed; Daily's webhooks are not browser requests.
    const own = new URL(product.url).origin;
    assert.equal((await product.request('POST', '/v1/rooms', { name: 'from-own-origin' }, { origin: own })).status, 201);
    assert.notEqual((await product.as({})('POST', '/v1/webhooks/daily', { test: 'test' }, { origin: 'https://evil.example' })).status, 403);
  });

  it('limits sign-in attempts per client address: 429 with Retry-After after the limit, other addresses unaffected', async () => {
    const attempt = (from: string, password: string) =>
      send(product.url, 'POST', '/v1/auth/login', { from, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: TEST_ADMIN_EMAIL, password }) });
    for (let i = 1; i <= LOGIN_LIMIT; i++) {
      const wrong = await attempt('127.0.0.2', `wrong-${i}`);
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers['ratelimit-remaining'], String(LOGIN_LIMIT - i));
    }
    const limited = await attempt('127.0.0.2', 'admin-password-for-tests');
    assert.equal(limited.status, 429, 'even the right password, once the minute is used up');
    assert.equal(limited.json.error.code, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
    assert.equal(limited.headers['set-cookie'], undefined);
    // Changing a password counts in the same allowance (it checks the current one).
    assert.equal((await send(product.url, 'PUT', '/v1/auth/password', { from: '127.0.0.2', headers: { 'content-type': 'application/json', ...product.adminHeaders }, body: '{}' })).status, 429);
    const elsewhere = await attempt('127.0.0.3', 'admin-password-for-tests');
    assert.equal(elsewhere.status, 200, 'another address signs in');
  });

  it('limits public endpoints for callers without an account, not for signed-in users', async () => {
    for (let i = 0; i < PUBLIC_LIMIT; i++) assert.equal((await send(product.url, 'GET', '/v1/rooms/open-room', { from: '127.0.0.5' })).status, 200);
    const limited = await send(product.url, 'GET', '/v1/rooms/open-room', { from: '127.0.0.5' });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal(limited.json.error.code, 'rate_limited');
    // Signed-in users are not counted, even from the limited address.
    for (let i = 0; i < PUBLIC_LIMIT + 2; i++) {
      assert.equal((await send(product.url, 'GET', '/v1/rooms/open-room', { from: '127.0.0.5', headers: product.adminHeaders })).status, 200);
    }
    // Unlimited endpoints stay reachable for the limited address.
    assert.equal((await send(product.url, 'GET', '/v1/auth/config', { from: '127.0.0.5' })).status, 200);
  });

  it('limits bodies per route: 8 KiB for sign-in, 64 KiB by default, 256 KiB for webhooks; JSON only', async () => {
    const from = '127.0.0.4';
    const loginBody = (size: number) => {
      const base = JSON.stringify({ email: TEST_ADMIN_EMAIL, password: '' });
      return JSON.stringify({ email: TEST_ADMIN_EMAIL, password: 'p'.repeat(size - base.length) });
    };
    const jsonHeaders = { 'content-type': 'application/json' };
    const tooBig = await send(product.url, 'POST', '/v1/auth/login', { from, headers: jsonHeaders, body: loginBody(8 * 1024 + 1) });
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.json.error.code, 'payload_too_large');
    assert.equal(tooBig.text.includes('ppppp'), false, 'the body is not echoed');
    // Without a Content-Length (chunked), the limit is enforced while reading.
    assert.equal((await send(product.url, 'POST', '/v1/auth/login', { from, headers: jsonHeaders, body: loginBody(8 * 1024 + 1), chunked: true })).status, 413);
    assert.equal((await send(product.url, 'POST', '/v1/auth/login', { from: '127.0.0.6', headers: jsonHeaders, body: loginBody(8 * 1024) })).status, 400, 'at the limit: read, then refused by the schema (password too long), not 413');

    const room = (size: number) => JSON.stringify({ name: 'big-room', webhookSecret: 's'.repeat(size) });
    assert.equal((await send(product.url, 'POST', '/v1/rooms', { headers: { ...jsonHeaders, ...product.adminHeaders }, body: room(64 * 1024) })).status, 413);
    assert.equal((await send(product.url, 'POST', '/v1/rooms', { headers: { ...jsonHeaders, ...product.adminHeaders }, body: room(60 * 1024) })).status, 400, 'under 64 KiB: the schema answers');
    assert.equal((await send(product.url, 'POST', '/v1/rooms', { headers: { 'content-type': 'text/plain', ...product.adminHeaders }, body: 'name=x' })).json.error.code, 'unsupported_media_type');

    const event = (size: number) => JSON.stringify({ type: 'meeting.started', pad: 'x'.repeat(size) });
    const hugeWebhook = await send(product.url, 'POST', '/v1/webhooks/daily', { headers: jsonHeaders, body: event(256 * 1024) });
    assert.equal(hugeWebhook.status, 413);
    const bigWebhook = await send(product.url, 'POST', '/v1/webhooks/daily', { headers: jsonHeaders, body: event(200 * 1024) });
    assert.notEqual(bigWebhook.status, 413, 'a 200 KiB webhook is read (and refused for its missing signature)');
    assert.equal(bigWebhook.status, 401);
    for (const headers of [{ 'content-type': 'text/plain' }, {}] as Record<string, string>[]) {
      const notJson = await send(product.url, 'POST', '/v1/webhooks/daily', { headers, body: event(10) });
      assert.equal(notJson.status, 415, `webhook with ${JSON.stringify(headers)}`);
      assert.equal(notJson.json.error.code, 'unsupported_media_type');
    }
  });

  it('refuses room webhook URLs that reach loopback or private addresses, however they are spelled', async () => {
    // test/outgoing-webhooks.test.ts checks the address ranges one by one; here: through the API, with the
    // spellings a URL parser turns into loopback, and host names that resolve to non-public addresses.
    const refused = [
      'http://10.0.0.5/hook',
      'http://[::1]:8080/hook',
      'http://localhost:3000/hook',
      'http://LOCALHOST./hook',
      'http://2130706433/hook', // 127.0.0.1 as one number
      'http://0x7f.0.0.1/hook',
      'http://127.1/hook',
      'http://017700000001/hook', // octal
      'http://[::ffff:10.0.0.1]/hook',
      `http://${os.hostname()}/hook`, // this machine's name: a private address, or none
    ];
    for (const [i, webhookUrl] of refused.entries()) {
      const created = await product.request('POST', '/v1/rooms', { name: `ssrf-edge-${i}`, webhookUrl });
      assert.equal(created.status, 400, `${webhookUrl}: ${JSON.stringify(created.body)}`);
      assert.equal(created.body.error.details[0].field, 'webhookUrl');
      assert.equal((await product.request('PATCH', '/v1/rooms/open-room', { webhookUrl })).status, 400, `PATCH ${webhookUrl}`);
    }
    assert.equal((await product.request('GET', '/v1/rooms/open-room')).body.webhookUrl, null, 'no refused URL was saved');
    assert.equal((await product.request('PATCH', '/v1/rooms/open-room', { webhookUrl: 'https://93.184.216.34/hook' })).status, 200);
  });
});

// ---- Secrets never in logs or error bodies ---------------------------------------------------------------

/** A stand-in Daily that fails every call, so that opening a meeting honestly ends in a 500. */
function startFailingDaily(): Promise<{ url: string; requests: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const requests: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'server-error', info: 'daily stand-in exploded' }));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

const secretLike = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

describe('secrets in logs and error bodies', () => {
  const secrets = {
    appSecret: randomBytes(32).toString('hex'),
    adminPassword: secretLike('admin-pw'),
    wrongPassword: secretLike('wrong-pw'),
    newUserPassword: secretLike('new-user-pw'),
    dailyApiKey: secretLike('daily-key'),
    dailyWebhookSecret: randomBytes(32).toString('base64'),
    roomWebhookSecret: secretLike('room-hook'),
    shortRoomSecret: `s${randomBytes(4).toString('hex')}`,
    forgedApiKey: `mr_${randomBytes(24).toString('base64url')}`,
    forgedBearer: `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: secretLike('jwt') })).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
    forgedCookie: randomBytes(32).toString('base64url'),
  } as Record<string, string>;
  let child: ChildProcess;
  let output = '';
  let base = '';
  let databaseUrl = '';
  let daily: Awaited<ReturnType<typeof startFailingDaily>>;
  const answers: Array<{ what: string; status: number; text: string; headers: http.IncomingHttpHeaders }> = [];

  before(async () => {
    daily = await startFailingDaily();
    const port = await freePort();
    // A database and a Temporal namespace of its own; the API itself runs as `node api/main.ts` would in production.
    const config = await testConfig({ name: 'logscrub', database: 'postgresql' });
    assert.equal(config.database.kind, 'postgresql');
    databaseUrl = config.database.url;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: os.tmpdir(),
      DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'logscrub-')),
      APP_SECRET: secrets.appSecret!,
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      DAILY_API_KEY: secrets.dailyApiKey!,
      DAILY_API_URL: daily.url,
      DAILY_WEBHOOK_SECRET: secrets.dailyWebhookSecret!,
      FIRST_ADMIN_EMAIL: 'root@example.com',
      FIRST_ADMIN_PASSWORD: secrets.adminPassword!,
      OUTGOING_WEBHOOKS_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: 'debug',
    };
    const entry = path.resolve(import.meta.dirname, '../api/main.ts');
    child = spawn(process.execPath, [entry], { cwd: env.DATA_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const started = Date.now();
    while (!output.includes('API listening')) {
      if (child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`the API did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await daily?.close();
  });

  async function call(what: string, method: string, urlPath: string, options: { headers?: Record<string, string>; body?: unknown } = {}) {
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const response = await send(base, method, urlPath, { headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers }, body });
    answers.push({ what, status: response.status, text: response.text, headers: response.headers });
    return response;
  }

  it('never writes a password, key, token, cookie or webhook secret to the log or into an error', async () => {
    assert.equal((await call('wrong password', 'POST', '/v1/auth/login', { body: { email: 'root@example.com', password: secrets.wrongPassword } })).status, 401);
    const login = await call('login', 'POST', '/v1/auth/login', { body: { email: 'root@example.com', password: secrets.adminPassword } });
    assert.equal(login.status, 200);
    const setCookie = String(login.headers['set-cookie']);
    const [cookie] = setCookie.split(';');
    secrets.session = cookie!.split('=')[1]!;
    const asSession = { cookie: cookie! };

    const key = await call('api key (shown once)', 'POST', '/v1/api-keys', { headers: asSession, body: { name: 'scrub' } });
    assert.equal(key.status, 201);
    secrets.apiKey = key.json.key;
    const asKey = { 'x-api-key': secrets.apiKey! };
    assert.equal((await call('me by key', 'GET', '/v1/auth/me', { headers: asKey })).status, 200);
    assert.equal((await call('forged key', 'GET', '/v1/auth/me', { headers: { 'x-api-key': secrets.forgedApiKey! } })).status, 401);
    assert.equal((await call('forged bearer', 'GET', '/v1/auth/me', { headers: { authorization: `Bearer ${secrets.forgedBearer}` } })).status, 401);
    assert.equal((await call('forged cookie', 'GET', '/v1/auth/me', { headers: { cookie: `mr_session=${secrets.forgedCookie}` } })).status, 401);

    assert.equal((await call('new user', 'POST', '/v1/users', { headers: asKey, body: { email: 'someone@example.com', password: secrets.newUserPassword } })).status, 201);
    const changeRefused = await call('password change, wrong current', 'PUT', '/v1/auth/password', { headers: asSession, body: { currentPassword: secrets.wrongPassword, newPassword: secrets.newUserPassword } });
    assert.equal(changeRefused.status, 403);

    const room = await call('room with webhook secret', 'POST', '/v1/rooms', { headers: asKey, body: { name: 'scrub-room', webhookUrl: 'http://127.0.0.1:9/hook', webhookSecret: secrets.roomWebhookSecret } });
    assert.equal(room.status, 201);
    assert.equal(room.json.hasWebhookSecret, true);
    assert.equal((await call('room read', 'GET', '/v1/rooms/scrub-room', { headers: asKey })).status, 200);
    const shortSecret = await call('short room secret', 'PATCH', '/v1/rooms/scrub-room', { headers: asKey, body: { webhookSecret: secrets.shortRoomSecret } });
    assert.equal(shortSecret.status, 400);
    assert.equal(shortSecret.json.error.details[0].field, 'webhookSecret');

    // Daily's webhooks: a forged signature, then a real one (signed with the configured secret).
    const event = JSON.stringify({ version: '1.0.0', type: 'meeting.started', id: 'evt-scrub', payload: { meeting_id: 'm', room: 'nowhere', start_ts: 1 }, event_ts: Date.now() / 1000 });
    const now = String(Math.floor(Date.now() / 1000));
    assert.equal((await call('forged webhook', 'POST', '/v1/webhooks/daily', { headers: { 'x-webhook-timestamp': now, 'x-webhook-signature': secrets.forgedApiKey! }, body: event })).status, 401);
    const signed = await call('signed webhook', 'POST', '/v1/webhooks/daily', { headers: { 'x-webhook-timestamp': now, 'x-webhook-signature': signDailyWebhook(secrets.dailyWebhookSecret!, now, event) }, body: event });
    assert.ok(signed.status < 300, `signed webhook: ${signed.status} ${signed.text}`);

    // Daily fails while the meeting is opened: a 502, logged, with Daily's key in every call.
    const failed = await call('daily fails', 'POST', '/v1/rooms/scrub-room/meetings', { headers: asKey, body: {} });
    assert.equal(failed.status, 502, failed.text);
    assert.ok(daily.requests.length > 0 && daily.requests.every((h) => h.authorization === `Bearer ${secrets.dailyApiKey}`), 'Daily was called with the key');

    // An honest 500: the database refuses the insert that carries the room's webhook secret.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query(`alter table "room" add constraint "scrub_no_secrets" check ("webhook_secret" is null) not valid`);
      const broken = await call('database refuses', 'POST', '/v1/rooms', { headers: asKey, body: { name: 'scrub-room-two', webhookSecret: secrets.roomWebhookSecret } });
      assert.equal(broken.status, 500, broken.text);
      assert.deepEqual(broken.json, { error: { code: 'internal_error', message: 'Internal server error' } });
    } finally {
      await db.query(`alter table "room" drop constraint if exists "scrub_no_secrets"`);
      await db.end();
    }

    await call('logout', 'POST', '/v1/auth/logout', { headers: asSession });
    // Let the last log lines (the webhook's signal attempts) arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));

    // The capture is real: the 500 and the start were logged, at debug level.
    assert.match(output, /API listening/);
    assert.match(output, /request failed/);
    assert.match(output, /daily stand-in exploded/);
    assert.match(output, /scrub_no_secrets/, 'the database failure is logged');

    const forms = (value: string) => {
      const decoded = /^[A-Za-z0-9+/]+=*$/.test(value) && value.length % 4 === 0 ? Buffer.from(value, 'base64') : null;
      return [value, encodeURIComponent(value), ...(decoded && decoded.length >= 16 ? [decoded.toString('hex'), decoded.toString('base64url')] : [])];
    };
    for (const [name, secret] of Object.entries(secrets)) {
      for (const form of forms(secret)) {
        assert.equal(output.includes(form), false, `the log contains ${name}`);
        for (const answer of answers) {
          const allowed = (name === 'apiKey' && answer.what === 'api key (shown once)') || (name === 'session' && answer.what === 'login');
          if (allowed) continue;
          assert.equal(answer.text.includes(form), false, `the answer to "${answer.what}" contains ${name}`);
          assert.equal(JSON.stringify(answer.headers).includes(form), false, `the headers of "${answer.what}" contain ${name}`);
        }
      }
    }
  });
});
