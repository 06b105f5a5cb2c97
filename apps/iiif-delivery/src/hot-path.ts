import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { assignRequestCorrelationId, MetricsService } from '@vellum/common';
import type { IiifVersion } from '@vellum/iiif';
import { DeliveryEnv } from './env';
import type { HttpRequest } from './http-io';
import { ImageApiController } from './image-api.controller';
import { SUBSTITUTE } from './image-path';
import { ThumbsController } from './thumbs.controller';
import { DELIVERY_ENV } from './tokens';

/** The routes the hot path answers (the rest falls through to Nest). */
export type HotRoute = 'iiif-img' | 'thumbs';

/** `Access-Control-Expose-Headers` of every public response: the same list as `configureDeliveryApp`'s CORS. */
export const EXPOSED_HEADERS = [
  'Link',
  'ETag',
  'Last-Modified',
  'Content-Length',
  'Accept-Ranges',
  'Content-Range',
  'Content-Disposition',
  'Retry-After',
  'Location',
  'X-Correlation-Id',
].join(',');

/** Route label of the hot path's requests in `http_request_duration_seconds` (what Nest's routes record). */
const METRIC_ROUTE: Record<HotRoute, string> = { 'iiif-img': '/iiif-img/*rest', thumbs: '/thumbs/*rest' };

/**
 * Which hot route, if any, owns a request (issue 11 "a lean hot path"): only the plain, common shapes, so that
 * anything unusual keeps Nest's exact handling (SPEC.md §5):
 * - `GET /iiif-img/[v2/|v3/]{c}/{s}/{id}/info.json` and `.../{id}/{region}/{size}/{rotation}/{quality}.{format}`;
 * - the same two shapes under `/thumbs/`.
 * Not owned (→ `undefined`, Nest answers): other methods (HEAD, OPTIONS preflight), a query string, any `%`
 * escape, an empty segment or trailing slash, the base URL (303), a version slug equal to `defaultVersion` (302
 * to the unversioned URL) or unknown, the `substitute` service, any other segment count.
 * @param url the request target as received (`req.url`), e.g. `/iiif-img/1/2/abc/0,0,512,512/512,/0/default.jpg`.
 */
export function hotRoute(
  method: string | undefined,
  url: string | undefined,
  defaultVersion: IiifVersion,
): HotRoute | undefined {
  if (method !== 'GET' || url === undefined) return undefined;
  let prefix: HotRoute;
  if (url.startsWith('/iiif-img/')) prefix = 'iiif-img';
  else if (url.startsWith('/thumbs/')) prefix = 'thumbs';
  else return undefined;
  if (url.includes('?') || url.includes('%') || url.includes('#')) return undefined;
  const segs = url.split('/');
  // segs[0] = '' and segs[1] = prefix.
  let i = 2;
  const slug = /^v(\d+)$/.exec(segs[i] ?? '');
  if (slug) {
    if ((slug[1] !== '2' && slug[1] !== '3') || Number(slug[1]) === defaultVersion) return undefined;
    i++;
  }
  const rest = segs.length - i;
  for (let j = i; j < segs.length; j++) if (segs[j] === '') return undefined;
  // {c}/{s}/{id} then info.json, or the four image parameters.
  if (rest === 4 && segs[i + 3] === 'info.json') return prefix;
  if (rest === 7 && segs[i + 3] !== SUBSTITUTE && segs[i + 3] !== 'info.json') return prefix;
  return undefined;
}

/**
 * The lean request handler in front of Nest on the same `node:http` server (issue 11): the image, info.json and
 * thumbnail routes ({@link hotRoute}) go straight to the controllers' own handlers (ImageApiController,
 * ThumbsController: the same lookups, access-control decisions of @vellum/access, validators and headers), with
 * none of Express/Nest's routing, middleware chain or per-request access log; the CORS headers of
 * `configureDeliveryApp` are precomputed, `X-Correlation-Id` is set as the correlation middleware does, and the
 * request is timed in `http_request_duration_seconds` under Nest's route label.
 *
 * A request the handler rejects (a 4xx/5xx problem: unknown asset, 401/403 of a restricted image, bad IIIF
 * syntax...) before any header was sent falls through to Nest unchanged (headers set here removed), so every error
 * response is exactly Nest's; after headers went out the socket is destroyed (a truncated body, as Nest would).
 */
export class DeliveryHotPath {
  constructor(
    private readonly images: Pick<ImageApiController, 'handle'>,
    private readonly thumbs: Pick<ThumbsController, 'handle'>,
    private readonly defaultVersion: IiifVersion,
    private readonly metrics?: MetricsService,
  ) {}

  /** Answers `req` when it is a hot route, else calls `next()` at once (and again when the handler fails). */
  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const route = hotRoute(req.method, req.url, this.defaultVersion);
    if (route === undefined) return next();
    const end = this.metrics?.httpRequestDuration.startTimer();
    const r = req as HttpRequest;
    r.path = req.url!;
    r.originalUrl = req.url!;
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    assignRequestCorrelationId(req, res);
    const controller = route === 'iiif-img' ? this.images : this.thumbs;
    controller.handle(r, res).then(
      () => end?.({ method: 'GET', route: METRIC_ROUTE[route], status_code: String(res.statusCode) }),
      (err: unknown) => {
        if (res.headersSent) {
          res.destroy(err instanceof Error ? err : undefined);
          return;
        }
        for (const name of res.getHeaderNames()) if (name !== 'x-correlation-id') res.removeHeader(name);
        res.statusCode = 200;
        // Express defines `path` on its request prototype; these own properties must not shadow it.
        delete (r as Partial<HttpRequest>).path;
        delete (r as Partial<HttpRequest>).originalUrl;
        next();
      },
    );
  }
}

/**
 * Puts a {@link DeliveryHotPath} in front of the Nest application's request listener(s) on its HTTP server. Call
 * after `NestFactory.create` and before `listen` (bootstrapService's `configure`).
 */
export function installHotPath(app: INestApplication): DeliveryHotPath {
  const server = app.getHttpServer() as Server;
  const env = app.get<DeliveryEnv>(DELIVERY_ENV);
  const hot = new DeliveryHotPath(
    app.get(ImageApiController),
    app.get(ThumbsController),
    env.VELLUM_IIIF_DEFAULT_VERSION,
    app.get(MetricsService),
  );
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    hot.handle(req, res, () => {
      for (const listener of listeners) listener.call(server, req, res);
    }),
  );
  return hot;
}
