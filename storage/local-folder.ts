import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'koa';
import {
  assertValidRange,
  attachmentDisposition,
  ObjectNotFoundError,
  RangeNotSatisfiableError,
  type ByteRange,
  type ObjectRead,
  type ObjectStorage,
  type SignedUrlOptions,
  type StoredObjectInfo,
} from './object-storage.ts';

export interface LocalFolderStorageOptions {
  rootDir: string;
  /** Base URL at which this API is reachable by whoever follows a signed URL, e.g. `http://localhost:8080`. */
  publicBaseUrl: string;
  /** HMAC key for signed URLs; keep it stable across restarts or issued URLs stop working. */
  signingSecret: string;
}

/** Path under which `createSignedObjectHandler` must be mounted; signed URLs point here. */
export const STORAGE_ROUTE_PREFIX = '/v1/storage/';

export class InvalidObjectKeyError extends Error {
  readonly key: string;
  constructor(key: string, problem: string) {
    super(`invalid object key ${JSON.stringify(key)}: ${problem}`);
    this.name = 'InvalidObjectKeyError';
    this.key = key;
  }
}

export type SignedOperation = 'get' | 'put';

/** Everything a signed URL vouches for. */
export interface SignedObjectRequest {
  op: SignedOperation;
  key: string;
  /** Unix time in seconds after which the URL is refused. */
  expires: number;
  downloadName?: string;
  contentType?: string;
}

export type SignatureVerdict = 'valid' | 'bad_signature' | 'signature_expired';

/**
 * Objects live in a folder: `objects/<key>` holds the bytes, `meta/<key>.json` the content type, and `tmp/`
 * the uploads in flight (same file system, so the final rename is atomic).
 */
export class LocalFolderStorage implements ObjectStorage {
  readonly kind = 'local';
  readonly bucket = 'local';
  readonly #objectsDir: string;
  readonly #metaDir: string;
  readonly #tmpDir: string;
  readonly #publicBaseUrl: string;
  readonly #signingSecret: string;

  constructor(options: LocalFolderStorageOptions) {
    const root = path.resolve(options.rootDir);
    this.#objectsDir = path.join(root, 'objects');
    this.#metaDir = path.join(root, 'meta');
    this.#tmpDir = path.join(root, 'tmp');
    this.#publicBaseUrl = options.publicBaseUrl.replace(/\/+$/, '');
    this.#signingSecret = options.signingSecret;
  }

  async put(key: string, body: Buffer | string | Readable, options: { contentType?: string; size?: number } = {}): Promise<void> {
    const file = this.#objectPath(key);
    await this.#writeAtomically(file, body);
    await this.#writeContentType(key, options.contentType);
  }

