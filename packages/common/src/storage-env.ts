import { BUCKET_NAME, type BucketVariables, DEFAULT_BUCKETS, type StorageVariables } from '@vellum/storage';
import { IsNotEmpty, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { BaseEnv, IsUrlLike } from './env';

const bucketName = (): PropertyDecorator =>
  Matches(BUCKET_NAME, {
    message: '$property must be a valid bucket name (3-63 chars of a-z, 0-9, . and -)',
  });

/**
 * The object-store connection variables (SPEC.md §8, §9) for an app that reads or writes objects in buckets it
 * is told about (the image-processor: each command names its locations): extend it instead of {@link BaseEnv}
 * and pass the validated instance to `storageConfigFromEnv(env)` of @vellum/storage. A bad `S3_ENDPOINT` or a
 * missing key with an endpoint fails at boot naming the variable, like every other variable.
 */
export class ObjectStoreEnv extends BaseEnv implements StorageVariables {
  /** S3/MinIO endpoint, e.g. `http://127.0.0.1:9000` (port defaults to 80/443); unset → the filesystem store. */
  @IsOptional()
  @IsUrlLike(['http', 'https'])
  S3_ENDPOINT?: string;

  /** Access key of `S3_ENDPOINT`; required when it is set. */
  @ValidateIf((e: ObjectStoreEnv) => e.S3_ENDPOINT !== undefined || e.S3_ACCESS_KEY !== undefined)
  @IsString()
  @IsNotEmpty()
  S3_ACCESS_KEY?: string;

  /** Secret key of `S3_ENDPOINT`; required when it is set. */
  @ValidateIf((e: ObjectStoreEnv) => e.S3_ENDPOINT !== undefined || e.S3_SECRET_KEY !== undefined)
  @IsString()
  @IsNotEmpty()
  S3_SECRET_KEY?: string;

  /** S3 region; default `us-east-1`. */
  @IsString()
  S3_REGION: string = 'us-east-1';

  /** Root directory of the filesystem store (local mode, no `S3_ENDPOINT`); default `<cwd>/.vellum/storage`. */
  @IsOptional()
  @IsString()
  VELLUM_STORAGE_ROOT?: string;
}

/**
 * {@link ObjectStoreEnv} plus the four bucket names of SPEC.md §8 (`VELLUM_BUCKET_*`), for apps that choose
 * buckets themselves (ingest-orchestrator, iiif-delivery): pass the validated instance to `bucketsFromEnv(env)`
 * too. A malformed bucket name fails at boot naming the variable.
 *
 * ```ts
 * export class DeliveryEnv extends StorageEnv { @IsPort() PORT = 3001; ... }
 * { provide: OBJECT_STORE, useFactory: () => createObjectStore(storageConfigFromEnv(env)) },
 * { provide: BUCKETS, useFactory: () => bucketsFromEnv(env) },
 * ```
 */
export class StorageEnv extends ObjectStoreEnv implements BucketVariables {
  /** Bucket of staged origins; default `vellum-origins`. */
  @bucketName()
  VELLUM_BUCKET_ORIGINS: string = DEFAULT_BUCKETS.origins;

  /** Bucket of pyramids and AV derivatives; default `vellum-derivatives`. */
  @bucketName()
  VELLUM_BUCKET_DERIVATIVES: string = DEFAULT_BUCKETS.derivatives;

  /** Bucket of pre-made thumbnails; default `vellum-thumbs`. */
  @bucketName()
  VELLUM_BUCKET_THUMBNAILS: string = DEFAULT_BUCKETS.thumbnails;

  /** Bucket of named-query outputs (PDF, ZIP); default `vellum-outputs`. */
  @bucketName()
  VELLUM_BUCKET_OUTPUTS: string = DEFAULT_BUCKETS.outputs;
}
