import { Controller, Get, Req, Res } from '@nestjs/common';
import { deliveryError } from '../delivery-errors';
import { etagOf } from '../http-cache';
import type { HttpRequest, HttpResponse } from '../http-io';
import { sendRanged } from '../ranged/ranged-response';
import { PublicUrls } from '../public-url.service';
import {
  controlDocument,
  inProcessDocument,
  PROJECTION_CONTENT_TYPES,
  projectionDisposition,
  projectionFileName,
} from './projection-documents';
import { parseProjectionPath, type ProjectionPath } from './projection-path';
import { ProjectionService, type ResolvedProjection } from './projection.service';

/**
 * `Cache-Control` of a stored projection: public (restricted members are redacted) and short, because it is
 * rebuilt whenever a member changes; revalidation (`ETag`) costs one run of the query.
 */
export const CACHE_PROJECTION = 'public, max-age=60';
/** `Cache-Control` of the 202 while building and of the control documents: never cached. */
export const CACHE_NONE = 'no-store';

/**
 * The stored named-query projections (SPEC.md §5, §7 `pdf`, `zip`):
 * - `GET`/`HEAD /pdf/{c}/{query}/{args...}` and `/zip/...`: built and fresh → 200 (or 206 for one `Range`) with
 *   the object streamed from the outputs bucket, `Content-Type` `application/pdf` / `application/zip`,
 *   `Content-Disposition` naming `objectname` (default the query's name), `ETag`, `Last-Modified` (when built),
 *   `Accept-Ranges`; conditional requests → 304. Not built, stale (a member changed) or lost → the build is asked
 *   for and the answer is 202 with `Retry-After` and a small JSON body (`inProcess`, the control URL); being built
 *   → 202 too. The last build failed recently → 503 with `Retry-After` (when it is tried again) and the error.
 * - `GET /pdf-control/...`, `/zip-control/...`: the control document (`created`, `pageCount` / `itemCount`,
 *   `sizeBytes`, `inProcess`, `roles`, `stale`, `error`); it never asks for a build; 404 until one was asked for.
 * - Errors (problem documents): 404 unknown customer or query, or no asset selected; 400 for arguments that do
 *   not fit the template, naming the argument; 503 when the database, the store or the bus is unavailable.
 * CORS `*` and the preflight come from `configureDeliveryApp`.
 */
@Controller()
export class ProjectionController {
  constructor(
    private readonly projections: ProjectionService,
    private readonly urls: PublicUrls,
  ) {}

  @Get(['pdf/*rest', 'zip/*rest', 'pdf-control/*rest', 'zip-control/*rest'])
  async handle(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const path = parseProjectionPath(req.path);
    const resolved = await this.projections.resolve(path);
    const base = this.urls.base(req);
    const tail = req.path.split('/').slice(2).join('/');
    const objectUrl = `${base}/${path.kind}/${tail}`;
    const controlUrl = `${base}/${path.kind}-control/${tail}`;
    if (path.control) return this.control(res, resolved, controlUrl, objectUrl);
    return this.object(req, res, path, resolved, objectUrl, controlUrl);
  }

  private async control(
    res: HttpResponse,
    p: ResolvedProjection,
    controlUrl: string,
    objectUrl: string,
  ): Promise<void> {
    const { row, stale } = await this.projections.control(p);
    sendJson(res, 200, controlDocument(row, { id: controlUrl, objectUrl, stale }));
  }

  private async object(
    req: HttpRequest,
    res: HttpResponse,
    path: ProjectionPath,
    p: ResolvedProjection,
    objectUrl: string,
    controlUrl: string,
  ): Promise<void> {
    const found = await this.projections.ensure(p);
    if (found.state === 'in-process') {
      const retryAfter = this.projections.retryAfterSeconds;
      res.setHeader('Retry-After', String(retryAfter));
      res.setHeader('Location', controlUrl);
      sendJson(
        res,
        202,
        inProcessDocument(found.row, { objectUrl, controlUrl, retryAfterSeconds: retryAfter }),
      );
      return;
    }
    if (found.state === 'failed') {
      throw deliveryError(
        503,
        `The ${path.kind === 'pdf' ? 'PDF' : 'ZIP'} of named query ${p.label} could not be built (${found.row.error ?? 'unknown error'}); it is tried again in ${found.retryAfterSeconds} s`,
        { 'Retry-After': String(found.retryAfterSeconds) },
      );
    }
    const { row, info } = found;
    const out = await sendRanged(
      req,
      res,
      {
        size: info.size,
        meta: {
          etag: etagOf('projection', row.id, String(row.build), row.fingerprint ?? '', String(info.size)),
          lastModified: row.created ?? undefined,
          cacheControl: CACHE_PROJECTION,
          headers: { 'X-Content-Type-Options': 'nosniff' },
        },
        contentType: PROJECTION_CONTENT_TYPES[path.kind],
        headers: {
          'Content-Disposition': projectionDisposition(
            path.kind,
            projectionFileName(path.kind, p.ref.queryName, p.bound.objectName),
          ),
        },
        describe: p.label,
        open: (range) => this.projections.open(row, range),
      },
      () => undefined,
    );
    if (out.stream) this.projections.report(out.stream, out.length, `${path.kind} ${p.label}`);
  }
}

function sendJson(res: HttpResponse, status: number, doc: unknown): void {
  const body = Buffer.from(JSON.stringify(doc));
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', CACHE_NONE);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
