import * as path from 'node:path';

/** Configuration of the filesystem driver: objects live at `{root}/{bucket}/{key}`. */
export interface FsStorageConfig {
  driver: 'fs';
  /** Absolute or cwd-relative directory holding one sub-directory per bucket. */
  root: string;
}

/** Configuration of the S3 driver (MinIO, AWS S3 or any S3-protocol server, through the `minio` client). */
export interface S3StorageConfig {
  driver: 's3';
  /** Host name or IP, without scheme or port (e.g. `127.0.0.1`). */
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  /** Defaults to `us-east-1`. */
  region?: string;
  /** Multipart part size in bytes for streams of unknown length (default 16 MiB; bounds memory per upload). */
  partSize?: number;
}

export type StorageConfig = FsStorageConfig | S3StorageConfig;

/** The four buckets of SPEC.md §8, one per purpose. */
export interface VellumBuckets {
  /** Staged origin copies (and originals kept for the `file` channel when not optimised). */
  origins: string;
  /** Pyramidal TIFFs, AV outputs. */
  derivatives: string;
  /** Pre-made thumbnails and their `sizes.json`. */
  thumbnails: string;
  /** Named-query projections (PDF, ZIP). */
  outputs: string;
}

/**
 * The storage variables `storageConfigFromEnv` reads (SPEC.md §8, §9). Apps pass their validated env
 * (`StorageEnv` of @vellum/common, which declares and validates every one of them at boot).
 */
export interface StorageVariables {
  /** S3/MinIO endpoint URL, e.g. `http://127.0.0.1:9000`; unset → filesystem driver. */
  S3_ENDPOINT?: string;
  S3_ACCESS_KEY?: string;
  S3_SECRET_KEY?: string;
  /** Default `us-east-1`. */
  S3_REGION?: string;
  /** Root of the filesystem driver; default `<cwd>/.vellum/storage`. */
  VELLUM_STORAGE_ROOT?: string;
}

/** The bucket-name variables `bucketsFromEnv` reads (SPEC.md §8). */
export interface BucketVariables {
  VELLUM_BUCKET_ORIGINS?: string;
  VELLUM_BUCKET_DERIVATIVES?: string;
  VELLUM_BUCKET_THUMBNAILS?: string;
  VELLUM_BUCKET_OUTPUTS?: string;
}

/** What a valid bucket name looks like: 3–63 characters of a-z, 0-9, `.` and `-`, alphanumeric at both ends. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Default bucket names (SPEC.md §8). */
export const DEFAULT_BUCKETS: Readonly<VellumBuckets> = Object.freeze({
  origins: 'vellum-origins',
  derivatives: 'vellum-derivatives',
  thumbnails: 'vellum-thumbs',
  outputs: 'vellum-outputs',
});

/** Thrown when the storage environment is incomplete or malformed; the message names the variable. */
export class StorageConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageConfigError';
  }
}

/**
 * The object-store configuration from the storage variables (SPEC.md §8, §9 local mode); pass the app's validated
 * env (or, in tests, a plain record such as `startS3Server().env`).
 *
 * - `S3_ENDPOINT` set (a URL such as `http://127.0.0.1:9000`) → S3 driver with `S3_ACCESS_KEY`, `S3_SECRET_KEY`
 *   (both required) and `S3_REGION` (default `us-east-1`). The port defaults to 443 for https, 80 for http.
 * - otherwise → filesystem driver rooted at `VELLUM_STORAGE_ROOT` (default `<cwd>/.vellum/storage`).
 *
 * @throws StorageConfigError naming the bad or missing variable.
 */
export function storageConfigFromEnv(env: StorageVariables): StorageConfig {
  const endpoint = env.S3_ENDPOINT?.trim();
  if (!endpoint) {
    const root = env.VELLUM_STORAGE_ROOT?.trim() || path.join(process.cwd(), '.vellum', 'storage');
    return { driver: 'fs', root: path.resolve(root) };
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new StorageConfigError(
      `S3_ENDPOINT must be a URL such as http://127.0.0.1:9000 (got "${endpoint}")`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StorageConfigError(`S3_ENDPOINT must use http or https (got "${url.protocol}")`);
  }
  const missing = (['S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new StorageConfigError(`${missing.join(' and ')} must be set when S3_ENDPOINT is set`);
  }
  const useSSL = url.protocol === 'https:';
  return {
    driver: 's3',
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: env.S3_ACCESS_KEY!,
    secretKey: env.S3_SECRET_KEY!,
    region: env.S3_REGION?.trim() || 'us-east-1',
  };
}

/**
 * Bucket names from `VELLUM_BUCKET_ORIGINS`, `VELLUM_BUCKET_DERIVATIVES`, `VELLUM_BUCKET_THUMBNAILS`,
 * `VELLUM_BUCKET_OUTPUTS`; defaults `vellum-origins`, `vellum-derivatives`, `vellum-thumbs`, `vellum-outputs`
 * (SPEC.md §8). Names must be valid DNS-style bucket names (3–63 chars, lower case).
 *
 * @throws StorageConfigError when a name is not a valid bucket name.
 */
export function bucketsFromEnv(env: BucketVariables): VellumBuckets {
  const pick = (name: keyof BucketVariables, fallback: string): string => {
    const value = env[name]?.trim() || fallback;
    if (!BUCKET_NAME.test(value)) {
      throw new StorageConfigError(
        `${name} must be a valid bucket name (3-63 chars of a-z, 0-9, . and -), got "${value}"`,
      );
    }
    return value;
  };
  return {
    origins: pick('VELLUM_BUCKET_ORIGINS', DEFAULT_BUCKETS.origins),
    derivatives: pick('VELLUM_BUCKET_DERIVATIVES', DEFAULT_BUCKETS.derivatives),
    thumbnails: pick('VELLUM_BUCKET_THUMBNAILS', DEFAULT_BUCKETS.thumbnails),
    outputs: pick('VELLUM_BUCKET_OUTPUTS', DEFAULT_BUCKETS.outputs),
  };
}
