// The test command: starts one real Temporal dev server, one PostgreSQL cluster and one S3-compatible
// server, hands their addresses to the test files (each file then makes its own namespace, database and
// bucket, so files run in parallel), runs every test/**/*.test.ts with node's test runner, and stops them.
// Usage: node scripts/test.ts [test files…]
import { spawn } from 'node:child_process';
import { mkdtemp, glob } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTemporalDevServer, startPostgres, type RunningServer } from '../test/support/servers.ts';
import { startS3Server } from '../test/support/s3-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const files = process.argv.slice(2).length ? process.argv.slice(2) : (await Array.fromAsync(glob('test/**/*.test.ts', { cwd: root }))).sort();
const servers: RunningServer[] = [];

async function main(): Promise<number> {
  const started = performance.now();
  const [temporal, postgres, s3] = await Promise.all([
    startTemporalDevServer(),
    startPostgres(),
    startS3Server(await mkdtemp(path.join(os.tmpdir(), 's3-'))),
  ]);
  servers.push(temporal, postgres, s3);
  console.log(`test servers up in ${((performance.now() - started) / 1000).toFixed(1)} s: Temporal ${temporal.address}, PostgreSQL, S3 ${s3.endpoint}`);

  const env = {
    ...process.env,
    TEST_TEMPORAL_ADDRESS: temporal.address,
    TEST_DATABASE_URL: postgres.url,
    TEST_S3_ENDPOINT: s3.endpoint,
    TEST_S3_ACCESS_KEY_ID: s3.accessKeyId,
    TEST_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    TEST_S3_REGION: s3.region,
  };
  const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(2, os.availableParallelism()));
  const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { cwd: root, env, stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

let code = 1;
try {
  code = await main();
} finally {
  await Promise.allSettled(servers.map((server) => server.stop()));
}
process.exit(code);
