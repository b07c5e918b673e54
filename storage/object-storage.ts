import type { Readable } from 'node:stream';

/** A byte range, both ends inclusive, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface StoredObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  contentType?: string;
}

export interface ObjectRead extends StoredObjectInfo {
  body: Readable;
  /** Present when a range was asked for: the bytes actually returned. */
  range?: { start: number; end: number; total: number };
}

export interface SignedUrlOptions {
  expiresInSeconds: number;
  contentType?: string;
  /** Suggested file name for downloads (Content-Disposition). */
  downloadName?: string;
}

/**
 * Where recordings, tracks and derived media live. Two implementations honour one contract
 * (test/storage.test.ts): a local folder for the embedded mode, and S3 for production.
 */
export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  /** The bucket name a video platform is told to write into. */
  readonly bucket: string;
  put(key: string, body: Buffer | string | Readable, options?: { contentType?: string; size?: number }): Promise<void>;
  /**
   * Throws ObjectNotFoundError when the key does not exist, and RangeNotSatisfiableError when the range
   * starts past the end. An `end` past the end is clamped, as in HTTP.
   */
  get(key: string, range?: ByteRange): Promise<ObjectRead>;
  /** Null when the key does not exist. */
  head(key: string): Promise<StoredObjectInfo | null>;
  /** Deleting a missing key is not an error (idempotent). */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix` (a plain string prefix), in key order; without contentType. */
  list(prefix: string): AsyncIterable<StoredObjectInfo>;
  signedGetUrl(key: string, options: SignedUrlOptions): Promise<string>;
  signedPutUrl(key: string, options: SignedUrlOptions): Promise<string>;
  /** Cheap reachability check for /readyz. */
  check(): Promise<void>;
}

/** A stored object's bytes as UTF-8 text (small objects: words, segments, exports). */
export async function readObjectText(storage: ObjectStorage, key: string): Promise<string> {
  const object = await storage.get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A stored JSON object, parsed. */
export async function readObjectJson<T>(storage: ObjectStorage, key: string): Promise<T> {
  return JSON.parse(await readObjectText(storage, key)) as T;
}

export class ObjectNotFoundError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
    this.key = key;
  }
}

export class RangeNotSatisfiableError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`requested range not satisfiable: ${key}`);
    this.name = 'RangeNotSatisfiableError';
    this.key = key;
  }
}

/** Rejects ranges no store could serve, the same way for every implementation. */
export function assertValidRange(range: ByteRange): void {
  const valid = Number.isSafeInteger(range.start) && range.start >= 0
    && (range.end === undefined || (Number.isSafeInteger(range.end) && range.end >= range.start));
  if (!valid) throw new RangeError(`invalid byte range: ${JSON.stringify(range)}`);
}

/** `Content-Disposition` for a download: an ASCII fallback name plus the exact UTF-8 name (RFC 6266). */
export function attachmentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  // encodeURIComponent leaves ' ( ) * alone, but RFC 5987 values may not contain them.
  const exact = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
