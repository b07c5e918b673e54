import { LocalFolderStorage, type LocalFolderStorageOptions } from './local-folder.ts';
import { S3Storage, type S3StorageOptions } from './s3.ts';

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
      return new LocalFolderStorage(options);
    case 's3':
      return new S3Storage(options);
  }
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
