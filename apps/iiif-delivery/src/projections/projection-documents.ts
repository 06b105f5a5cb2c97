import contentDisposition from 'content-disposition';
import type { ProjectionKind } from '@vellum/contracts';
import type { NamedQueryProjection } from '@vellum/db';

/**
 * The JSON documents and headers of the stored projections (SPEC.md §7 `pdf`, `zip`). Pure: no framework, no I/O.
 */

/** Content types of the stored objects. */
export const PROJECTION_CONTENT_TYPES: Record<ProjectionKind, string> = {
  pdf: 'application/pdf',
  zip: 'application/zip',
};

/**
 * The control document of `/pdf-control/...` and `/zip-control/...` (the DLCS's control file): when the stored
 * object was built (`created`), its pages (`pageCount`, PDF: the cover page included) or entries (`itemCount`,
 * ZIP), its bytes (`sizeBytes`), whether a build is in process (`inProcess`), the roles of its members (`roles`:
 * the redacted ones in a PDF), plus `stale` (the members changed since it was built: the next request of the
 * object rebuilds it) and, after a failed build, `error`. Absent values are omitted (SPEC.md §3.1).
 */
export function controlDocument(
  row: NamedQueryProjection,
  opts: { id: string; objectUrl: string; stale: boolean },
): Record<string, unknown> {
  const built = row.created !== null && row.objectKey !== null;
  const doc: Record<string, unknown> = {
    id: opts.id,
    type: row.kind === 'pdf' ? 'PdfControl' : 'ZipControl',
    [row.kind === 'pdf' ? 'pdf' : 'zip']: opts.objectUrl,
    exists: built,
    inProcess: row.status === 'in_process',
  };
  if (built) {
    doc.created = row.created!.toISOString();
    doc[row.kind === 'pdf' ? 'pageCount' : 'itemCount'] = row.itemCount ?? 0;
    doc.sizeBytes = Number(row.sizeBytes ?? 0);
    doc.stale = opts.stale;
  }
  doc.roles = row.roles;
  doc.requested = row.requested.toISOString();
  if (row.status === 'failed' && row.error) doc.error = row.error;
  return doc;
}

/** The 202 body while a projection is being built: where to look, and when to come back. */
export function inProcessDocument(
  row: NamedQueryProjection,
  opts: { objectUrl: string; controlUrl: string; retryAfterSeconds: number },
): Record<string, unknown> {
  return {
    [row.kind]: opts.objectUrl,
    control: opts.controlUrl,
    inProcess: true,
    requested: row.requested.toISOString(),
    retryAfter: opts.retryAfterSeconds,
    message: `The ${row.kind === 'pdf' ? 'PDF' : 'ZIP'} is being built; request it again in ${opts.retryAfterSeconds} s.`,
  };
}

/**
 * The download name of a stored projection: the template's `objectname` (SPEC.md §7), else the query's name, with
 * `.pdf` / `.zip` appended unless it already ends so (case-insensitively); the other kind's extension is replaced
 * (one `objectname` names both projections); `/` and `\` become `_`.
 */
export function projectionFileName(kind: ProjectionKind, queryName: string, objectName?: string): string {
  const base = (objectName?.trim() || queryName).replace(/[\\/]/g, '_');
  if (base.toLowerCase().endsWith(`.${kind}`)) return base;
  return `${base.replace(/\.(pdf|zip)$/i, '')}.${kind}`;
}

/**
 * `Content-Disposition` of a stored projection (RFC 6266): `inline` for a PDF (browsers show it), `attachment` for a
 * ZIP; an ASCII `filename` fallback (non-ASCII → `_`) and `filename*` with the exact name when it differs.
 */
export function projectionDisposition(kind: ProjectionKind, fileName: string): string {
  const ascii = fileName.replace(/[^\u0020-\u007e]/g, '_');
  return contentDisposition(fileName, { type: kind === 'pdf' ? 'inline' : 'attachment', fallback: ascii });
}
