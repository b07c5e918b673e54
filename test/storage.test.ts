// One contract for every ObjectStorage: the local folder (served by a real Koa app) and S3 (real versitygw).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Koa from 'koa';
import {
  createSignedObjectHandler,
  InvalidObjectKeyError,
  LocalFolderStorage,
  STORAGE_ROUTE_PREFIX,
} from '../storage/local-folder.ts';
import { ObjectNotFoundError, RangeNotSatisfiableError, type ObjectStorage } from '../storage/object-storage.ts';
import { freshBucket, s3ServerFromEnv } from './support/s3-server.ts';

interface Harness {
  storage: ObjectStorage;
  /** The query parameter that carries the URL signature. */
  signatureParam: string;
  tearDown(): Promise<void>;
}

interface LocalHarness extends Harness {
  storage: LocalFolderStorage;
  rootDir: string;
}

async function startLocal(): Promise<LocalHarness> {
  const rootDir = await mkdtemp(path.join(tmpdir(), 'storage-test-'));
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const storage = new LocalFolderStorage({
    rootDir,
    publicBaseUrl: `http://127.0.0.1:${port}`,
    signingSecret: randomBytes(32).toString('hex'),
  });
  const app = new Koa();
  const serveSigned = createSignedObjectHandler(storage);
  app.use(async (ctx, next) => (ctx.path.startsWith(STORAGE_ROUTE_PREFIX) ? serveSigned(ctx) : next()));
  server.on('request', app.callback());
  return {
    storage,
    rootDir,
    signatureParam: 'sig',
    tearDown: async () => {
      server.closeAllConnections();
      server.close();
      await rm(rootDir, { recursive: true, force: true });
    },
  };
}

async function startS3(): Promise<Harness> {
  const server = await s3ServerFromEnv();
  // Named after this file, suffixed so test files can share one server in parallel.
  const storage = await freshBucket(server, 'storage-test');
  return {
    storage,
    signatureParam: 'X-Amz-Signature',
    tearDown: async () => {
      storage.destroy();
      await server.stop();
    },
  };
}

