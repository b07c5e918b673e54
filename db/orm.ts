// Opens the database: PGlite in-process (embedded default) or PostgreSQL through pg, with the same
// entities and migrations, which run automatically at start.
import { MikroORM as PgMikroORM } from '@mikro-orm/postgresql';
import { MikroORM as PgliteMikroORM } from '@mikro-orm/pglite';
import { Migrator } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/sql';
import type { MikroORM, Options } from '@mikro-orm/core';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import pg from 'pg';
import { entities } from './entities.ts';
import { migrationsList } from './migrations/index.ts';
import type { Config } from '../runtime/config.ts';

export type Database = MikroORM & { em: EntityManager };

export function ormOptions(database: Config['database']): Partial<Options> {
  const common: Partial<Options> = {
    entities,
    extensions: [Migrator],
    migrations: {
      path: path.join(import.meta.dirname, 'migrations'),
      snapshotName: 'schema-snapshot',
      migrationsList,
      transactional: true,
      allOrNothing: true,
      silent: true,
    },
    debug: false,
  };
  return database.kind === 'pglite'
    ? { ...common, dbName: database.dataDir }
    : { ...common, clientUrl: database.url, pool: { max: database.poolMax } };
}

export async function openDatabase(database: Config['database'], options: { migrate?: boolean } = {}): Promise<Database> {
  let orm: MikroORM;
  if (database.kind === 'pglite') {
    await mkdir(database.dataDir, { recursive: true });
    orm = await PgliteMikroORM.init(ormOptions(database));
  } else {
    orm = await PgMikroORM.init(ormOptions(database));
  }
  if (options.migrate !== false) {
    if (database.kind === 'postgresql') await withMigrationLock(database.url, () => orm.migrator.up());
    else await orm.migrator.up();
  }
  return orm as Database;
}

export async function checkDatabase(db: Database): Promise<void> {
  await db.em.getConnection().execute('select 1');
}

/** Arbitrary constant naming our migration lock. */
const MIGRATION_LOCK_KEY = 727_001;

/**
 * Several processes (API replicas, workers) may start at once against one PostgreSQL: a session advisory
 * lock lets exactly one run pending migrations while the others wait, then find nothing left to do.
 */
async function withMigrationLock<T>(url: string, run: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await run();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
