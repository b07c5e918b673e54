// The test command: starts one real Temporal dev server, one PostgreSQL cluster, one S3-compatible server and
// one whisper speech server (test/support/speech.ts), hands their addresses to the test files (each file then makes its own namespace, database and
// bucket, so files run in parallel), runs every test/**/*.test.ts with node's test runner, and stops them.
// Usage: node scripts/test.ts [test files…]
import { spawn } from 'node:child_process';
import { mkdtemp, glob } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTemporalDevServer, startPostgres, type RunningServer } from '../test/support/servers.ts';
import { startS3Server } from '../test/support/s3-server.ts';
import { startSharedWhisper } from '../test/support/speech.ts';

const root = path.resolve(import.meta.dirname, '..');
const files = process.argv.slice(2).length ? process.argv.slice(2) : (await Array.fromAsync(glob('test/**/*.test.ts', { cwd: root }))).sort();
const servers: RunningServer[] = [];

async function main(): Promise<number> {
  const started = performance.now();
  const settled = await Promise.allSettled([
    startTemporalDevServer(),
    startPostgres(),
    startS3Server(await mkdtemp(path.join(os.tmpdir(), 's3-'))),
    startSharedWhisper(),
  ]);
  // Whatever did start is stopped at the end, even when another server could not start.
  for (const s of settled) if (s.status === 'fulfilled') servers.push(s.value);
  const [temporal, postgres, s3, speech] = [fulfilled(settled[0]), fulfilled(settled[1]), fulfilled(settled[2]), fulfilled(settled[3])];
  console.log(`test servers up in ${((performance.now() - started) / 1000).toFixed(1)} s: Temporal ${temporal.address}, PostgreSQL, S3 ${s3.endpoint}, whisper ${speech.url}`);

  const env = {
    ...process.env,
    TEST_TEMPORAL_ADDRESS: temporal.address,
    TEST_DATABASE_URL: postgres.url,
    TEST_S3_ENDPOINT: s3.endpoint,
    TEST_S3_ACCESS_KEY_ID: s3.accessKeyId,
    TEST_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    TEST_S3_REGION: s3.region,
    TEST_SPEECH_API_URL: speech.url,
    TEST_SPEECH_API_KEY: speech.apiKey,
  };
  const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(2, os.availableParallelism()));
  const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { cwd: root, env, stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

function fulfilled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

let code = 1;
try {
  code = await main();
} finally {
  await Promise.allSettled(servers.map((server) => server.stop()));
}
process.exit(code);
