// identify(): which credential wins, and the stable failure code for each present-but-invalid one — with
// real sessions, API keys and meeting tokens in PGlite, and a local OIDC provider serving a real JWKS.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { MikroORM } from '@mikro-orm/pglite';
import { authEntities, User } from '../auth/entities.ts';
import { createApiKey, revokeApiKey } from '../auth/api-keys.ts';
import { identify, type IdentifyDeps, type IdentifyRequest, type IdentifyResult } from '../auth/caller.ts';
import { issueMeetingToken } from '../auth/meeting-tokens.ts';
import { createOidcVerifier } from '../auth/oidc.ts';
import { createSession, type SessionOptions } from '../auth/sessions.ts';

async function openAuthDatabase(): Promise<MikroORM> {
  const orm = await MikroORM.init({ entities: authEntities, debug: false });
  await orm.schema.create();
  return orm;
}

const appSecret = 'identify-test-app-secret-0123456789abcdef';
const AUDIENCE = 'meeting-recorder-api';
const meetingId = '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed';

function request(headers: Record<string, string | string[]> = {}, cookies: Record<string, string> = {}): IdentifyRequest {
  return { headers, cookies: new Map(Object.entries(cookies)) };
}

function failureCode(result: IdentifyResult): string {
  return result.ok ? `ok:${result.caller.kind}` : result.failure.code;
}

