import {
  DEFAULT_TRUSTED_PROXIES,
  IsPort,
  IsSecretsKeyList,
  IsTrustedProxies,
  IsUrlLike,
  StorageEnv,
} from '@vellum/common';
import { IsInt, IsOptional, IsString, Max, Min, MinLength, ValidateIf } from 'class-validator';

/**
 * The api-gateway's environment (SPEC.md §9), validated at boot by `validateEnv(GatewayEnv)`; a bad or missing
 * variable stops start-up with a message naming it. See `.env.example`. The object-store variables (`S3_*`,
 * `VELLUM_STORAGE_ROOT`, `VELLUM_BUCKET_*`, from {@link StorageEnv}) say where uploaded files are stored: the
 * ingest-orchestrator's store and origins bucket.
 */
export class GatewayEnv extends StorageEnv {
  /** HTTP port; default 3000. */
  @IsPort()
  PORT = 3000;

  /** Postgres, e.g. `postgresql://postgres@127.0.0.1:5432/vellum`. */
  @IsUrlLike(['postgres', 'postgresql'])
  DATABASE_URL!: string;

  /** RabbitMQ, e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  @IsUrlLike(['amqp', 'amqps'])
  AMQP_URL!: string;

  /** The topic exchange; default `vellum`. */
  @IsOptional()
  @IsString()
  AMQP_EXCHANGE?: string;

  /**
   * Public base URL of this API (`@id`s, links, `Location`; SPEC.md §3.1, §5), path prefix kept, e.g.
   * `https://api.example.org`. When set it is used whatever the request says; unset (the default), each
   * request's own: its `Host`, or `X-Forwarded-Host`/`-Proto` when the peer is one of VELLUM_TRUSTED_PROXIES.
   */
  @IsOptional()
  @IsUrlLike(['http', 'https'])
  VELLUM_API_URL?: string;

  /**
   * Public base URL of iiif-delivery (`imageService`, `thumbnailImageService`...), e.g.
   * `https://iiif.example.org`. Unset (the default): the request's scheme and host name with
   * VELLUM_DELIVERY_PORT (local mode: `http://127.0.0.1:3001` for a request to `127.0.0.1:3000`).
   */
  @IsOptional()
  @IsUrlLike(['http', 'https'])
  VELLUM_DELIVERY_URL?: string;

  /**
   * Public base URL of auth-service (the IIIF Auth 2.0 access services an access service's `service` names), e.g.
   * `https://iiif.example.org`. Unset (the default): the delivery base (VELLUM_DELIVERY_URL or the request's host
   * with VELLUM_DELIVERY_PORT), where an Ingress routes `/auth/` to auth-service.
   */
  @IsOptional()
  @IsUrlLike(['http', 'https'])
  VELLUM_AUTH_URL?: string;

  /** iiif-delivery's port, for delivery URLs when VELLUM_DELIVERY_URL is unset; default 3001. */
  @IsPort()
  VELLUM_DELIVERY_PORT = 3001;

  /**
   * Proxies whose `X-Forwarded-Host`/`-Proto` are believed (SPEC.md §5): comma-separated IPs, CIDR subnets,
   * `loopback`, `linklocal`, `uniquelocal`, or `none`; default `loopback`. Ignored from any other peer.
   */
  @IsTrustedProxies()
  VELLUM_TRUSTED_PROXIES = DEFAULT_TRUSTED_PROXIES;

  /** How long an immediate PUT/POST of an image or file waits for its ingest before answering 202 (ms); default 30000. */
  @IsInt()
  @Min(0)
  @Max(600_000)
  VELLUM_IMMEDIATE_TIMEOUT_MS = 30_000;

  /** Admin key created (or added to the admin customer) at start-up when set together with the secret. */
  @IsOptional()
  @IsString()
  @MinLength(8)
  VELLUM_ADMIN_KEY?: string;

  /** Secret of VELLUM_ADMIN_KEY (at least 16 characters). */
  @ValidateIf((o: GatewayEnv) => o.VELLUM_ADMIN_KEY !== undefined || o.VELLUM_ADMIN_SECRET !== undefined)
  @IsString()
  @MinLength(16)
  VELLUM_ADMIN_SECRET?: string;

