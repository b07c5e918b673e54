// `npm run search:reindex [-- --all]`: puts into the search index the ended transcripts that are not in it
// (made before the index existed, or whose indexing was interrupted); with --all, rewrites every ended
// transcript's passages (after a change to what is indexed). Each transcript is replaced in one transaction,
// so searches go on meanwhile and a second run finds nothing left to do.
import { parseArgs } from 'node:util';
import { loadConfig } from '../runtime/config.ts';
import { openServices } from '../runtime/services.ts';
import { indexTranscript } from '../transcripts/search-index.ts';

const { values } = parseArgs({ options: { all: { type: 'boolean' } } });
const services = await openServices(await loadConfig());
try {
  const em = services.db.em.fork();
  const rows: Array<{ id: string }> = await em.getConnection().execute(
    `select t.id from transcript t join recording r on r.id = t.recording_id
     where t.status = 'ended' and r.deletion_requested_at is null
       ${values.all ? '' : 'and not exists (select 1 from transcript_passage p where p.transcript_id = t.id)'}
     order by r.recorded_at`,
  );
  let passages = 0;
  let failed = 0;
  for (const [i, { id }] of rows.entries()) {
    try {
      passages += await indexTranscript(em.fork(), services.storage, id);
    } catch (error) {
      failed++;
      console.error(`transcript ${id}: ${(error as Error).message}`);
    }
    if ((i + 1) % 100 === 0) console.log(`${i + 1} of ${rows.length} transcripts`);
  }
  console.log(`indexed ${rows.length - failed} transcripts (${passages} passages)${failed ? `; ${failed} failed (above)` : ''}`);
  if (failed) process.exitCode = 1;
} finally {
  await services.close();
}
