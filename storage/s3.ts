import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  paginateListObjectsV2,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
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

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** For S3-compatible servers (versitygw, Ceph, R2…); omit for AWS. */
  endpoint?: string;
  /** Defaults to true when an endpoint is given: most S3-compatible servers have no virtual-host buckets. */
  forcePathStyle?: boolean;
  /** Both or neither; without them the SDK's default credential chain applies. */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * A stream put without `size` is read into memory (S3 needs the length up front, and @aws-sdk/lib-storage
 * is not a dependency); beyond this, the caller must pass `size`.
 */
export const MAX_BUFFERED_STREAM_BYTES = 64 * 1024 * 1024;

export class S3Storage implements ObjectStorage {
  readonly kind = 's3';
  readonly bucket: string;
  readonly #region: string;
  readonly #client: S3Client;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.#region = options.region;
    const { accessKeyId, secretAccessKey } = options;
    this.#client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
      // The default checksums frame streamed bodies as aws-chunked and sign empty-body checksums into
      // presigned PUTs, which S3-compatible servers store or reject.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Buffer | string | Readable, options: { contentType?: string; size?: number } = {}): Promise<void> {
    const isStream = typeof body !== 'string' && !Buffer.isBuffer(body);
    const payload = isStream && options.size === undefined ? await readSmallStream(body, key) : body;
    await this.#client.send(new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: payload,
      ContentType: options.contentType,
      ContentLength: options.size,
    }));
  }

  async get(key: string, range?: ByteRange): Promise<ObjectRead> {
    if (range) assertValidRange(range);
    try {
      const output = await this.#client.send(new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Range: range && `bytes=${range.start}-${range.end ?? ''}`,
      }));
      const served = range && parseContentRange(output.ContentRange);
      return {
        key,
        size: served?.total ?? output.ContentLength ?? 0,
        lastModified: output.LastModified ?? new Date(0),
        contentType: output.ContentType,
        body: output.Body as Readable, // the Node.js runtime returns an IncomingMessage
        range: served,
      };
    } catch (error) {
      if (isS3Error(error, 'NoSuchKey')) throw new ObjectNotFoundError(key);
      if (isS3Error(error, 'InvalidRange')) throw new RangeNotSatisfiableError(key);
      throw error;
    }
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    try {
      const output = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: output.ContentLength ?? 0,
        lastModified: output.LastModified ?? new Date(0),
        contentType: output.ContentType,
      };
    } catch (error) {
      // HEAD responses have no body, so the SDK only knows "NotFound".
      if (isS3Error(error, 'NotFound', 'NoSuchKey')) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async *list(prefix: string): AsyncIterable<StoredObjectInfo> {
    const pages = paginateListObjectsV2({ client: this.#client }, { Bucket: this.bucket, Prefix: prefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
    }
  }

  async signedGetUrl(key: string, options: SignedUrlOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: options.contentType,
      ResponseContentDisposition: options.downloadName === undefined ? undefined : attachmentDisposition(options.downloadName),
    });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }

  async signedPutUrl(key: string, options: SignedUrlOptions): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }

  async check(): Promise<void> {
    await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Creates the bucket unless we already own it; safe to call on every start. */
  async ensureBucket(): Promise<void> {
    // us-east-1 is the one region that refuses an explicit location constraint.
    const location = this.#region === 'us-east-1' ? undefined : { LocationConstraint: this.#region as BucketLocationConstraint };
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: this.bucket, CreateBucketConfiguration: location }));
    } catch (error) {
      if (!isS3Error(error, 'BucketAlreadyOwnedByYou')) throw error;
    }
  }

  /** Closes the client's pooled connections. */
  destroy(): void {
    this.#client.destroy();
  }
}

function isS3Error(error: unknown, ...names: string[]): boolean {
  return error instanceof S3ServiceException && names.includes(error.name);
}

/** `bytes 0-9/100` → the served range and the object's total size. */
function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}

async function readSmallStream(stream: Readable, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = Buffer.from(chunk);
    length += bytes.length;
    if (length > MAX_BUFFERED_STREAM_BYTES) {
      stream.destroy();
      throw new Error(`put ${key}: stream exceeds ${MAX_BUFFERED_STREAM_BYTES} bytes; pass options.size to stream it to S3`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
