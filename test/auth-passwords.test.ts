// Password hashing (real scrypt), the policy, and password sign-in against a real PGlite database.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MikroORM } from '@mikro-orm/pglite';
import { authEntities, User } from '../auth/entities.ts';
import { checkPasswordPolicy, hashPassword, needsRehash, verifyPassword, PasswordPolicyError } from '../auth/passwords.ts';
import { authenticatePassword, createLocalUser } from '../auth/users.ts';

async function openAuthDatabase(): Promise<MikroORM> {
  const orm = await MikroORM.init({ entities: authEntities, debug: false });
  await orm.schema.create();
  return orm;
}

describe('password hashing', () => {
  let hash: string;
  before(async () => {
    hash = await hashPassword('correct horse battery staple');
  });

  it('stores scrypt parameters, salt and key in one string, and verifies the right password', async () => {
    assert.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword('correct horse battery staple', hash), true);
    assert.equal(needsRehash(hash), false);
  });

  it('refuses a wrong password', async () => {
    assert.equal(await verifyPassword('correct horse battery stapler', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('salts every hash: the same password never hashes the same twice', async () => {
    assert.notEqual(await hashPassword('correct horse battery staple'), hash);
  });

  it('treats a tampered or malformed hash as a mismatch, not a crash', async () => {
    const parts = hash.split('$');
    const key = Buffer.from(parts[4]!, 'base64');
    key[0] = key[0]! ^ 1;
    const flippedKey = [...parts.slice(0, 4), key.toString('base64').replace(/=+$/, '')].join('$');
    const otherSalt = [...parts.slice(0, 3), Buffer.alloc(16, 7).toString('base64').replace(/=+$/, ''), parts[4]].join('$');
    const weakerCost = hash.replace('ln=15', 'ln=14');
    const absurdCost = hash.replace('ln=15', 'ln=40');
    for (const tampered of [flippedKey, otherSalt, weakerCost, absurdCost, hash.slice(0, -4), `${hash}==`, 'plaintext', '']) {
      assert.equal(await verifyPassword('correct horse battery staple', tampered), false, tampered);
    }
  });

  it('asks for a re-hash when the parameters change', async () => {
    const cheap = await hashPassword('correct horse battery staple', { logN: 10, r: 8, p: 1 });
    assert.equal(await verifyPassword('correct horse battery staple', cheap), true);
    assert.equal(needsRehash(cheap), true);
  });

  it('hashes canonically equivalent Unicode spellings alike', async () => {
    const composed = 'caf\u00e9-au-lait-2024';
    const decomposed = 'cafe\u0301-au-lait-2024';
    assert.equal(await verifyPassword(decomposed, await hashPassword(composed)), true);
  });
});

describe('password policy', () => {
  it('accepts 12 characters or more with some variety', () => {
    assert.deepEqual(checkPasswordPolicy('abcdefghijkl'), { ok: true });
    assert.deepEqual(checkPasswordPolicy('a'.repeat(11) + 'b'), { ok: true });
  });

  it('explains a short password', () => {
    const result = checkPasswordPolicy('short');
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems, ['Use at least 12 characters (this one has 5).']);
  });

  it('refuses one character repeated, however long', () => {
    const result = checkPasswordPolicy('x'.repeat(40));
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.problems.join(' ') : '', /more than one distinct character/);
  });

  it('counts characters, not UTF-16 units', () => {
    assert.equal(checkPasswordPolicy('🔑🔒🔑🔒🔑🔒').ok, false);
  });

  it('reports every problem at once', () => {
    const result = checkPasswordPolicy('zzz');
    assert.equal(!result.ok && result.problems.length, 2);
  });
});

describe('password sign-in', () => {
  let orm: MikroORM;
  before(async () => {
    orm = await openAuthDatabase();
  });
  after(() => orm?.close());

  it('creates an account with a lower-cased email and signs in with any casing', async () => {
    const user = await createLocalUser(orm.em.fork(), { email: '  Ada@Example.COM ', password: 'analytical-engine-1843' });
    assert.equal(user.email, 'ada@example.com');
    assert.equal(user.displayName, 'ada');
    const em = orm.em.fork();
    const signedIn = await authenticatePassword(em, 'ADA@example.com', 'analytical-engine-1843');
    assert.equal(signedIn?.id, user.id);
    assert.ok(signedIn?.lastLoginAt instanceof Date);
    const stored = await orm.em.fork().findOneOrFail(User, { id: user.id });
    assert.ok(stored.passwordHash?.startsWith('$scrypt$'));
    assert.ok(!JSON.stringify(stored).includes('scrypt'), 'the hash is hidden from serialization');
  });

  it('says null alike for a wrong password and an unknown email', async () => {
    assert.equal(await authenticatePassword(orm.em.fork(), 'ada@example.com', 'difference-engine-1822'), null);
    assert.equal(await authenticatePassword(orm.em.fork(), 'nobody@example.com', 'analytical-engine-1843'), null);
  });

  it('refuses a weak password and a duplicate email', async () => {
    await assert.rejects(createLocalUser(orm.em.fork(), { email: 'bob@example.com', password: 'bob' }), PasswordPolicyError);
    await assert.rejects(createLocalUser(orm.em.fork(), { email: 'ADA@example.com', password: 'another-good-password' }), { name: 'UniqueConstraintViolationException' });
  });

  it('keeps emails lower-cased even for raw writes', async () => {
    await assert.rejects(orm.em.fork().getConnection().execute(`insert into app_user (id, email, display_name, role, created_at) values (gen_random_uuid(), 'Mixed@Case.test', 'x', 'user', now())`), /app_user_email_lower_case/);
  });
});