  /**
   * Worker processes of this replica sharing its port (node:cluster, `runClustered` in @vellum/common); `0` = one per
   * CPU. Default 1: in Kubernetes scale with replicas of one CPU each; on one larger machine use 0. Every worker is a
   * full gateway (own database pool, AMQP connection), exactly like another replica.
   */
  @IsInt()
  @Min(0)
  @Max(64)
  VELLUM_API_WORKERS = 1;

  /** Largest JSON request body accepted, bytes; default 1 MiB (larger → 413). */
  @IsInt()
  @Min(1024)
  VELLUM_MAX_BODY_BYTES = 1024 * 1024;

  /**
   * Largest file uploaded with an asset (multipart `file` part or base64 `file` JSON member, decoded), bytes;
   * default 2 GiB (larger → 413, nothing kept). Upload requests are exempt from VELLUM_MAX_BODY_BYTES, which
   * still bounds their other fields.
   */
  @IsInt()
  @Min(1)
  VELLUM_MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024;

  /** Deepest nesting of arrays/objects in a JSON body; default 32 (deeper → 400 `json-too-deep`). */
  @IsInt()
  @Min(2)
  @Max(1000)
  VELLUM_MAX_JSON_DEPTH = 32;

  /** How long a verified API key stays in the in-memory cache (ms); default 30000. 0 disables the cache. */
  @IsInt()
  @Min(0)
  VELLUM_AUTH_CACHE_TTL_MS = 30_000;

  /**
   * Bound on how long a deleted API key (or customer) can still be accepted by a replica that does not hear
   * `customer.apikey.deleted.v1` (its bus connection is down, or was down since the key was last checked): such a
   * replica re-checks a cached key in Postgres (one primary-key read, no scrypt) once it is this old (ms);
   * default 5000. While the bus is up, deletions evict at once on every replica and this does not apply.
   */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  VELLUM_AUTH_RECHECK_MS = 5_000;

  /**
   * Key sealing secrets at rest (origin credentials; @vellum/secrets, AES-256-GCM): 32 bytes as 64 hex digits or
   * base64. Required when NODE_ENV=production; in development/test a fixed development key is used when unset.
   * The ingest-orchestrator must have the same key to fetch origins with credentials.
   */
  @ValidateIf((o: GatewayEnv) => o.NODE_ENV === 'production' || o.VELLUM_SECRETS_KEY !== undefined)
  @IsSecretsKeyList()
  VELLUM_SECRETS_KEY?: string;

  /** Earlier keys, comma-separated, that still open values sealed before a rotation; never used to seal. */
  @IsOptional()
  @IsSecretsKeyList()
  VELLUM_SECRETS_PREVIOUS_KEYS?: string;

  /** scrypt verifications of API secrets run at once (uncached authentications); default 2. */
  @IsInt()
  @Min(1)
  @Max(64)
  VELLUM_AUTH_HASH_CONCURRENCY = 2;

  /** Uncached authentications that may wait for a verification slot; default 64 (more → 503 + Retry-After). */
  @IsInt()
  @Min(0)
  VELLUM_AUTH_HASH_QUEUE = 64;

  /** Failed authentications one client address may cause per window; default 10 (0 = no limit; then 429). */
  @IsInt()
  @Min(0)
  VELLUM_AUTH_FAILURES_PER_ADDRESS = 10;

  /**
   * Failed authentications one key may suffer per window from addresses that never used it successfully;
   * default 50 (0 = no limit; then 429 for those addresses only).
   */
  @IsInt()
  @Min(0)
  VELLUM_AUTH_FAILURES_PER_KEY = 50;

  /** The failed-authentication window, seconds; default 60. */
  @IsInt()
  @Min(1)
  @Max(86_400)
  VELLUM_AUTH_FAILURE_WINDOW_S = 60;
}

/** Nest token of the gateway's SecretBox (@vellum/secrets) built from VELLUM_SECRETS_KEY(S). */
export const SECRET_BOX = Symbol('SECRET_BOX');

/** Nest token of the validated {@link GatewayEnv}. */
export const GATEWAY_ENV = Symbol('GATEWAY_ENV');
