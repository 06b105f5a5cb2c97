import { IsPort, IsSecretsKeyList, IsUrlLike, StorageEnv } from '@vellum/common';
import { IsInt, IsOptional, IsString, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { SSH_FINGERPRINT_PATTERN } from './origins/remote-file-origin';
import { parseCidr } from './origins/ssrf-guard';

/** 2 GiB: the default `VELLUM_MAX_ORIGIN_BYTES`. */
export const DEFAULT_MAX_ORIGIN_BYTES = 2 * 1024 * 1024 * 1024;

/** Every entry of a comma list is a host name or an IP/CIDR (rejects things like `10.0.0.0/99` or `a b`). */
function IsAllowList(): PropertyDecorator {
  return ValidateBy({
    name: 'isAllowList',
    validator: {
      validate(value: unknown): boolean {
        if (typeof value !== 'string') return false;
        const entries = value
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean);
        return entries.every(
          (e) =>
            parseCidr(e) !== null ||
            /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(e),
        );
      },
      defaultMessage: () =>
        '$property must be a comma-separated list of host names and CIDRs (e.g. 127.0.0.1/32,localhost)',
    },
  });
}

/** Every entry of a comma list is an SSH host-key fingerprint `SHA256:<43 base64 characters>`. */
function IsFingerprintList(): PropertyDecorator {
  return ValidateBy({
    name: 'isFingerprintList',
    validator: {
      validate: (value: unknown): boolean =>
        typeof value === 'string' &&
        value
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean)
          .every((e) => SSH_FINGERPRINT_PATTERN.test(e)),
      defaultMessage: () =>
        '$property must be a comma-separated list of SSH fingerprints (SHA256:<base64>, as ssh-keygen -lf prints them)',
    },
  });
}

/**
 * The ingest-orchestrator's environment (SPEC.md §9), validated at boot by `validateEnv(OrchestratorEnv)`.
 * The object-store variables (`S3_*`, `VELLUM_STORAGE_ROOT`, `VELLUM_BUCKET_*`) come from {@link StorageEnv}.
 */
export class OrchestratorEnv extends StorageEnv {
  /** HTTP port for /health and /metrics; default 3003. */
  @IsPort() PORT = 3003;

  @IsUrlLike(['postgres', 'postgresql']) DATABASE_URL!: string;

  @IsUrlLike(['amqp', 'amqps']) AMQP_URL!: string;

  /** Topic exchange name; default `vellum`. */
  @IsOptional() @IsString() AMQP_EXCHANGE?: string;

  /** Comma list of host names and CIDRs origins may resolve to despite the SSRF guard; default none. */
  @IsString() @IsAllowList() VELLUM_ORIGIN_ALLOWLIST = '';

  /**
   * Milliseconds for connecting, for response headers, and between body chunks of an origin fetch; default 60000.
   * For `sftp://` and `ftp(s)://` origins: the connect plus handshake and login, each FTP answer, and data gaps.
   */
  @IsInt() @Min(100) VELLUM_ORIGIN_TIMEOUT_MS = 60000;

  /**
   * Comma list of SSH host-key fingerprints (`SHA256:<base64>` as `ssh-keygen -lf` prints them): when set, an
   * `sftp://` origin must present one of these keys or is refused; default empty = any host key is accepted.
   */
  @IsString() @IsFingerprintList() VELLUM_SFTP_HOST_FINGERPRINTS = '';

  /** A PEM file of extra CA certificates trusted for `ftps://` origins (self-signed or private CA); default none. */
  @IsOptional() @IsString() VELLUM_FTPS_CA_FILE?: string;

  /** Largest origin accepted, bytes; default 2 GiB. */
  @IsInt() @Min(1) VELLUM_MAX_ORIGIN_BYTES = DEFAULT_MAX_ORIGIN_BYTES;

  /** Tile edge of new pyramids in pixels; default 512 (what info.json advertises). */
  @IsInt() @Min(64) @Max(4096) VELLUM_TILE_SIZE = 512;

