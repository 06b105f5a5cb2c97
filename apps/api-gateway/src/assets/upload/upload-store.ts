import type { Provider } from '@nestjs/common';
import { bucketsFromEnv, OBJECT_STORE, objectStoreFromEnv } from '@vellum/storage';
import type { GatewayEnv } from '../../config/gateway-env';

/** Nest token of the gateway's bucket names (`VellumBuckets` of @vellum/storage, from `VELLUM_BUCKET_*`). */
export const GATEWAY_BUCKETS = Symbol('GATEWAY_BUCKETS');

/**
 * The object store the gateway writes uploaded files to (SPEC.md §8: the origins bucket the ingest-orchestrator
 * stages into) and its bucket names, from the validated env (`S3_*` or `VELLUM_STORAGE_ROOT`, `VELLUM_BUCKET_*`).
 */
export function uploadStoreProviders(env: GatewayEnv): Provider[] {
  return [
    { provide: OBJECT_STORE, useFactory: () => objectStoreFromEnv(env) },
    { provide: GATEWAY_BUCKETS, useFactory: () => bucketsFromEnv(env) },
  ];
}
