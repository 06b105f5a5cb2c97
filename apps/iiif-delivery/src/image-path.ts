import type { IiifVersion } from '@vellum/iiif';
import { badRequest, notFound } from './delivery-errors';

/** A parsed public delivery path `/{prefix}/[v2/|v3/]{c}/{s}/{id}[/...]` (SPEC.md §5). */
export interface DeliveryPath {
  /** `iiif-img` or `thumbs`. */
  prefix: string;
  /** The version slug when the URL has one (`/v2/`, `/v3/`). */
  slug?: IiifVersion;
  /** Customer segment as given (id or name), decoded. */
  customer: string;
  /** Space segment, decoded. */
  space: string;
  /** Asset id, decoded (`%`-escapes resolved). */
  id: string;
  /** `base` = `/{id}` (redirect to info.json); `info` = `/info.json`; `image` = four image parameters. */
  kind: 'base' | 'info' | 'image';
  /** For `image`: region, size, rotation, `quality.format`, decoded. */
  params?: [string, string, string, string];
}

/**
 * Splits and decodes a raw (still percent-encoded) request path such as `req.path`. Each segment is decoded on
 * its own, so an id containing `%2F` stays one segment.
 * @throws ProblemException 404 for a path of another shape or an unknown version slug, 400 for a malformed
 *   percent-escape.
 */
export function parseDeliveryPath(rawPath: string): DeliveryPath {
  const raw = rawPath.split('/').filter((s, i) => i > 0 || s !== '');
  // Tolerate one trailing slash (`/iiif-img/1/2/id/`).
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  let segs: string[];
  try {
    segs = raw.map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`Malformed percent-escape in path ${rawPath}`);
  }
  const prefix = segs.shift() ?? '';
  let slug: IiifVersion | undefined;
  const v = /^v(\d+)$/.exec(segs[0] ?? '');
  if (v) {
    segs.shift();
    if (v[1] !== '2' && v[1] !== '3') throw notFound(`Unknown IIIF Image API version slug v${v[1]}`);
    slug = Number(v[1]) as IiifVersion;
  }
  if (segs.some((s) => s === '')) throw notFound(`No such resource: ${rawPath}`);
  const [customer, space, id, ...rest] = segs;
  if (customer === undefined || space === undefined || id === undefined)
    throw notFound(`No such resource: ${rawPath}`);
  if (rest.length === 0) return { prefix, slug, customer, space, id, kind: 'base' };
  if (rest.length === 1 && rest[0] === 'info.json')
    return { prefix, slug, customer, space, id, kind: 'info' };
  if (rest.length === 4)
    return {
      prefix,
      slug,
      customer,
      space,
      id,
      kind: 'image',
      params: rest as [string, string, string, string],
    };
  throw notFound(`No such resource: ${rawPath}`);
}

/**
 * Encodes an asset id (or any segment) for a public URL: `encodeURIComponent`, but keeping the RFC 3986
 * sub-delimiters and `:`/`@` that are legal in a path segment readable.
 */
export function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** `/{prefix}/[vN/]{c}/{s}/{id}` with each segment encoded; `version` undefined → no slug. */
export function servicePath(
  prefix: string,
  version: IiifVersion | undefined,
  p: Pick<DeliveryPath, 'customer' | 'space' | 'id'>,
): string {
  const slug = version ? `/v${version}` : '';
  return `/${prefix}${slug}/${encodeSegment(p.customer)}/${encodeSegment(p.space)}/${encodeSegment(p.id)}`;
}