describe('identify', () => {
  let orm: MikroORM;
  let jwks: Server;
  let issuer: string;
  let signingKey: CryptoKey;
  let user: User;
  let apiKey: string;
  let sessionToken: string;
  const sessions: SessionOptions = { publicUrl: 'http://127.0.0.1:3000' };
  const deps = (overrides: Partial<IdentifyDeps> = {}): IdentifyDeps => ({
    em: orm.em.fork(),
    sessions,
    appSecret,
    oidc: createOidcVerifier({ issuer, audience: AUDIENCE, jwksUri: `${issuer}/jwks` }),
    ...overrides,
  });
  const jwt = (claims: Record<string, unknown> = {}) => new SignJWT({
    iss: issuer, aud: AUDIENCE, sub: 'oidc-person', email: 'person@idp.example', exp: Math.floor(Date.now() / 1000) + 300, ...claims,
  }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(signingKey);

  before(async () => {
    orm = await openAuthDatabase();
    const keys = await generateKeyPair('ES256', { extractable: true });
    signingKey = keys.privateKey;
    const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256' };
    jwks = createServer((_req, res) => res.end(JSON.stringify({ keys: [publicJwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;

    const em = orm.em.fork();
    user = em.create(User, { email: 'local@example.com', displayName: 'Local', passwordHash: null, oidcIssuer: null, oidcSubject: null, lastLoginAt: null });
    await em.persist(user).flush();
    apiKey = (await createApiKey(orm.em.fork(), user, { name: 'integration' })).plaintext;
    sessionToken = (await createSession(orm.em.fork(), user, {}, sessions)).token;
  });
  after(async () => {
    await orm?.close();
    jwks?.close();
  });

  it('is anonymous without any credential', async () => {
    assert.deepEqual(await identify(request(), deps()), { ok: true, caller: { kind: 'anonymous' }, setCookie: null });
    assert.deepEqual(await identify(request({}, { mr_session: '' }), deps()), { ok: true, caller: { kind: 'anonymous' }, setCookie: null });
  });

  it('knows a user by API key, by OIDC token and by session cookie', async () => {
    const byKey = await identify(request({ 'x-api-key': apiKey }), deps());
    assert.ok(byKey.ok && byKey.caller.kind === 'user');
    assert.deepEqual([byKey.caller.user.id, byKey.caller.via], [user.id, 'api-key']);

    const byKeyAsBearer = await identify(request({ authorization: `Bearer ${apiKey}` }), deps());
    assert.ok(byKeyAsBearer.ok && byKeyAsBearer.caller.kind === 'user');
    assert.deepEqual([byKeyAsBearer.caller.user.id, byKeyAsBearer.caller.via], [user.id, 'api-key']);

    const byOidc = await identify(request({ authorization: `Bearer ${await jwt()}` }), deps());
    assert.ok(byOidc.ok && byOidc.caller.kind === 'user');
    assert.deepEqual([byOidc.caller.user.email, byOidc.caller.via], ['person@idp.example', 'oidc']);

    const bySession = await identify(request({}, { mr_session: sessionToken }), deps());
    assert.ok(bySession.ok && bySession.caller.kind === 'user');
    assert.deepEqual([bySession.caller.user.id, bySession.caller.via], [user.id, 'session']);
  });

  it('knows an anonymous participant by meeting token, scoped to that meeting', async () => {
    const { token, claims } = issueMeetingToken({ appSecret, meetingId, name: 'Guest' });
    const result = await identify(request({ authorization: `bearer ${token}` }), deps());
    assert.deepEqual(result, { ok: true, caller: { kind: 'participant', meetingId, participantKey: claims.participantKey, name: 'Guest' }, setCookie: null });
  });

  it('tries X-API-Key, then Authorization, then the session cookie', async () => {
    const { token } = issueMeetingToken({ appSecret, meetingId, name: 'Guest' });
    const all = await identify(request({ 'x-api-key': apiKey, authorization: `Bearer ${token}` }, { mr_session: sessionToken }), deps());
    assert.ok(all.ok && all.caller.kind === 'user' && all.caller.via === 'api-key');
    const bearerAndCookie = await identify(request({ authorization: `Bearer ${token}` }, { mr_session: sessionToken }), deps());
    assert.equal(bearerAndCookie.ok && bearerAndCookie.caller.kind, 'participant');
  });

  it('fails on a present but invalid credential instead of falling back to the next one', async () => {
    const badKey = await identify(request({ 'x-api-key': `mr_zzzzzzzz_${'A'.repeat(43)}` }, { mr_session: sessionToken }), deps());
    assert.deepEqual(badKey, { ok: false, failure: { credential: 'api-key', code: 'api_key_invalid', message: 'The API key is not valid.', status: 401 } });
    const badBearer = await identify(request({ authorization: 'Bearer mtk_forged.AAAA' }, { mr_session: sessionToken }), deps());
    assert.equal(failureCode(badBearer), 'meeting_token_invalid');
  });

  it('names what is wrong with an API key', async () => {
    const { plaintext, apiKey: record } = await createApiKey(orm.em.fork(), user, { name: 'soon revoked' });
    await revokeApiKey(orm.em.fork(), record.id);
    assert.equal(failureCode(await identify(request({ 'x-api-key': plaintext }), deps())), 'api_key_revoked');
    const expiring = await createApiKey(orm.em.fork(), user, { name: 'expired', expiresAt: new Date(Date.now() - 1000) });
    assert.equal(failureCode(await identify(request({ 'x-api-key': expiring.plaintext }), deps())), 'api_key_expired');
    assert.equal(failureCode(await identify(request({ 'x-api-key': 'hunter2' }), deps())), 'api_key_malformed');
    assert.equal(failureCode(await identify(request({ 'x-api-key': [apiKey, apiKey] }), deps())), 'api_key_malformed');
  });

  it('names what is wrong with a bearer token', async () => {
    const bearer = async (token: string, overrides: Partial<IdentifyDeps> = {}) => failureCode(await identify(request({ authorization: `Bearer ${token}` }), deps(overrides)));
    assert.equal(await bearer(await jwt({ exp: Math.floor(Date.now() / 1000) - 3600 })), 'token_expired');
    assert.equal(await bearer(await jwt({ aud: 'another-api' })), 'token_wrong_audience');
    assert.equal(await bearer(await jwt({ iss: 'https://other.example' })), 'token_wrong_issuer');
    assert.equal(await bearer(await jwt({ nbf: Math.floor(Date.now() / 1000) + 3600 })), 'token_not_yet_valid');
    assert.equal(await bearer(await jwt({ sub: 'no-email', email: undefined })), 'oidc_email_missing');
    assert.equal(await bearer(await jwt({ sub: 'impostor', email: 'local@example.com', email_verified: true })), 'oidc_email_conflict');
    assert.equal(await bearer('eyJhbGciOiJub25lIn0.e30.'), 'token_invalid');
    assert.equal(await bearer('not-a-jwt'), 'token_malformed');
    assert.equal(await bearer(`mr_zzzzzzzz_${'A'.repeat(43)}`), 'api_key_invalid', 'an API key as bearer fails as an API key');
    assert.equal(await bearer(await jwt(), { oidc: null }), 'oidc_not_configured');
    const expired = issueMeetingToken({ appSecret, meetingId, name: 'Guest', ttlSeconds: 60, now: new Date(Date.now() - 3600_000) });
    assert.equal(await bearer(expired.token), 'meeting_token_expired');
    const otherSecret = issueMeetingToken({ appSecret: `${appSecret}-rotated`, meetingId, name: 'Guest' });
    assert.equal(await bearer(otherSecret.token), 'meeting_token_invalid');
    assert.equal(failureCode(await identify(request({ authorization: 'Basic dXNlcjpwYXNz' }), deps())), 'authorization_malformed');
  });

  it('answers 503, not 401, when the identity provider cannot be reached', async () => {
    const down = createOidcVerifier({ issuer, audience: AUDIENCE, jwksUri: 'http://127.0.0.1:9/jwks', httpTimeoutMs: 1000 });
    const result = await identify(request({ authorization: `Bearer ${await jwt()}` }), deps({ oidc: down }));
    assert.ok(!result.ok);
    assert.deepEqual([result.failure.code, result.failure.status], ['oidc_unavailable', 503]);
  });

  it('refuses a dead session cookie and says how to clear it', async () => {
    const unknown = await identify(request({}, { mr_session: 'B'.repeat(43) }), deps());
    assert.ok(!unknown.ok);
    assert.equal(unknown.failure.code, 'session_invalid');
    assert.equal(unknown.failure.clearCookie, 'mr_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax');

    const later = Date.now() + 15 * 24 * 3600_000;
    const expired = await identify(request({}, { mr_session: sessionToken }), deps({ now: () => new Date(later) }));
    assert.equal(failureCode(expired), 'session_expired');
  });

  it('sends the session cookie again when its expiry slides', async () => {
    const { token } = await createSession(orm.em.fork(), user, {}, sessions);
    const twoMinutes = new Date(Date.now() + 120_000);
    const result = await identify(request({}, { mr_session: token }), deps({ now: () => twoMinutes }));
    assert.ok(result.ok);
    assert.match(result.setCookie ?? '', new RegExp(`^mr_session=${token}; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax$`));
  });
});