  async get(key: string, range?: ByteRange): Promise<ObjectRead> {
    if (range) assertValidRange(range);
    // Open first and stat the handle: a concurrent put renames a new file in, but we keep reading the old one.
    const handle = await open(this.#objectPath(key), 'r').catch((error: unknown) => {
      throw isMissing(error) ? new ObjectNotFoundError(key) : error;
    });
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new ObjectNotFoundError(key);
      const info = { key, size: stats.size, lastModified: stats.mtime, contentType: await this.#readContentType(key) };
      if (!range) return { ...info, body: handle.createReadStream() };
      if (range.start >= stats.size) throw new RangeNotSatisfiableError(key);
      const end = Math.min(range.end ?? stats.size - 1, stats.size - 1);
      const body = handle.createReadStream({ start: range.start, end });
      return { ...info, body, range: { start: range.start, end, total: stats.size } };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    const stats = await stat(this.#objectPath(key)).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    });
    if (!stats?.isFile()) return null;
    return { key, size: stats.size, lastModified: stats.mtime, contentType: await this.#readContentType(key) };
  }

  async delete(key: string): Promise<void> {
    await removeFile(this.#objectPath(key));
    await removeFile(this.#metaPath(key));
    await pruneEmptyDirs(path.dirname(this.#objectPath(key)), this.#objectsDir);
    await pruneEmptyDirs(path.dirname(this.#metaPath(key)), this.#metaDir);
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    // Walk only the deepest folder the prefix names; a prefix that is not a safe path matches nothing.
    const folder = prefix.slice(0, Math.max(0, prefix.lastIndexOf('/')));
    if (folder !== '' && keyProblem(folder) !== null) return;
    const entries = await readdir(path.join(this.#objectsDir, folder), { recursive: true, withFileTypes: true })
      .catch((error: unknown) => {
        if (isMissing(error)) return [];
        throw error;
      });
    const keys = entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(this.#objectsDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
    for (const key of keys) {
      const stats = await stat(this.#objectPath(key)).catch((error: unknown) => {
        if (isMissing(error)) return null; // deleted while we walked
        throw error;
      });
      if (stats) yield { key, size: stats.size, lastModified: stats.mtime };
    }
  }

  async signedGetUrl(key: string, options: SignedUrlOptions): Promise<string> {
    return this.#signedUrl('get', key, options);
  }

  async signedPutUrl(key: string, options: SignedUrlOptions): Promise<string> {
    return this.#signedUrl('put', key, options);
  }

  async check(): Promise<void> {
    await mkdir(this.#tmpDir, { recursive: true });
    const probe = path.join(this.#tmpDir, `check-${randomUUID()}`);
    await writeFile(probe, '');
    await unlink(probe);
  }

  /** Checks a signed URL's parameters with this store's secret; the HTTP handler's only way in. */
  verifySignedRequest(request: SignedObjectRequest, signature: string): SignatureVerdict {
    return verifyStorageSignature(this.#signingSecret, request, signature);
  }

  #signedUrl(op: SignedOperation, key: string, options: SignedUrlOptions): string {
    assertSafeKey(key);
    const request: SignedObjectRequest = {
      op,
      key,
      expires: Math.floor(Date.now() / 1000) + options.expiresInSeconds,
      downloadName: options.downloadName,
      contentType: options.contentType,
    };
    const query = new URLSearchParams({ op, expires: String(request.expires) });
    if (request.downloadName !== undefined) query.set('downloadName', request.downloadName);
    if (request.contentType !== undefined) query.set('contentType', request.contentType);
    query.set('sig', storageSignature(this.#signingSecret, request));
    const encodedKey = key.split('/').map(encodeURIComponent).join('/');
    return `${this.#publicBaseUrl}${STORAGE_ROUTE_PREFIX}${encodedKey}?${query}`;
  }

  #objectPath(key: string): string {
    assertSafeKey(key);
    return path.join(this.#objectsDir, key);
  }

  #metaPath(key: string): string {
    assertSafeKey(key);
    return path.join(this.#metaDir, `${key}.json`);
  }

  async #readContentType(key: string): Promise<string | undefined> {
    const text = await readFile(this.#metaPath(key), 'utf8').catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw error;
    });
    return text === null ? undefined : (JSON.parse(text) as { contentType?: string }).contentType;
  }

  async #writeContentType(key: string, contentType: string | undefined): Promise<void> {
    if (contentType === undefined) await removeFile(this.#metaPath(key));
    else await this.#writeAtomically(this.#metaPath(key), JSON.stringify({ contentType }));
  }

  /** Writes to tmp/, flushes, then renames into place: readers see the old file or the whole new one. */
  async #writeAtomically(target: string, body: Buffer | string | Readable): Promise<void> {
    await mkdir(this.#tmpDir, { recursive: true });
    const tmp = path.join(this.#tmpDir, randomUUID());
    try {
      if (typeof body === 'string' || Buffer.isBuffer(body)) await writeFile(tmp, body, { flag: 'wx', flush: true });
      else await pipeline(body, createWriteStream(tmp, { flags: 'wx', flush: true }));
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tmp, target).catch(async (error: unknown) => {
        // A concurrent delete may have pruned the freshly made folder: make it again, once.
        if (!isMissing(error)) throw error;
        await mkdir(path.dirname(target), { recursive: true });
        await rename(tmp, target);
      });
    } catch (error) {
      await removeFile(tmp);
      throw error;
    }
  }
}

/** HMAC-SHA256 (base64url) over every field the URL vouches for; JSON keeps the fields unambiguous. */
function storageSignature(secret: string, request: SignedObjectRequest): string {
  const payload = JSON.stringify([request.op, request.key, request.expires, request.downloadName ?? null, request.contentType ?? null]);
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function verifyStorageSignature(
  secret: string,
  request: SignedObjectRequest,
  signature: string,
  now: Date = new Date(),
): SignatureVerdict {
  const expected = Buffer.from(storageSignature(secret, request));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  return now.getTime() / 1000 > request.expires ? 'signature_expired' : 'valid';
}

/**
 * Serves signed URLs for a LocalFolderStorage: GET and HEAD (with single byte ranges) and PUT.
 * Mount it for paths under STORAGE_ROUTE_PREFIX, before any body parser (PUT streams `ctx.req`).
 */
export function createSignedObjectHandler(storage: LocalFolderStorage): (ctx: Context) => Promise<void> {
  return async (ctx) => {
    const op = ctx.method === 'PUT' ? 'put' : ctx.method === 'GET' || ctx.method === 'HEAD' ? 'get' : null;
    if (op === null) {
      ctx.set('Allow', 'GET, HEAD, PUT');
      return fail(ctx, 405, 'method_not_allowed', `${ctx.method} is not supported on signed storage URLs`);
    }
    const key = keyFromPath(ctx.path);
    if (key === null) return fail(ctx, 404, 'not_found', 'no object at this path');

    const request: SignedObjectRequest = {
      op,
      key,
      expires: Number(single(ctx.query.expires)),
      downloadName: single(ctx.query.downloadName),
      contentType: single(ctx.query.contentType),
    };
    const signature = single(ctx.query.sig);
    const verdict = single(ctx.query.op) !== op || signature === undefined || !Number.isSafeInteger(request.expires)
      ? 'bad_signature'
      : storage.verifySignedRequest(request, signature);
    if (verdict === 'signature_expired') return fail(ctx, 403, verdict, 'this signed URL has expired');
    if (verdict === 'bad_signature') return fail(ctx, 403, verdict, 'the signature does not match this request');

    if (op === 'put') await receiveObject(ctx, storage, request);
    else await serveObject(ctx, storage, request);
  };
}

async function receiveObject(ctx: Context, storage: LocalFolderStorage, request: SignedObjectRequest): Promise<void> {
  const sentType = ctx.get('Content-Type') || undefined;
  // Stricter than S3 presigning (which leaves Content-Type unsigned): the signed type is the stored type.
  if (request.contentType !== undefined && sentType !== request.contentType) {
    return fail(ctx, 403, 'bad_signature', `Content-Type must be ${request.contentType}, as signed`);
  }
  await storage.put(request.key, ctx.req, { contentType: request.contentType ?? sentType });
  ctx.status = 200;
  ctx.body = '';
}

async function serveObject(ctx: Context, storage: LocalFolderStorage, request: SignedObjectRequest): Promise<void> {
  const info = await storage.head(request.key);
  if (!info) return fail(ctx, 404, 'not_found', 'no object at this path');
  ctx.set('Accept-Ranges', 'bytes');
  const range = parseRangeHeader(ctx.get('Range'), info.size);
  if (range === 'unsatisfiable') {
    ctx.set('Content-Range', `bytes */${info.size}`);
    return fail(ctx, 416, 'range_not_satisfiable', `the object has ${info.size} bytes`);
  }

  let served: Pick<ObjectRead, 'size' | 'range'> = { size: info.size, range: range && { ...range, total: info.size } };
  if (ctx.method === 'GET') {
    try {
      const object = await storage.get(request.key, range);
      ctx.body = object.body;
      served = object;
    } catch (error) {
      // The object changed between head and get.
      if (error instanceof ObjectNotFoundError) return fail(ctx, 404, 'not_found', 'no object at this path');
      if (error instanceof RangeNotSatisfiableError) return fail(ctx, 416, 'range_not_satisfiable', error.message);
      throw error;
    }
  }
  ctx.status = served.range ? 206 : 200;
  // Verbatim: ctx.type would append a charset the uploader never declared.
  ctx.set('Content-Type', request.contentType ?? info.contentType ?? 'application/octet-stream');
  ctx.length = served.range ? served.range.end - served.range.start + 1 : served.size;
  ctx.set('Last-Modified', info.lastModified.toUTCString());
  if (served.range) ctx.set('Content-Range', `bytes ${served.range.start}-${served.range.end}/${served.range.total}`);
  if (request.downloadName !== undefined) ctx.set('Content-Disposition', attachmentDisposition(request.downloadName));
}

/**
 * One `bytes=` range resolved against the object's size. Malformed and multi-range headers are ignored
 * (the whole object is served), as RFC 9110 allows.
 */
function parseRangeHeader(header: string, size: number): Required<ByteRange> | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffixLength = Number(last);
    return suffixLength === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffixLength), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

function keyFromPath(requestPath: string): string | null {
  if (!requestPath.startsWith(STORAGE_ROUTE_PREFIX)) return null;
  try {
    const key = decodeURIComponent(requestPath.slice(STORAGE_ROUTE_PREFIX.length));
    return keyProblem(key) === null ? key : null;
  } catch {
    return null; // malformed percent-encoding
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function fail(ctx: Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.body = { error: { code, message } };
}

/** Why a key cannot name a file under the root, or null when it can. */
function keyProblem(key: string): string | null {
  if (key === '') return 'it is empty';
  if (key.startsWith('/')) return 'it is absolute';
  if (/[\\\0]/.test(key)) return 'it contains a backslash or NUL';
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'it has an empty, "." or ".." segment';
  }
  return null;
}

function assertSafeKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== null) throw new InvalidObjectKeyError(key, problem);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Unlinks a file; a missing file, or a folder in its place (another key's prefix), is left alone. */
async function removeFile(file: string): Promise<void> {
  await unlink(file).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw error;
  });
}

/** Removes now-empty folders from `dir` up to (not including) `root`, so deleted prefixes leave no trace. */
async function pruneEmptyDirs(dir: string, root: string): Promise<void> {
  for (let current = dir; current.startsWith(root + path.sep); current = path.dirname(current)) {
    const removed = await rmdir(current).then(() => true, () => false);
    if (!removed) return;
  }
}
