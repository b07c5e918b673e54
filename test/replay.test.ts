// Replay guard: every recorded history in test/fixtures/histories/ (real meetings, recorded by
// scripts/record-histories.ts on a real Temporal dev server) is replayed against the current workflow code.
// A change that would break workflows already running in production (an activity, timer or child added,
// removed or reordered without versioning) fails here, without any server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';

const fixturesDir = path.join(import.meta.dirname, 'fixtures', 'histories');
// The workflow code the worker runs (worker.ts's workflowsPath). Not imported from worker.ts: replay needs
// only workflow code, and should not depend on the activities loading.
const workflowsPath = path.join(import.meta.dirname, '..', 'workflows', 'index.ts');

// Keep the SDK's own logs to warnings (a nondeterminism error is reported through the results below).
Runtime.install({ logger: new DefaultLogger('WARN') });

async function loadFixtures(): Promise<HistoryAndWorkflowId[]> {
  const files = (await readdir(fixturesDir)).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(files.map(async (file) => ({
    // Histories carry no workflow id; the file name stands in (the workflows do not read their id).
    workflowId: path.basename(file, '.json'),
    history: historyFromJSON(JSON.parse(await readFile(path.join(fixturesDir, file), 'utf8'))),
  })));
}

describe('workflow replay (recorded histories against the current code)', () => {
  it('replays every recorded history without nondeterminism', { timeout: 120_000 }, async () => {
    const fixtures = await loadFixtures();
    const names = fixtures.map((f) => f.workflowId);
    // The scenarios scripts/record-histories.ts records; a missing one means the guard silently shrank.
    for (const expected of ['meeting-automatic-stop-restart', 'meeting-ended-by-api', 'meeting-reconciled', 'meeting-automatic-2nd-participant', 'recording-raw-tracks']) {
      assert.ok(names.includes(expected), `fixture ${expected}.json is missing (run node scripts/record-histories.ts)`);
    }
    // Bundled once for all histories, as the worker bundles it.
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'replay-guard' }, fixtures)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    assert.equal(replayed, fixtures.length, 'every history was replayed');
    assert.deepEqual(failures, [], `replay failed:\n${failures.join('\n')}`);
  });
});
