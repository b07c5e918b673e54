// The first start of a self-hosted install creates one admin, once, on a real PGlite database.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { MikroORM } from '@mikro-orm/pglite';
import { authEntities, User } from '../auth/entities.ts';
import { ensureFirstAdmin } from '../auth/bootstrap.ts';
import { PasswordPolicyError } from '../auth/passwords.ts';
import { authenticatePassword } from '../auth/users.ts';

async function openAuthDatabase(): Promise<MikroORM> {
  const orm = await MikroORM.init({ entities: authEntities, debug: false });
  await orm.schema.create();
  return orm;
}

describe('first admin', () => {
  let orm: MikroORM;
  beforeEach(async () => {
    orm = await openAuthDatabase();
  });
  afterEach(() => orm?.close());

  it('is created once with a generated password that is returned once and works', async () => {
    const first = await ensureFirstAdmin(orm.em.fork(), { email: 'Admin@Example.com' });
    assert.equal(first.created, true);
    assert.ok(first.created && first.generatedPassword);
    const password = first.generatedPassword;
    assert.match(password, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(first.user.role, 'admin');
    assert.equal(first.user.email, 'admin@example.com');
    assert.notEqual(first.user.passwordHash, password);

    assert.deepEqual(await ensureFirstAdmin(orm.em.fork(), { email: 'admin@example.com' }), { created: false });
    assert.deepEqual(await ensureFirstAdmin(orm.em.fork(), { email: 'someone-else@example.com', password: 'another-good-password' }), { created: false });
    assert.equal(await orm.em.fork().count(User, {}), 1);

    const signedIn = await authenticatePassword(orm.em.fork(), 'admin@example.com', password);
    assert.equal(signedIn?.id, first.user.id);
  });

  it('uses a password from the environment, and nothing is printed', async () => {
    const result = await ensureFirstAdmin(orm.em.fork(), { email: 'ops@example.com', password: 'set-by-the-operator-42' });
    assert.ok(result.created);
    assert.equal(result.generatedPassword, null);
    assert.ok(await authenticatePassword(orm.em.fork(), 'ops@example.com', 'set-by-the-operator-42'));
  });

  it('refuses a weak password from the environment and creates nothing', async () => {
    await assert.rejects(ensureFirstAdmin(orm.em.fork(), { email: 'ops@example.com', password: 'admin' }), PasswordPolicyError);
    assert.equal(await orm.em.fork().count(User, {}), 0);
  });

  it('creates one admin when two processes start at once', async () => {
    const results = await Promise.all([
      ensureFirstAdmin(orm.em.fork(), { email: 'admin@example.com' }),
      ensureFirstAdmin(orm.em.fork(), { email: 'admin@example.com' }),
    ]);
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(await orm.em.fork().count(User, {}), 1);
  });
});
