import { LocalFolderStorage, type LocalFolderStorageOptions } from './local-folder.ts';
import { S3Storage, type S3StorageOptions } from './s3.ts';
import type { ObjectStorage } from './object-storage.ts';
import { metrics } from '../runtime/metrics.ts';

export type LocalObjectStorageOptions = { kind: 'local' } & LocalFolderStorageOptions;
export type S3ObjectStorageOptions = { kind: 's3' } & S3StorageOptions;
export type ObjectStorageOptions = LocalObjectStorageOptions | S3ObjectStorageOptions;

/** Either store; narrow on `kind` (e.g. to mount the local store's signed-URL handler). */
export type ConfiguredObjectStorage = LocalFolderStorage | S3Storage;

/** Builds the object store chosen by configuration. */
export function createObjectStorage(options: LocalObjectStorageOptions): LocalFolderStorage;
export function createObjectStorage(options: S3ObjectStorageOptions): S3Storage;
export function createObjectStorage(options: ObjectStorageOptions): ConfiguredObjectStorage;
export function createObjectStorage(options: ObjectStorageOptions): ConfiguredObjectStorage {
  switch (options.kind) {
    case 'local':
      return countingWrites(new LocalFolderStorage(options));
    case 's3':
      return countingWrites(new S3Storage(options));
  }
}

/** Every byte put counts in storage_written_bytes_total (a stream of unknown size by its stored object's size). */
function countingWrites<T extends ObjectStorage>(storage: T): T {
  const put = storage.put.bind(storage);
  storage.put = async (key, body, options) => {
    await put(key, body, options);
    const bytes = typeof body === 'string' ? Buffer.byteLength(body) : Buffer.isBuffer(body) ? body.length : options?.size ?? (await storage.head(key))?.size ?? 0;
    metrics.storageWrittenBytes.inc(bytes);
  };
  return storage;
}

export * from './object-storage.ts';
export {
  InvalidObjectKeyError,
  LocalFolderStorage,
  STORAGE_ROUTE_PREFIX,
  createSignedObjectHandler,
  verifyStorageSignature,
} from './local-folder.ts';
export { S3Storage } from './s3.ts';
export type { LocalFolderStorageOptions, S3StorageOptions };
