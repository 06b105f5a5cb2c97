import * as path from 'node:path';
import {
  DEFAULT_TRUSTED_PROXIES,
  IsPort,
  IsSecretsKeyList,
  IsTrustedProxies,
  IsUrlLike,
  StorageEnv,
} from '@vellum/common';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, ValidateIf } from 'class-validator';

/**
 * Environment of `iiif-delivery` (SPEC.md §5, §9), validated at boot. The object-store variables (`S3_*`,
 * `VELLUM_STORAGE_ROOT`, `VELLUM_BUCKET_*`) come from {@link StorageEnv}, the common ones from `BaseEnv`.
 */
export class DeliveryEnv extends StorageEnv {
  /** HTTP port; default 3001. */
  @IsPort()
  PORT: number = 3001;

  /** `postgresql://...` of the metadata store. */
  @IsUrlLike(['postgres', 'postgresql'])
  DATABASE_URL!: string;

  /** `amqp://...` of RabbitMQ (cache invalidation events). */
  @IsUrlLike(['amqp', 'amqps'])
  AMQP_URL!: string;

  /**
   * Level of the access line of a successful (below 400) response; default `debug`, so tile traffic writes no
   * line per tile at the usual `LOG_LEVEL=info` (4xx are logged at `warn`, 5xx at `error`). Set `info` to log all.
   */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_HTTP_SUCCESS_LEVEL: string = 'debug';

  /** Topic exchange name; default `vellum`. */
  @IsString()
  AMQP_EXCHANGE: string = 'vellum';

  /**
   * Public base URL of this service (SPEC.md §5), e.g. `https://iiif.example.org` or `https://example.org/dlcs`
   * (path prefix kept): when set, every absolute URL delivery renders (info.json ids, `Location`, `Link`, the
   * viewer page) starts with it, whatever the request's `Host` or forwarded headers say. Unset (the default):
   * each request's own public base, from its `Host`, or `X-Forwarded-Host`/`-Proto` when the peer is one of
   * {@link VELLUM_TRUSTED_PROXIES}.
   */
  @IsOptional()
  @IsUrlLike(['http', 'https'])
  VELLUM_DELIVERY_URL?: string;

  /**
   * Key verifying IIIF Auth 2.0 session cookies and access tokens (SPEC.md §6; @vellum/access `AuthSigner`, HS256):
   * 32 bytes as 64 hex digits or base64, the same as auth-service's. Required when NODE_ENV=production; in
   * development/test a fixed development key is used when unset.
   */
  @ValidateIf((o: DeliveryEnv) => o.NODE_ENV === 'production' || o.VELLUM_AUTH_SIGNING_KEY !== undefined)
  @IsSecretsKeyList()
  VELLUM_AUTH_SIGNING_KEY?: string;

  /** Earlier signing keys, comma-separated, that still verify credentials signed before a rotation. */
  @IsOptional()
  @IsSecretsKeyList()
  VELLUM_AUTH_SIGNING_PREVIOUS_KEYS?: string;

  /**
   * Public base URL of auth-service (IIIF Auth 2.0 access, token and logout services, SPEC.md §6), e.g.
   * `https://iiif.example.org` (its `/auth/v2/...` paths are appended). Unset (the default): the request's own
   * public base (an Ingress routes `/auth/` on the public host to auth-service).
   */
  @IsOptional()
  @IsUrlLike(['http', 'https'])
  VELLUM_AUTH_URL?: string;

  /**
   * Proxies whose `X-Forwarded-Host`/`X-Forwarded-Proto` are believed (SPEC.md §5): comma-separated IPs, CIDR
   * subnets and the keywords `loopback`, `linklocal`, `uniquelocal`, or `none`; default `loopback`. Forwarded
   * headers from any other peer are ignored (they would otherwise name another host in publicly cached
   * info.json documents).
   */
  @IsTrustedProxies()
  VELLUM_TRUSTED_PROXIES: string = DEFAULT_TRUSTED_PROXIES;

  /**
   * Largest output of one image request, in pixels (width × height before rotation), for every request and
   * every asset: advertised in info.json as `maxArea` (3.0 and 2.1), so `max` is the largest size within it and
   * larger sizes are 400 (IIIF Image API 3.0 §4.2, §5.2). Default 4194304 (2048 × 2048: ~0.25 s of CPU at
   * most per request, against 2 s for the 40 MP a `^max` could ask before); at least one 512 × 512 tile. The
   * official validator's level-3 upscaling test needs 4000000 (2000 × 2000).
   */
  @IsInt()
  @Min(262_144)
  VELLUM_MAX_OUTPUT_PIXELS: number = 4_194_304;

  /**
   * Longest edge of one image request's output, pixels: advertised as `maxWidth` (clients infer
   * `maxHeight = maxWidth`), or the asset's own `maxWidth` when smaller (SPEC.md §6). Default and maximum
   * 16383, the largest edge WebP can encode, so every advertised format can produce every allowed size.
   */
  @IsInt()
  @Min(512)
  @Max(16_383)
  VELLUM_MAX_OUTPUT_EDGE: number = 16_383;