  /**
   * Batch-lane stagings (origin fetches) one replica runs at once; default 16. The batch queue's prefetch is twice
   * this, so other customers' messages still arrive while one customer waits at its share.
   */
  @IsInt() @Min(1) @Max(1000) VELLUM_INGEST_PREFETCH = 16;

  /**
   * The batch window: batch members one customer may have in flight (claimed and not yet finished: staging, queued
   * at or being processed by a worker), across all its batches and every replica; default 32, 0 = no window. A
   * member beyond it is parked until one of the customer's members finishes, so customers' batches share the
   * workers instead of queueing behind each other. Keep it at least twice the image-processor slots of the whole
   * fleet, or one customer alone cannot keep every worker busy.
   */
  @IsInt() @Min(0) @Max(100000) VELLUM_INGEST_CUSTOMER_WINDOW = 32;

  /**
   * Milliseconds between sweeps that move parked batch members back for every customer with room in its window
   * (the safety net for a release missed by a crash or a member closed elsewhere); default 5000, 0 = none.
   */
  @IsInt() @Min(0) VELLUM_INGEST_WINDOW_SWEEP_MS = 5000;

  /** Of the batch-lane stagings, how many one customer may hold at once per replica; default 8. */
  @IsInt() @Min(1) @Max(1000) VELLUM_INGEST_CUSTOMER_SLOTS = 8;

  /**
   * Priority-lane stagings (immediate registrations, the priority queue) one replica runs at once, on a queue of
   * their own that batch work cannot take; default 4 (one customer may hold half, rounded up).
   */
  @IsInt() @Min(1) @Max(1000) VELLUM_INGEST_PRIORITY_SLOTS = 4;

  /** Milliseconds one origin fetch may take from request to last byte; default 3600000 (1 h). */
  @IsInt() @Min(1000) VELLUM_ORIGIN_DEADLINE_MS = 60 * 60 * 1000;

  /**
   * Bytes per second an origin must sustain, averaged over `VELLUM_ORIGIN_RATE_WINDOW_MS`, or the fetch is cut off
   * (and retried); default 16384 (16 KiB/s). 0 disables the check.
   */
  @IsInt() @Min(0) VELLUM_ORIGIN_MIN_BYTES_PER_SECOND = 16 * 1024;

  /** Window of the minimum-rate check, ms; default 30000. */
  @IsInt() @Min(100) VELLUM_ORIGIN_RATE_WINDOW_MS = 30_000;

  /**
   * Key that opens origin credentials sealed by the api-gateway (@vellum/secrets, AES-256-GCM): the gateway's
   * `VELLUM_SECRETS_KEY`, 32 bytes as 64 hex digits or base64. Required when NODE_ENV=production; in
   * development/test a fixed development key is used when unset (SPEC.md §4.2: credentials encrypted at rest).
   */
  @ValidateIf((o: OrchestratorEnv) => o.NODE_ENV === 'production' || o.VELLUM_SECRETS_KEY !== undefined)
  @IsSecretsKeyList()
  VELLUM_SECRETS_KEY?: string;

  /** Earlier keys, comma-separated, that still open credentials sealed before a rotation. */
  @IsOptional()
  @IsSecretsKeyList()
  VELLUM_SECRETS_PREVIOUS_KEYS?: string;

  /** An asset `ingesting` for longer than this (ms since its ingest request) is failed by the sweeper; default 24 h. */
  @IsInt() @Min(1000) VELLUM_INGEST_STUCK_MS = 24 * 60 * 60 * 1000;

  /** How often the stuck-ingest sweeper runs, ms; default 60000; 0 disables it. */
  @IsInt() @Min(0) VELLUM_INGEST_SWEEP_INTERVAL_MS = 60000;

  /**
   * Milliseconds between checks of the planner statistics when PostgreSQL's autovacuum is off (stale tables are
   * ANALYZEd, see TableStatisticsService); default 60000; 0 = never.
   */
  @IsInt() @Min(0) VELLUM_ANALYZE_INTERVAL_MS = 60000;
}
