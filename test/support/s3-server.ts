// A real S3 server for tests: versitygw over a temp folder (it validates signatures and presigned expiry).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Storage } from '../../storage/s3.ts';
import { goTool } from './go-tools.ts';

export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const STARTUP_TIMEOUT_MS = 15_000;

/** Starts versitygw on 127.0.0.1 and a free port, keeping data and metadata under `dir`. */
export async function startS3Server(dir: string): Promise<S3TestServer> {
  const dataDir = path.join(dir, 'data');
  const metaDir = path.join(dir, 'meta');
  await mkdir(dataDir, { recursive: true });
  await mkdir(metaDir, { recursive: true });
  const port = await freePort();
  const accessKeyId = `test${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');

  // --sidecar keeps object metadata in files, so the data folder needs no extended attributes.
  const child = spawn(versitygwBinary(), ['--port', `127.0.0.1:${port}`, '--quiet', 'posix', '--sidecar', metaDir, dataDir], {
    env: { ...process.env, ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killLater = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killLater);
  };

  try {
    await Promise.race([
      waitUntilAnswering(endpoint),
      spawnFailed,
      exited.then((code) => { throw new Error(`versitygw exited with ${code} before answering:\n${stderr}`); }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, accessKeyId, secretAccessKey, region: REGION, stop };
}

/**
 * The shared server the test runner started (TEST_S3_ENDPOINT, TEST_S3_ACCESS_KEY_ID,
 * TEST_S3_SECRET_ACCESS_KEY), or else a private one in a temp folder that `stop()` removes.
 */
export async function s3ServerFromEnv(): Promise<S3TestServer> {
  const { TEST_S3_ENDPOINT, TEST_S3_ACCESS_KEY_ID, TEST_S3_SECRET_ACCESS_KEY, TEST_S3_REGION } = process.env;
  if (TEST_S3_ENDPOINT && TEST_S3_ACCESS_KEY_ID && TEST_S3_SECRET_ACCESS_KEY) {
    return {
      endpoint: TEST_S3_ENDPOINT,
      accessKeyId: TEST_S3_ACCESS_KEY_ID,
      secretAccessKey: TEST_S3_SECRET_ACCESS_KEY,
      region: TEST_S3_REGION ?? REGION,
      stop: async () => {}, // shared: its owner stops it
    };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 's3-server-'));
  const server = await startS3Server(dir);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A new bucket, `<prefix>-<random>`, on the server: test files sharing one server do not meet. */
export async function freshBucket(server: S3TestServer, prefix: string): Promise<S3Storage> {
  const storage = new S3Storage({
    bucket: `${prefix}-${randomBytes(4).toString('hex')}`,
    region: server.region,
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
  await storage.ensureBucket();
  return storage;
}

const versitygwBinary = () => goTool('versitygw', 'github.com/versity/versitygw/cmd/versitygw@v1.7.0');

/** Asks the OS for a free port; versitygw cannot report the port it picked for `:0`. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** Any HTTP answer (an unauthenticated request gets 403) means the gateway is up. */
async function waitUntilAnswering(endpoint: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`versitygw did not answer at ${endpoint} within ${STARTUP_TIMEOUT_MS} ms`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
