// Migrations: up on an empty database with both drivers, and the committed schema matches the entities.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../db/orm.ts';
import { testDatabase } from './support/product.ts';

for (const kind of ['pglite', 'postgresql'] as const) {
  describe(`migrations (${kind})`, () => {
    it('run up on an empty database, leave nothing pending, and match the entities', async () => {
      const db = await openDatabase(await testDatabase(kind, `mig-${kind}`));
      try {
        assert.deepEqual(await db.migrator.getPending(), []);
        const executed = await db.migrator.getExecuted();
        assert.ok(executed.length >= 1);
        const drift = await db.schema.getUpdateSchemaSQL({ wrap: false });
        assert.equal(drift.trim(), '', `entities and migrations differ:\n${drift}`);
        const tables: Array<{ table_name: string }> = await db.em.getConnection().execute(`select table_name from information_schema.tables where table_schema = 'public' order by 1`);
        for (const table of ['room', 'meeting', 'recording', 'transcript', 'participant_session', 'webhook_event', 'meeting_consent', 'recording_access_log']) {
          assert.ok(tables.some((t) => t.table_name === table), `table ${table} exists`);
        }
        // Running again is a no-op.
        assert.deepEqual(await db.migrator.up(), []);
      } finally {
        await db.close();
      }
    });
  });
}

describe('migrations under concurrent starts (postgresql)', () => {
  it('run once when several processes start together on an empty database', async () => {
    const database = await testDatabase('postgresql', 'mig-concurrent');
    const dbs = await Promise.all(Array.from({ length: 4 }, () => openDatabase(database)));
    try {
      const rows: Array<{ n: string }> = await dbs[0]!.em.getConnection().execute('select count(*) as n from mikro_orm_migrations');
      assert.equal(Number(rows[0]!.n), (await dbs[0]!.migrator.getExecuted()).length);
      assert.deepEqual(await dbs[0]!.migrator.getPending(), []);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});
