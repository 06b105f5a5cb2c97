export * from './object-store';
export * from './config';
export * from './keys';
export { FsObjectStore, BucketNotFoundError } from './fs-object-store';
export { S3ObjectStore } from './s3-object-store';
export { createObjectStore, objectStoreFromEnv, OBJECT_STORE } from './create-object-store';
export { InvalidObjectKeyError, compareKeys, readAll } from './util';
