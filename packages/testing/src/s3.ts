import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The slice of the `s3rver` API used here (the package ships no types). */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  /** Koa's middleware array (composed at listen time). */
  middleware: KoaMiddleware[];
}
interface KoaContext {
  method: string;
  query: Record<string, string | string[] | undefined>;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/** S3 "url" encoding of a key in list results (what `minio`'s `sanitizeObjectKey` decodes). */
function s3UrlEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/**
 * s3rver ignores `encoding-type=url` on object listings, which the `minio` client always sends and then
 * URL-decodes every listed key, so keys holding `%2F`, `%20`, `+` or `'` come back changed. This middleware
 * makes s3rver answer as S3 and MinIO do: it URL-encodes `Key`/`Prefix` values and echoes `EncodingType`.
 */
const listEncodingMiddleware: KoaMiddleware = async (ctx, next) => {
  await next();
  if (ctx.method !== 'GET' || ctx.query['encoding-type'] !== 'url') return;
  const result = (ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined)?.ListBucketResult;
  if (!result) return;
  for (const field of ['Prefix', 'StartAfter', 'Marker', 'NextMarker', 'Delimiter']) {
    if (typeof result[field] === 'string') result[field] = s3UrlEncode(result[field]);
  }
  for (const item of (result.Contents as Array<{ Key?: string }> | undefined) ?? []) {
    if (typeof item.Key === 'string') item.Key = s3UrlEncode(item.Key);
  }
  for (const item of (result.CommonPrefixes as Array<{ Prefix?: string }> | undefined) ?? []) {
    if (typeof item.Prefix === 'string') item.Prefix = s3UrlEncode(item.Prefix);
  }
  result.EncodingType = 'url';
};
type S3rverCtor = new (opts: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  resetOnClose?: boolean;
  configureBuckets?: Array<{ name: string }>;
}) => S3rverInstance;

/** A running in-process S3-protocol server (s3rver) for tests and local development. */
export interface S3TestServer {
  /** `http://127.0.0.1:{port}`, the value for `S3_ENDPOINT`. */
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** `S3_ENDPOINT`, `S3_ACCESS_KEY`, `S3_SECRET_KEY`, `S3_REGION`: what `storageConfigFromEnv` reads. */
  env: Record<string, string>;
  /** The data directory (removed by `stop()` when it was created here). */
  directory: string;
  /** Stops the server; removes the temp directory unless one was given. */
  stop(): Promise<void>;
}

export interface StartS3ServerOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Data directory; default a fresh temp directory deleted on stop. */
  directory?: string;
  /** Buckets to create before the server answers. */
  buckets?: string[];
}

/**
 * Starts s3rver in this process on 127.0.0.1 (a free port by default) over a temp directory, silent, with
 * s3rver's fixed credentials `S3RVER`/`S3RVER`. The `minio` client (and so `@vellum/storage`'s S3 driver) works
 * against it over real HTTP, multipart uploads and ranged reads included. Known s3rver gaps: no
 * ListMultipartUploads (so `minio`'s own stream upload fails; `@vellum/storage` does its own multipart), and a
 * `Range: bytes=0-0` returns the whole object. Listing keys with URL escapes is fixed up here (see above).
 *
 * @example const s3 = await startS3Server(); const store = createObjectStore(storageConfigFromEnv(s3.env)); ...; await s3.stop();
 */
export async function startS3Server(opts: StartS3ServerOptions = {}): Promise<S3TestServer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverCtor;
  const ownDir = opts.directory === undefined;
  const directory = opts.directory ?? (await mkdtemp(path.join(tmpdir(), 'vellum-s3rver-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port ?? 0,
    directory,
    silent: true,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });
  // Inside s3rver's XML encoder (index 1), before its routes: see listEncodingMiddleware.
  server.middleware.splice(2, 0, listEncodingMiddleware);
  const addr = await server.run();
  const port = addr.port;
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKey = 'S3RVER';
  const secretKey = 'S3RVER';
  let stopped = false;
  return {
    endpoint,
    port,
    accessKey,
    secretKey,
    directory,
    env: {
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY: accessKey,
      S3_SECRET_KEY: secretKey,
      S3_REGION: 'us-east-1',
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      if (ownDir) await rm(directory, { recursive: true, force: true });
    },
  };
}
