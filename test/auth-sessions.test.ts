// Browser sessions against a real PGlite database: cookie attributes, sliding expiry, revocation, and
// nothing but the token's sha256 at rest.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MikroORM } from '@mikro-orm/pglite';
import { authEntities, Session, User } from '../auth/entities.ts';
import {
  clearSessionCookie, createSession, deleteExpiredSessions, hashSessionToken, resolveSession, revokeSession, revokeUserSessions, type SessionOptions,
} from '../auth/sessions.ts';

async function openAuthDatabase(): Promise<MikroORM> {
  const orm = await MikroORM.init({ entities: authEntities, debug: false });
  await orm.schema.create();
  return orm;
}

const HOUR = 3600;
const t0 = new Date('2026-11-21T10:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const options = (now: Date, publicUrl = 'http://127.0.0.1:3000'): SessionOptions => ({
  publicUrl, idleTimeoutSeconds: 24 * HOUR, absoluteTimeoutSeconds: 72 * HOUR, now: () => now,
});

describe('sessions', () => {
  let orm: MikroORM;
  let user: User;
  before(async () => {
    orm = await openAuthDatabase();
    const em = orm.em.fork();
    user = em.create(User, { email: 'grace@example.com', displayName: 'Grace', passwordHash: null, oidcIssuer: null, oidcSubject: null, lastLoginAt: null });
    await em.persist(user).flush();
  });
  after(() => orm?.close());

  it('creates a 256-bit token with an HttpOnly, SameSite=Lax cookie', async () => {
    const { token, cookie } = await createSession(orm.em.fork(), user, { userAgent: 'test-browser', ip: '192.0.2.1' }, options(t0));
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.equal(cookie.name, 'mr_session');
    assert.equal(cookie.value, token);
    assert.deepEqual(cookie.attributes, { httpOnly: true, sameSite: 'lax', secure: false, path: '/', maxAge: 24 * HOUR });
    assert.equal(cookie.header, `mr_session=${token}; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax`);
  });

  it('makes the cookie Secure and __Host- prefixed behind an https public URL', async () => {
    const { cookie } = await createSession(orm.em.fork(), user, {}, options(t0, 'https://meetings.example.com'));
    assert.equal(cookie.name, '__Host-mr_session');
    assert.equal(cookie.attributes.secure, true);
    assert.match(cookie.header, /; Secure$/);
    assert.equal(clearSessionCookie(options(t0, 'https://meetings.example.com')).header, '__Host-mr_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure');
  });

  it('stores only the sha256 of the token', async () => {
    const { token, session } = await createSession(orm.em.fork(), user, {}, options(t0));
    assert.equal(session.id, hashSessionToken(token));
    const rows = await orm.em.fork().getConnection().execute('select * from user_session');
    const dump = JSON.stringify(rows);
    assert.ok(dump.includes(hashSessionToken(token)));
    assert.ok(!dump.includes(token), 'the plaintext token is not in the table');
  });

  it('resolves a token to its user, and slides expiry and last-seen at most once a minute', async () => {
    const { token } = await createSession(orm.em.fork(), user, { userAgent: 'ua' }, options(t0));
    const soon = await resolveSession(orm.em.fork(), token, options(at(30)));
    assert.ok(soon.ok);
    assert.equal(soon.user.email, 'grace@example.com');
    assert.equal(soon.renewedCookie, null, 'no write within the first minute');

    const later = await resolveSession(orm.em.fork(), token, options(at(2 * HOUR)));
    assert.ok(later.ok);
    assert.deepEqual(later.session.lastSeenAt, at(2 * HOUR));
    assert.deepEqual(later.session.expiresAt, at(26 * HOUR));
    assert.equal(later.renewedCookie?.attributes.maxAge, 24 * HOUR);
    const stored = await orm.em.fork().findOneOrFail(Session, { id: hashSessionToken(token) });
    assert.deepEqual(stored.expiresAt, at(26 * HOUR));

    // Used within each idle window, it lives on — but never past the absolute lifetime.
    assert.ok((await resolveSession(orm.em.fork(), token, options(at(25 * HOUR)))).ok);
    assert.ok((await resolveSession(orm.em.fork(), token, options(at(48 * HOUR)))).ok);
    const last = await resolveSession(orm.em.fork(), token, options(at(70 * HOUR)));
    assert.ok(last.ok);
    assert.deepEqual(last.session.expiresAt, at(72 * HOUR));
    assert.equal(last.renewedCookie?.attributes.maxAge, 2 * HOUR);
    assert.deepEqual(await resolveSession(orm.em.fork(), token, options(at(72 * HOUR))), { ok: false, reason: 'expired' });
  });

  it('expires an idle session and deletes it', async () => {
    const { token } = await createSession(orm.em.fork(), user, {}, options(t0));
    assert.deepEqual(await resolveSession(orm.em.fork(), token, options(at(24 * HOUR + 1))), { ok: false, reason: 'expired' });
    assert.equal(await orm.em.fork().count(Session, { id: hashSessionToken(token) }), 0);
    assert.deepEqual(await resolveSession(orm.em.fork(), token, options(at(24 * HOUR + 2))), { ok: false, reason: 'unknown' });
  });

  it('tells a malformed token from an unknown one', async () => {
    assert.deepEqual(await resolveSession(orm.em.fork(), 'not a token', options(t0)), { ok: false, reason: 'malformed' });
    assert.deepEqual(await resolveSession(orm.em.fork(), 'A'.repeat(43), options(t0)), { ok: false, reason: 'unknown' });
  });

  it('revokes one session, or all of a user\'s but the current one', async () => {
    const a = await createSession(orm.em.fork(), user, {}, options(t0));
    assert.equal(await revokeSession(orm.em.fork(), a.token), true);
    assert.equal(await revokeSession(orm.em.fork(), a.token), false);
    assert.deepEqual(await resolveSession(orm.em.fork(), a.token, options(t0)), { ok: false, reason: 'unknown' });

    const current = await createSession(orm.em.fork(), user, {}, options(t0));
    const other = await createSession(orm.em.fork(), user, {}, options(t0));
    assert.ok((await revokeUserSessions(orm.em.fork(), user.id, current.token)) >= 1);
    assert.ok((await resolveSession(orm.em.fork(), current.token, options(t0))).ok);
    assert.equal((await resolveSession(orm.em.fork(), other.token, options(t0))).ok, false);
  });

  it('sweeps expired rows', async () => {
    await createSession(orm.em.fork(), user, {}, options(t0));
    assert.ok((await deleteExpiredSessions(orm.em.fork(), at(100 * HOUR))) >= 1);
    assert.equal(await orm.em.fork().count(Session, { expiresAt: { $lte: at(100 * HOUR) } }), 0);
  });
});
