import type { Readable } from 'node:stream';
import type { ResolvedOriginStrategy } from '@vellum/secrets';

/** What a fetcher hands back: the origin's bytes as a stream plus what the origin said about them. */
export interface FetchedOrigin {
  /** The body; the caller consumes it (or destroys it) exactly once. */
  body: Readable;
  /** `Content-Type` as the origin declared it, when it did. Recorded only: the asset's `mediaType` wins. */
  contentType?: string;
  /** Declared length in bytes, when known. */
  contentLength?: number;
  /** The URL finally read (after redirects), without credentials. */
  finalUrl: string;
}

/** How to fetch one origin: the matched strategy, whether it is optimised, its opened credentials. */
export type OriginAccess = ResolvedOriginStrategy;

/**
 * Where an origin already is in the platform's own object store, for an origin read in place instead of copied
 * (an `optimised` `s3-ambient` origin, SPEC.md §1 "Origin strategy", §4.1 step 2): workers and delivery read
 * `bucket/key` directly.
 */
export interface LocatedOrigin {
  bucket: string;
  key: string;
  /** Bytes. */
  size: number;
  /** The object's `Content-Type`, when it has one. Recorded only: the asset's `mediaType` wins. */
  contentType?: string;
  /** The origin as it may be logged or shown (no credentials). */
  finalUrl: string;
}

/** Limits every fetcher honours. */
export interface FetchLimits {
  /** Bytes; a declared length above it fails before reading. The stager enforces it again while streaming. */
  maxBytes: number;
}

/**
 * The seam between the ingest state machine and one origin scheme (SPEC.md §4.2): `http(s)`, later `s3`,
 * `sftp`, `ftp`. A fetcher opens the origin and returns a stream; it throws {@link OriginError}s (or raw
 * network errors that `classifyOriginError` understands).
 */
export interface OriginFetcher {
  /** URL schemes handled, without the colon (e.g. `['http', 'https']`). */
  readonly schemes: readonly string[];
  /**
   * Opens `url`. `access` is the customer's origin strategy for it (SPEC.md §1, §4.2), resolved and with its
   * credentials opened by the orchestrator; absent = `default` (anonymous, or credentials in the URL's userinfo).
   */
  fetch(url: URL, limits: FetchLimits, access?: OriginAccess): Promise<FetchedOrigin>;
  /**
   * Optional, for schemes whose objects the platform's store can read in place (`s3`): checks that the origin
   * exists and says where it is, without reading it. The stager calls it instead of {@link fetch} for an
   * `optimised` strategy, so no copy is stored. Throws the same errors as `fetch`.
   */
  locate?(url: URL, limits: FetchLimits, access?: OriginAccess): Promise<LocatedOrigin>;
  /**
   * Optional: true when this fetcher, not the one of the URL's scheme, reads `url` under `access` (an https URL
   * of an S3 form matched by an `s3-ambient` rule is read through the S3 client, not over plain HTTP).
   */
  claims?(url: URL, access: OriginAccess): boolean;
}

/** Nest token under which the list of {@link OriginFetcher}s is provided. */
export const ORIGIN_FETCHERS = Symbol('ORIGIN_FETCHERS');

/** Abandons a body stream: destroys it, swallowing the abort error it then emits (nobody reads it any more). */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}