async function text(read: Promise<{ body: Readable }>): Promise<string> {
  return Buffer.concat(await (await read).body.toArray()).toString();
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function keys(iterable: AsyncIterable<{ key: string }>): Promise<string[]> {
  return (await collect(iterable)).map((object) => object.key);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function objectStorageContract(name: string, start: () => Promise<Harness>): void {
  describe(`ObjectStorage contract: ${name}`, () => {
    let harness: Harness;
    let storage: ObjectStorage;
    before(async () => {
      harness = await start();
      storage = harness.storage;
    });
    after(() => harness.tearDown());

    it('round-trips a Buffer, a string and a stream', async () => {
      const bytes = randomBytes(1000);
      await storage.put('round-trip/buffer.bin', bytes);
      await storage.put('round-trip/string.txt', 'héllo wörld');
      await storage.put('round-trip/stream.bin', Readable.from([bytes.subarray(0, 400), bytes.subarray(400)]));
      await storage.put('round-trip/sized-stream.bin', Readable.from([bytes]), { size: bytes.length });

      assert.deepEqual(Buffer.concat(await (await storage.get('round-trip/buffer.bin')).body.toArray()), bytes);
      assert.equal(await text(storage.get('round-trip/string.txt')), 'héllo wörld');
      assert.deepEqual(Buffer.concat(await (await storage.get('round-trip/stream.bin')).body.toArray()), bytes);
      assert.deepEqual(Buffer.concat(await (await storage.get('round-trip/sized-stream.bin')).body.toArray()), bytes);
    });

    it('overwrites an object in place', async () => {
      await storage.put('overwrite/a.txt', 'first version');
      await storage.put('overwrite/a.txt', 'second');
      assert.equal(await text(storage.get('overwrite/a.txt')), 'second');
    });

    it('keeps the content type', async () => {
      await storage.put('typed/track.webm', Buffer.from('webm'), { contentType: 'audio/webm' });
      assert.equal((await storage.head('typed/track.webm'))?.contentType, 'audio/webm');
      const read = await storage.get('typed/track.webm');
      read.body.resume();
      assert.equal(read.contentType, 'audio/webm');
    });

    it('reads byte ranges, clamping the end and refusing a start past the end', async () => {
      await storage.put('range/digits.txt', '0123456789');
      const middle = await storage.get('range/digits.txt', { start: 2, end: 5 });
      assert.equal(Buffer.concat(await middle.body.toArray()).toString(), '2345');
      assert.deepEqual(middle.range, { start: 2, end: 5, total: 10 });
      assert.equal(middle.size, 10);

      const tail = await storage.get('range/digits.txt', { start: 7 });
      assert.equal(Buffer.concat(await tail.body.toArray()).toString(), '789');
      assert.deepEqual(tail.range, { start: 7, end: 9, total: 10 });

      const clamped = await storage.get('range/digits.txt', { start: 8, end: 100 });
      assert.equal(Buffer.concat(await clamped.body.toArray()).toString(), '89');
      assert.deepEqual(clamped.range, { start: 8, end: 9, total: 10 });

      await assert.rejects(storage.get('range/digits.txt', { start: 10 }), RangeNotSatisfiableError);
      await assert.rejects(storage.get('range/digits.txt', { start: 5, end: 2 }), RangeError);
    });

    it('heads an object, and reports a missing one as null', async () => {
      const before = Date.now();
      await storage.put('head/a.txt', 'abc');
      const info = await storage.head('head/a.txt');
      assert.equal(info?.key, 'head/a.txt');
      assert.equal(info?.size, 3);
      // Some servers keep whole seconds only.
      assert.ok(info.lastModified.getTime() >= Math.floor(before / 1000) * 1000 - 1000);
      assert.equal(await storage.head('head/missing.txt'), null);
      await assert.rejects(storage.get('head/missing.txt'), ObjectNotFoundError);
    });

    it('deletes an object, and deleting a missing key is fine', async () => {
      await storage.put('delete/a.txt', 'abc');
      await storage.delete('delete/a.txt');
      assert.equal(await storage.head('delete/a.txt'), null);
      await storage.delete('delete/a.txt');
      await storage.delete('delete/never-was/here.txt');
    });

    it('lists by prefix, nested keys included, in key order', async () => {
      for (const key of ['list/b/d/e.txt', 'list/a.txt', 'list/b/c.txt', 'list-other.txt', 'listing/x.txt']) {
        await storage.put(key, key);
      }
      assert.deepEqual(await keys(storage.list('list/')), ['list/a.txt', 'list/b/c.txt', 'list/b/d/e.txt']);
      assert.deepEqual(await keys(storage.list('list/b')), ['list/b/c.txt', 'list/b/d/e.txt']);
      assert.deepEqual(await keys(storage.list('list')), [
        'list-other.txt', 'list/a.txt', 'list/b/c.txt', 'list/b/d/e.txt', 'listing/x.txt',
      ]);
      assert.deepEqual(await keys(storage.list('nothing-here/')), []);
      const [first] = await collect(storage.list('list/a'));
      assert.equal(first?.size, 'list/a.txt'.length);
    });

    it('serves a signed GET URL to plain fetch, ranges included', async () => {
      await storage.put('signed/get.txt', '0123456789', { contentType: 'text/plain' });
      const url = await storage.signedGetUrl('signed/get.txt', { expiresInSeconds: 60, downloadName: 'réunion 1.txt' });

      const whole = await fetch(url);
      assert.equal(whole.status, 200);
      assert.equal(await whole.text(), '0123456789');
      assert.equal(whole.headers.get('content-type'), 'text/plain');
      assert.match(whole.headers.get('content-disposition') ?? '', /^attachment; .*filename\*=UTF-8''r%C3%A9union%201\.txt/);

      const part = await fetch(url, { headers: { Range: 'bytes=2-4' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), 'bytes 2-4/10');
      assert.equal(part.headers.get('accept-ranges'), 'bytes');
      assert.equal(await part.text(), '234');

      const beyond = await fetch(url, { headers: { Range: 'bytes=50-' } });
      assert.equal(beyond.status, 416);
      await beyond.body?.cancel();
    });

    it('accepts an upload to a signed PUT URL', async () => {
      const url = await storage.signedPutUrl('signed/put.csv', { expiresInSeconds: 60, contentType: 'text/csv' });
      const response = await fetch(url, { method: 'PUT', body: 'a,b\n1,2\n', headers: { 'Content-Type': 'text/csv' } });
      assert.equal(response.status, 200, await response.text());
      assert.equal(await text(storage.get('signed/put.csv')), 'a,b\n1,2\n');
      assert.equal((await storage.head('signed/put.csv'))?.contentType, 'text/csv');
    });

    it('refuses an expired signed URL', async () => {
      await storage.put('signed/expiring.txt', 'soon gone');
      const url = await storage.signedGetUrl('signed/expiring.txt', { expiresInSeconds: 1 });
      await sleep(2_100);
      const response = await fetch(url);
      assert.equal(response.status, 403);
      if (storage.kind === 'local') assert.equal((await response.json()).error.code, 'signature_expired');
      else await response.body?.cancel();
    });

    it('refuses a tampered signature, and a signature for another key', async () => {
      await storage.put('signed/guarded.txt', 'secret');
      await storage.put('signed/other.txt', 'other');
      const url = new URL(await storage.signedGetUrl('signed/guarded.txt', { expiresInSeconds: 60 }));
      const signature = url.searchParams.get(harness.signatureParam) ?? '';
      url.searchParams.set(harness.signatureParam, `${signature.slice(0, -1)}${signature.endsWith('a') ? 'b' : 'a'}`);
      const tampered = await fetch(url);
      assert.equal(tampered.status, 403);
      if (storage.kind === 'local') assert.equal((await tampered.json()).error.code, 'bad_signature');
      else await tampered.body?.cancel();

      const otherKey = new URL(await storage.signedGetUrl('signed/guarded.txt', { expiresInSeconds: 60 }));
      otherKey.pathname = otherKey.pathname.replace('guarded.txt', 'other.txt');
      const redirected = await fetch(otherKey);
      assert.equal(redirected.status, 403);
      await redirected.body?.cancel();
    });
  });
}

objectStorageContract('LocalFolderStorage', startLocal);
objectStorageContract('S3Storage on versitygw', startS3);

describe('LocalFolderStorage only', () => {
  let harness: LocalHarness;
  let storage: LocalFolderStorage;
  before(async () => {
    harness = await startLocal();
    storage = harness.storage;
  });
  after(() => harness.tearDown());

  it('refuses keys that would escape the root', async () => {
    for (const key of ['', '../outside.txt', 'a/../../outside.txt', '/etc/passwd', 'a//b', 'a/./b', 'trailing/', 'back\\slash']) {
      await assert.rejects(storage.put(key, 'x'), InvalidObjectKeyError, `put ${JSON.stringify(key)}`);
      await assert.rejects(storage.get(key), InvalidObjectKeyError);
      await assert.rejects(storage.head(key), InvalidObjectKeyError);
      await assert.rejects(storage.signedGetUrl(key, { expiresInSeconds: 60 }), InvalidObjectKeyError);
    }
    assert.deepEqual(await keys(storage.list('../')), []);
    assert.deepEqual((await readdir(path.dirname(harness.rootDir))).filter((name) => name === 'outside.txt'), []);
  });

  it('answers a missing object with a JSON 404', async () => {
    const url = await storage.signedGetUrl('missing/object.bin', { expiresInSeconds: 60 });
    const response = await fetch(url);
    assert.equal(response.status, 404);
    assert.equal((await response.json()).error.code, 'not_found');
  });

  it('answers HEAD with the headers and no body', async () => {
    await storage.put('http/head.bin', Buffer.alloc(42), { contentType: 'video/mp4' });
    const response = await fetch(await storage.signedGetUrl('http/head.bin', { expiresInSeconds: 60 }), { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), '42');
    assert.equal(response.headers.get('content-type'), 'video/mp4');
  });

  it('refuses a signed PUT sent with another content type than signed', async () => {
    const url = await storage.signedPutUrl('http/typed.csv', { expiresInSeconds: 60, contentType: 'text/csv' });
    const response = await fetch(url, { method: 'PUT', body: '<html>', headers: { 'Content-Type': 'text/html' } });
    assert.equal(response.status, 403);
    assert.equal(await storage.head('http/typed.csv'), null);
    await response.body?.cancel();
  });

  it('leaves no partial object when the source stream fails', async () => {
    const failingSource = () => Readable.from((async function* () {
      yield Buffer.from('half of a recording');
      throw new Error('source broke');
    })());
    await storage.put('atomic/existing.bin', 'intact', { contentType: 'text/plain' });
    await assert.rejects(storage.put('atomic/existing.bin', failingSource(), { contentType: 'video/webm' }), /source broke/);
    await assert.rejects(storage.put('atomic/new.bin', failingSource()), /source broke/);

    assert.equal(await text(storage.get('atomic/existing.bin')), 'intact');
    assert.equal((await storage.head('atomic/existing.bin'))?.contentType, 'text/plain');
    assert.equal(await storage.head('atomic/new.bin'), null);
    assert.deepEqual(await readdir(path.join(harness.rootDir, 'tmp')), []);
  });

  it('prunes folders emptied by delete', async () => {
    await storage.put('prune/deep/er/file.txt', 'x');
    await storage.delete('prune/deep/er/file.txt');
    assert.deepEqual(await readdir(path.join(harness.rootDir, 'objects')).then((names) => names.filter((name) => name === 'prune')), []);
    await storage.put('prune', 'a file where a folder was');
    assert.equal(await text(storage.get('prune')), 'a file where a folder was');
  });
});
