import { StorageConfig, storageConfigFromEnv, type StorageVariables } from './config';
import { FsObjectStore } from './fs-object-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-object-store';

/**
 * Nest injection token under which apps provide the {@link ObjectStore} (a plain symbol: this package has no Nest
 * dependency). `{ provide: OBJECT_STORE, useFactory: () => createObjectStore(storageConfigFromEnv(env)) }`.
 */
export const OBJECT_STORE = Symbol.for('vellum.ObjectStore');

/** Creates the driver the configuration names (`fs` or `s3`). No I/O happens until the first call. */
export function createObjectStore(cfg: StorageConfig): ObjectStore {
  switch (cfg.driver) {
    case 'fs':
      return new FsObjectStore(cfg.root);
    case 's3':
      return new S3ObjectStore(cfg);
    default:
      throw new Error(`Unknown storage driver: ${(cfg as { driver: string }).driver}`);
  }
}

/** `createObjectStore(storageConfigFromEnv(env))` for the app's validated env. @throws StorageConfigError */
export function objectStoreFromEnv(env: StorageVariables): ObjectStore {
  return createObjectStore(storageConfigFromEnv(env));
}
