import type { IiifVersion } from '@vellum/iiif';
import type { ProblemException } from '@vellum/common';
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
  /**
   * True for the open substitute image service of a restricted asset, `/{id}/substitute[/...]` (IIIF Auth 2.0
   * §2.1.1 `substitute`, seed 004 "openMaxWidth"): `kind` then says what beneath it is asked for.
   */
  substitute?: boolean;
}

/** The path segment of the substitute image service beneath an asset's image service. */
export const SUBSTITUTE = 'substitute';

/** 400: the path has the shape of an image request but not its four parameters (IIIF Image API 3.0 §4). */
function malformedImageRequest(rawPath: string, params: string[]): ProblemException {
  return badRequest(
    `Invalid IIIF image request ${rawPath}: expected /{region}/{size}/{rotation}/{quality}.{format} or ` +
      `/info.json after the identifier, got ${params.length} segment${params.length === 1 ? '' : 's'} ` +
      `(${params.map((p) => JSON.stringify(p)).join(', ')})`,
  );
}

/**
 * Splits and decodes a raw (still percent-encoded) request path such as `req.path`. Each segment is decoded on
 * its own, so an id containing `%2F` stays one segment. After `{c}/{s}`:
 * - one segment: the identifier (`base`);
 * - the identifier and `info.json` (`info`);
 * - the identifier and exactly four image parameters (`image`), parsed from the right: with more segments, the
 *   identifier would contain an unescaped `/` (IIIF Image API 3.0 §9 requires `%2F`), so `id` joins them with
 *   `/` and the lookup answers 404 (what the official validator's `id_error_escapedslash` expects);
 * - anything else after the identifier (one to three parameters, an empty parameter as in `full////max/...`)
 *   is invalid IIIF syntax: 400.
 * The substitute service of an asset, `{id}/substitute`, `{id}/substitute/info.json` and
 * `{id}/substitute/{region}/{size}/{rotation}/{quality}.{format}`, is told apart by its unescaped second segment:
 * an identifier holding a `/` must escape it (`%2F`), so `substitute` there is never part of one.
 * @throws ProblemException 404 for an unknown version slug, an empty or missing customer, space or identifier;
 *   400 for a malformed percent-escape or a malformed image request.
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
  const [customer, space, ...rest] = segs;
  if (!customer || !space || rest.length === 0 || !rest[0]) throw notFound(`No such resource: ${rawPath}`);
  const at = (idSegments: string[]): string => {
    if (idSegments.some((x) => x === '')) throw notFound(`No such resource: ${rawPath}`);
    return idSegments.join('/');
  };
  if (rest.length === 1) return { prefix, slug, customer, space, id: rest[0], kind: 'base' };
  if (rest[1] === SUBSTITUTE && raw[raw.length - rest.length + 1] === SUBSTITUTE) {
    const sub = { prefix, slug, customer, space, id: rest[0], substitute: true };
    if (rest.length === 2) return { ...sub, kind: 'base' };
    if (rest.length === 3 && rest[2] === 'info.json') return { ...sub, kind: 'info' };
    if (rest.length === 6 && rest.slice(2).every((x) => x !== ''))
      return { ...sub, kind: 'image', params: rest.slice(2) as [string, string, string, string] };
  }
  if (rest[rest.length - 1] === 'info.json')
    return { prefix, slug, customer, space, id: at(rest.slice(0, -1)), kind: 'info' };
  const params = rest.slice(1);
  if (params.length < 4 || rest.slice(-4).some((x) => x === '')) {
    throw malformedImageRequest(rawPath, params.length < 4 ? params : rest.slice(-4));
  }
  return {
    prefix,
    slug,
    customer,
    space,
    id: at(rest.slice(0, -4)),
    kind: 'image',
    params: rest.slice(-4) as [string, string, string, string],
  };
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
