// API keys against a real PGlite database: shown once, stored hashed, refused once revoked or expired.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MikroORM } from '@mikro-orm/pglite';
import { ApiKey, authEntities, User } from '../auth/entities.ts';
import { createApiKey, listApiKeys, resolveApiKey, revokeApiKey } from '../auth/api-keys.ts';

async function openAuthDatabase(): Promise<MikroORM> {
  const orm = await MikroORM.init({ entities: authEntities, debug: false });
  await orm.schema.create();
  return orm;
}

describe('API keys', () => {
  let orm: MikroORM;
  let owner: User;
  let stranger: User;
  before(async () => {
    orm = await openAuthDatabase();
    const em = orm.em.fork();
    const blank = { passwordHash: null, oidcIssuer: null, oidcSubject: null, lastLoginAt: null };
    owner = em.create(User, { email: 'owner@example.com', displayName: 'Owner', ...blank });
    stranger = em.create(User, { email: 'stranger@example.com', displayName: 'Stranger', ...blank });
    await em.persist([owner, stranger]).flush();
  });
  after(() => orm?.close());

  it('returns the plaintext once and stores only its hash and prefix', async () => {
    const { plaintext, apiKey } = await createApiKey(orm.em.fork(), owner, { name: 'CI uploader' });
    assert.match(plaintext, /^mr_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    assert.equal(apiKey.prefix, plaintext.slice(3, 11));
    assert.equal(apiKey.hash, createHash('sha256').update(plaintext).digest('hex'));
    const rows = JSON.stringify(await orm.em.fork().getConnection().execute('select * from api_key'));
    assert.ok(!rows.includes(plaintext.slice(12)), 'the secret part is nowhere in the table');
    assert.ok(!JSON.stringify(apiKey).includes(apiKey.hash), 'the hash is hidden from serialization');
  });

  it('resolves a valid key to its user and records when it was used, at most once a minute', async () => {
    const { plaintext, apiKey } = await createApiKey(orm.em.fork(), owner, { name: 'reporting' });
    const t0 = new Date('2026-11-21T10:00:00Z');
    const first = await resolveApiKey(orm.em.fork(), plaintext, t0);
    assert.ok(first.ok);
    assert.equal(first.user.id, owner.id);
    const stored = () => orm.em.fork().findOneOrFail(ApiKey, { id: apiKey.id });
    assert.deepEqual((await stored()).lastUsedAt, t0);

    assert.ok((await resolveApiKey(orm.em.fork(), plaintext, new Date(t0.getTime() + 30_000))).ok);
    assert.deepEqual((await stored()).lastUsedAt, t0, 'not rewritten within the minute');

    const later = new Date(t0.getTime() + 61_000);
    assert.ok((await resolveApiKey(orm.em.fork(), plaintext, later)).ok);
    assert.deepEqual((await stored()).lastUsedAt, later);
  });

  it('refuses a wrong secret behind a real prefix, an unknown prefix, and garbage', async () => {
    const { plaintext } = await createApiKey(orm.em.fork(), owner, { name: 'probe' });
    const wrongSecret = `${plaintext.slice(0, 12)}${'A'.repeat(43)}`;
    assert.deepEqual(await resolveApiKey(orm.em.fork(), wrongSecret), { ok: false, reason: 'unknown' });
    assert.deepEqual(await resolveApiKey(orm.em.fork(), `mr_zzzzzzzz_${'A'.repeat(43)}`), { ok: false, reason: 'unknown' });
    assert.deepEqual(await resolveApiKey(orm.em.fork(), 'mr_short'), { ok: false, reason: 'malformed' });
    assert.deepEqual(await resolveApiKey(orm.em.fork(), `${plaintext} `), { ok: false, reason: 'malformed' });
  });

  it('refuses a revoked key; only its owner (or an admin, without ownerId) may revoke it', async () => {
    const { plaintext, apiKey } = await createApiKey(orm.em.fork(), owner, { name: 'to revoke' });
    assert.equal(await revokeApiKey(orm.em.fork(), apiKey.id, { ownerId: stranger.id }), null);
    assert.ok((await resolveApiKey(orm.em.fork(), plaintext)).ok);
    const revoked = await revokeApiKey(orm.em.fork(), apiKey.id, { ownerId: owner.id });
    assert.ok(revoked?.revokedAt instanceof Date);
    assert.deepEqual(await resolveApiKey(orm.em.fork(), plaintext), { ok: false, reason: 'revoked' });
    assert.equal(await revokeApiKey(orm.em.fork(), 'not-a-uuid'), null);
  });

  it('refuses an expired key', async () => {
    const expiresAt = new Date('2026-12-01T00:00:00Z');
    const { plaintext } = await createApiKey(orm.em.fork(), owner, { name: 'temporary', expiresAt });
    assert.ok((await resolveApiKey(orm.em.fork(), plaintext, new Date('2026-11-30T23:59:59Z'))).ok);
    assert.deepEqual(await resolveApiKey(orm.em.fork(), plaintext, expiresAt), { ok: false, reason: 'expired' });
  });

  it('lists a user\'s keys by prefix, newest first, without secrets', async () => {
    const { apiKey } = await createApiKey(orm.em.fork(), stranger, { name: 'only one' });
    const list = await listApiKeys(orm.em.fork(), stranger.id);
    assert.deepEqual(list.map((k) => [k.id, k.name, k.prefix]), [[apiKey.id, 'only one', apiKey.prefix]]);
    assert.deepEqual(Object.keys(list[0]!).sort(), ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt']);
    const mine = await listApiKeys(orm.em.fork(), owner.id);
    assert.ok(mine.length >= 4);
    assert.ok(mine.some((k) => k.revokedAt !== null), 'revoked keys stay listed');
  });

  it('requires a name', async () => {
    await assert.rejects(createApiKey(orm.em.fork(), owner, { name: '  ' }), RangeError);
  });
});
