// Accounts through the real API: sign-in and sessions (cookie flags, logout, expiry, wrong passwords),
// API keys (shown once, last-used time, revoked and expired keys refused), OIDC bearer tokens verified
// against a local identity provider's JWKS (wrong issuer, audience, expiry, signature; first sight makes a
// user), anonymous participants (a token for one meeting, never recordings), and no IDOR through lists.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, type CryptoKey } from 'jose';
import { startTestProduct, uniqueName, type TestProduct, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD } from './support/product.ts';
import { startIdentityProvider, type IdentityProvider } from './support/identity-provider.ts';
import { Session } from '../auth/entities.ts';
import { ApiKey } from '../auth/entities.ts';

const AUDIENCE = 'meeting-recorder-api';

function sessionCookie(headers: Headers): string {
  const cookie = headers.getSetCookie().find((c) => c.startsWith('mr_session='));
  assert.ok(cookie, 'a session cookie');
  return cookie;
}

describe('accounts, sessions, API keys and OIDC through the API', { timeout: 300_000 }, () => {
  let product: TestProduct;
  let idp: IdentityProvider;
  /** A key the provider does not publish: what it signs must fail the signature check. */
  let otherKey: CryptoKey;

  before(async () => {
    otherKey = (await generateKeyPair('RS256', { extractable: true })).privateKey;
    idp = await startIdentityProvider({ apiAudience: AUDIENCE });
    product = await startTestProduct({ name: 'accounts', env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE, LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
  });
  after(async () => {
    await product?.stop();
    await idp?.close();
  });

  it('signs in with a password: an HttpOnly SameSite cookie that works, logout ends it', async () => {
    const anonymous = product.as({});
    const wrong = await anonymous('POST', '/v1/auth/login', { email: TEST_ADMIN_EMAIL, password: 'not-the-password' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'invalid_credentials');
    const unknown = await anonymous('POST', '/v1/auth/login', { email: 'nobody@example.com', password: 'not-the-password' });
    assert.deepEqual(unknown.body, wrong.body, 'the same answer whether or not the account exists');

    const login = await anonymous('POST', '/v1/auth/login', { email: ` ${TEST_ADMIN_EMAIL.toUpperCase()} `, password: TEST_ADMIN_PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.user.email, TEST_ADMIN_EMAIL);
    assert.equal(login.body.user.passwordHash, undefined);
    const cookie = sessionCookie(login.headers);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
    const pair = cookie.split(';')[0]!;

    const me = await product.as({ cookie: pair })('GET', '/v1/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.via, 'session');

    const logout = await product.as({ cookie: pair })('POST', '/v1/auth/logout');
    assert.equal(logout.status, 204);
    assert.match(logout.headers.getSetCookie().join(), /mr_session=;.*Max-Age=0/);
    const after = await product.as({ cookie: pair })('GET', '/v1/auth/me');
    assert.equal(after.status, 401);
    assert.equal(after.body.error.code, 'session_invalid');
    // A public endpoint still answers a browser holding a dead cookie (and tells it to drop the cookie).
    const config = await product.as({ cookie: pair })('GET', '/v1/auth/config');
    assert.equal(config.status, 200);
    assert.equal(config.body.oidc.issuer, idp.issuer);
  });

  it('refuses an expired session with its own code', async () => {
    const login = await product.as({})('POST', '/v1/auth/login', { email: TEST_ADMIN_EMAIL, password: TEST_ADMIN_PASSWORD });
    const pair = sessionCookie(login.headers).split(';')[0]!;
    await product.services.db.em.fork().nativeUpdate(Session, { expiresAt: { $gt: new Date() } }, { expiresAt: new Date(Date.now() - 1000) });
    const response = await product.as({ cookie: pair })('GET', '/v1/rooms');
    assert.equal(response.status, 401);
    assert.equal(response.body.error.code, 'session_expired');
  });

  it('API keys: shown once, hashed, last-used recorded, revoked and expired keys refused', async () => {
    const user = await product.createUser();
    const created = await product.request('POST', '/v1/api-keys', { name: 'ci' }, user.headers);
    assert.equal(created.status, 201);
    const key: string = created.body.key;
    assert.match(key, /^mr_[a-z0-9]{8}_/);
    const listed = await product.request('GET', '/v1/api-keys', undefined, user.headers);
    // mr_<prefix>_<secret>: the secret is base64url, so it may hold underscores itself.
    const secret = key.slice('mr_'.length + 8 + 1);
    assert.equal(secret.length, 43);
    assert.ok(!JSON.stringify(listed.body).includes(secret), 'the secret is never listed');
    const row = await product.services.db.em.fork().findOneOrFail(ApiKey, created.body.apiKey.id);
    assert.notEqual(row.hash, key);
    assert.equal(row.lastUsedAt ?? null, null);

    assert.equal((await product.as({ 'x-api-key': key })('GET', '/v1/rooms')).status, 200);
    const used = await product.services.db.em.fork().findOneOrFail(ApiKey, created.body.apiKey.id);
    assert.ok(used.lastUsedAt instanceof Date, 'last-used time recorded');

    // Another user cannot revoke it (404: they may not know it exists); its owner can.
    const other = await product.createUser();
    assert.equal((await product.request('DELETE', `/v1/api-keys/${row.id}`, undefined, other.headers)).status, 404);
    assert.equal((await product.request('DELETE', `/v1/api-keys/${row.id}`, undefined, user.headers)).status, 200);
    const revoked = await product.as({ 'x-api-key': key })('GET', '/v1/rooms');
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.error.code, 'api_key_revoked');

    const soon = await product.request('POST', '/v1/api-keys', { name: 'short', expiresAt: new Date(Date.now() + 60_000).toISOString() }, user.headers);
    await product.services.db.em.fork().nativeUpdate(ApiKey, { id: soon.body.apiKey.id }, { expiresAt: new Date(Date.now() - 1000) });
    const expired = await product.as({ 'x-api-key': soon.body.key })('GET', '/v1/rooms');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'api_key_expired');
    assert.equal((await product.as({ 'x-api-key': 'mr_nonsense' })('GET', '/v1/rooms')).body.error.code, 'api_key_malformed');
    const past = await product.request('POST', '/v1/api-keys', { name: 'past', expiresAt: '2001-01-01T00:00:00Z' }, user.headers);
    assert.equal(past.status, 400);
    assert.equal(past.body.error.details[0].field, 'expiresAt');
  });

  it('only admins create users; passwords follow the policy; emails are unique', async () => {
    const user = await product.createUser();
    const body = { email: `${uniqueName('made')}@example.com`, password: 'a-long-enough-password' };
    assert.equal((await product.request('POST', '/v1/users', body, user.headers)).status, 403);
    assert.equal((await product.request('POST', '/v1/users', body)).status, 201);
    assert.equal((await product.request('POST', '/v1/users', body)).status, 409);
    const weak = await product.request('POST', '/v1/users', { email: `${uniqueName('weak')}@example.com`, password: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.details[0].field, 'password');
    const signedIn = await product.as({})('POST', '/v1/auth/login', body);
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.body.user.role, 'user');
  });

  it('OIDC: a valid token maps to a user on first sight; wrong issuer, audience, expiry and signature are refused with their codes', async () => {
    const token = (claims: Record<string, unknown>, options: Parameters<IdentityProvider['sign']>[1] = {}) => idp.sign({ name: 'Ada', ...claims }, options);
    const asBearer = async (jwt: string) => product.as({ authorization: `Bearer ${jwt}` })('GET', '/v1/auth/me');

    const ok = await asBearer(await token({}));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.via, 'oidc');
    assert.equal(ok.body.user.email, 'ada@example.com');
    const again = await asBearer(await token({}));
    assert.equal(again.body.user.id, ok.body.user.id, 'the same user the second time');

    const cases: Array<[string, Promise<string>]> = [
      ['token_wrong_issuer', token({}, { issuer: 'https://elsewhere.example.com' })],
      ['token_wrong_audience', token({}, { audience: 'another-api' })],
      ['token_expired', token({}, { expiresIn: Math.floor(Date.now() / 1000) - 600 })],
      ['token_invalid', token({}, { key: otherKey })],
    ];
    for (const [code, jwt] of cases) {
      const refused = await asBearer(await jwt);
      assert.equal(refused.status, 401, code);
      assert.equal(refused.body.error.code, code);
      assert.match(refused.headers.get('www-authenticate') ?? '', /Bearer/);
    }
    assert.equal((await asBearer('not.a.jwt')).body.error.code, 'token_malformed');
  });

  it('anonymous participants: a token for their meeting only, consent tied to it, never recordings; rooms can refuse them', async () => {
    const owner = await product.createUser();
    const name = uniqueName('open');
    assert.equal((await product.request('POST', '/v1/rooms', { name, recordingTrigger: 'none', allowAnonymous: true }, owner.headers)).status, 201);
    const meeting = (await product.request('POST', `/v1/rooms/${name}/meetings`, {}, owner.headers)).body;
    const anonymous = product.as({});
    const room = await anonymous('GET', `/v1/rooms/${name}`);
    assert.equal(room.status, 200);
    assert.equal(room.body.guest, true);
    assert.equal(room.body.webhookUrl, undefined, 'guests see no settings');

    const joined = await anonymous('POST', `/v1/meetings/${meeting.id}/join`, { userName: '  Grace\u0007 ' });
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.equal(joined.body.isOwner, false);
    const participant = product.as({ authorization: `Bearer ${joined.body.meetingToken}` });
    const consent = await participant('POST', `/v1/meetings/${meeting.id}/consent`, { consentGiven: false });
    assert.equal(consent.status, 200);
    assert.equal(consent.body.participantKey, joined.body.participantKey);
    const changed = await participant('POST', `/v1/meetings/${meeting.id}/consent`, { consentGiven: true });
    assert.equal(changed.body.consentGiven, true, 'the last answer wins');
    assert.equal((await anonymous('POST', `/v1/meetings/${meeting.id}/consent`, { consentGiven: true })).status, 401, 'an answer needs an identity');

    // Rejoining with the token keeps the same participant.
    const rejoined = await participant('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Grace' });
    assert.equal(rejoined.body.participantKey, joined.body.participantKey);
    // The token reaches nothing else.
    for (const path of ['/v1/recordings', '/v1/transcripts', '/v1/rooms', `/v1/meetings/${meeting.id}/recordings/stop`]) {
      const response = await participant(path.endsWith('stop') ? 'POST' : 'GET', path);
      assert.equal(response.status, 403, path);
    }
    const manual = await participant('POST', `/v1/meetings/${meeting.id}/recordings/start`, { manual: true });
    assert.equal(manual.status, 403, 'only the host starts recording by hand');
    const tampered = `${joined.body.meetingToken.slice(0, -2)}xx`;
    assert.equal((await product.as({ authorization: `Bearer ${tampered}` })('GET', `/v1/meetings/${meeting.id}`)).body.error.code, 'meeting_token_invalid');

    // A room that admits no anonymous participants: the meeting is unknown to them.
    await product.request('PATCH', `/v1/rooms/${name}`, { allowAnonymous: false }, owner.headers);
    assert.equal((await anonymous('POST', `/v1/meetings/${meeting.id}/join`, { userName: 'Eve' })).status, 404);
    assert.equal((await anonymous('GET', `/v1/rooms/${name}`)).status, 404);
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/end`, undefined, owner.headers)).status, 202);
  });

  it('lists show each user only their own things (no IDOR through lists)', async () => {
    const alice = await product.createUser();
    const bob = await product.createUser();
    const aliceRoom = uniqueName('alice');
    const sharedRoom = uniqueName('team');
    await product.request('POST', '/v1/rooms', { name: aliceRoom, allowAnonymous: true }, alice.headers);
    await product.request('POST', '/v1/rooms', { name: sharedRoom, shared: true }, alice.headers);
    const bobRooms = (await product.request('GET', '/v1/rooms?limit=100', undefined, bob.headers)).body.items.map((r: { name: string }) => r.name);
    assert.ok(!bobRooms.includes(aliceRoom), "bob does not see alice's private room");
    assert.ok(bobRooms.includes(sharedRoom), 'bob sees the shared room');
    // A room's name is its invitation: anyone may open a room that admits guests, and sees only the guest view.
    const guestView = await product.request('GET', `/v1/rooms/${aliceRoom}`, undefined, bob.headers);
    assert.equal(guestView.body.guest, true);
    assert.equal(guestView.body.ownerId, undefined);
    await product.request('PATCH', `/v1/rooms/${aliceRoom}`, { allowAnonymous: false }, alice.headers);
    assert.equal((await product.request('GET', `/v1/rooms/${aliceRoom}`, undefined, bob.headers)).status, 404);
    assert.equal((await product.request('PATCH', `/v1/rooms/${sharedRoom}`, { locked: true }, bob.headers)).status, 403, 'seeing a shared room is not owning it');
    const adminRooms = (await product.request('GET', '/v1/rooms?limit=100')).body.items.map((r: { name: string }) => r.name);
    assert.ok(adminRooms.includes(aliceRoom), 'admins see every room');
  });
});