  /** Image API version served at the unversioned URLs: 2 or 3; default 3. */
  @IsIn([2, 3])
  VELLUM_IIIF_DEFAULT_VERSION: 2 | 3 = 3;

  /** Directory of the pyramid disk cache; default `<cwd>/.vellum/delivery-cache`. */
  @IsString()
  VELLUM_DELIVERY_CACHE_DIR: string = path.join(process.cwd(), '.vellum', 'delivery-cache');

  /** Bytes of pyramids the disk cache may hold (LRU beyond); default 2 GiB. */
  @IsInt()
  @Min(0)
  VELLUM_DELIVERY_CACHE_BYTES: number = 2 * 1024 * 1024 * 1024;

  /** Bytes of thumbnails kept in memory (LRU); default 64 MiB. */
  @IsInt()
  @Min(0)
  VELLUM_DELIVERY_THUMB_CACHE_BYTES: number = 64 * 1024 * 1024;

  /** Milliseconds a customer/asset lookup is cached in memory (events invalidate earlier); default 30000. */
  @IsInt()
  @Min(0)
  VELLUM_DELIVERY_LOOKUP_TTL_MS: number = 30_000;

  /** Max customers/assets kept in the lookup caches; default 10000. */
  @IsInt()
  @Min(1)
  VELLUM_DELIVERY_LOOKUP_MAX: number = 10_000;

  /**
   * Bytes of rendered named-query projections (`/iiif-resource` manifests, `/raw-resource` lists) kept in memory
   * (LRU; entries expire with `VELLUM_DELIVERY_LOOKUP_TTL_MS` and go on every asset event of their customer);
   * default 64 MiB (a manifest of 1,000 images is about 2.5 MB); 0 = no cache.
   */
  @IsInt()
  @Min(0)
  VELLUM_DELIVERY_MANIFEST_CACHE_BYTES: number = 64 * 1024 * 1024;

  /**
   * Most assets a named-query projection shows (SPEC.md §7): a query matching more is answered 400, naming the
   * bound, rather than a manifest no viewer can open; default 10000.
   */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  VELLUM_NAMED_QUERY_MAX_ASSETS: number = 10_000;

  /**
   * Milliseconds after which a named-query PDF/ZIP build that was asked for and never ended is taken as lost (its
   * command or worker gone) and asked for again by the next request (SPEC.md §7); default 3600000 (1 h), above the
   * worker's handler deadline and retries.
   */
  @IsInt()
  @Min(1000)
  VELLUM_PROJECTION_BUILD_TIMEOUT_MS: number = 3_600_000;

  /**
   * Milliseconds after which a failed PDF/ZIP build is tried again on request, when its members did not change
   * (a change retries at once); default 300000 (5 min). Until then the object URL answers 503 with the error.
   */
  @IsInt()
  @Min(0)
  VELLUM_PROJECTION_FAILED_RETRY_MS: number = 300_000;

  /** Seconds a client is told to wait (`Retry-After` of the 202) while a PDF/ZIP is being built; default 3. */
  @IsInt()
  @Min(1)
  @Max(3600)
  VELLUM_PROJECTION_RETRY_AFTER_S: number = 3;

  /** libvips worker threads per image (sharp.concurrency); default 1 (requests run in parallel instead). */
  @IsInt()
  @Min(0)
  @Max(64)
  VELLUM_SHARP_CONCURRENCY: number = 1;

  /**
   * libvips operation cache memory in MiB (sharp.cache); default 0 = off. Measured on the tile benchmark (2 cores):
   * 64 MiB gave fewer tiles/s (139 vs 194) and ~2.5× the RSS (730 vs 290 MiB), because every request opens a
   * new pipeline anyway and the cache only holds decoded pixels of recently read regions.
   */
  @IsInt()
  @Min(0)
  VELLUM_SHARP_CACHE_MB: number = 0;

  /**
   * Delivery processes sharing the port (node:cluster, `runClustered` of @vellum/common; issue 11 "use every
   * core"): `0` (the default) = one per CPU (`os.availableParallelism()`), `1` = no cluster (this process serves),
   * `n` = n workers. Each worker is a whole instance (own caches, own per-instance event queues); the primary
   * restarts one that dies. The pyramid disk cache bound is shared out between them.
   */
  @IsInt()
  @Min(0)
  @Max(64)
  VELLUM_DELIVERY_WORKERS: number = 0;

  /**
   * `1` (default): the lean `node:http` handler answers the canonical image, info.json and thumbnail requests
   * before Nest (`hot-path.ts`); `0`: every request goes through Nest/Express (for comparison and as an escape
   * hatch). Responses are the same either way.
   */
  @IsIn([0, 1])
  VELLUM_DELIVERY_HOT_PATH: 0 | 1 = 1;
}
