// Developer commands for the schema: `npm run migration:create` writes the next migration from the
// difference between the entities and the committed snapshot.
import { openDatabase } from './orm.ts';
import { loadConfig } from '../runtime/config.ts';

const command = process.argv[2];
const config = await loadConfig();
const db = await openDatabase(config.database, { migrate: command !== 'create' });
try {
  if (command === 'create') {
    await db.migrator.up();
    const result = await db.migrator.create(undefined, false, process.argv.includes('--initial'));
    console.log(result.fileName ? `wrote ${result.fileName}; add it to db/migrations/index.ts` : 'schema is up to date; nothing to write');
  } else if (command === 'pending') {
    console.log(await db.migrator.getPending());
  } else {
    console.error('usage: node db/cli.ts create [--initial] | pending');
    process.exitCode = 2;
  }
} finally {
  await db.close();
}
