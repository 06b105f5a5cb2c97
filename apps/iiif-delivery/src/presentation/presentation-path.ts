import type { PresentationVersion } from '@vellum/iiif';
import { badRequest, notFound } from '../delivery-errors';

/** The URL families of the Presentation feature (SPEC.md §5, §7). */
export const IIIF_MANIFEST = 'iiif-manifest';
export const IIIF_RESOURCE = 'iiif-resource';
export const RAW_RESOURCE = 'raw-resource';

/** `/iiif-manifest/[v2/|v3/]{c}/{s}/{id}`, decoded. */
export interface ManifestPath {
  slug?: PresentationVersion;
  customer: string;
  space: string;
  id: string;
}

/** `/iiif-resource/[v2/|v3/]{c}/{query}/{args...}` or `/raw-resource/{c}/{query}/{args...}`, decoded. */
export interface NamedQueryPath {
  slug?: PresentationVersion;
  customer: string;
  query: string;
  /** The raw (still percent-encoded) argument part after the query name, for `parseNamedQueryArguments`. */
  argumentTail: string;
}

/** Splits a raw path into its segments after the prefix, each decoded (400 for a malformed escape). */
function segments(rawPath: string): string[] {
  const raw = rawPath.split('/').slice(2);
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`Malformed percent-escape in path ${rawPath}`);
  }
}

/**
 * A leading `v{N}` segment: the Presentation API version. Customer names can never look like one (SPEC.md §1:
 * not `v` followed by digits), so `v4` is an unknown version, never a customer.
 * @throws 400 for a version other than 2 or 3.
 */
function takeSlug(segs: string[]): PresentationVersion | undefined {
  const v = /^v(\d+)$/.exec(segs[0] ?? '');
  if (!v) return undefined;
  segs.shift();
  if (v[1] !== '2' && v[1] !== '3') {
    throw badRequest(
      `Unknown IIIF Presentation API version v${v[1]}: use /v2/ (Presentation 2.1) or /v3/ (3.0, the default)`,
    );
  }
  return Number(v[1]) as PresentationVersion;
}

/**
 * Parses a raw `/iiif-manifest/...` path (`req.path`, still percent-encoded).
 * @throws 400 unknown version slug or malformed escape; 404 when a segment is missing or there are extra ones.
 */
export function parseManifestPath(rawPath: string): ManifestPath {
  const segs = segments(rawPath);
  const slug = takeSlug(segs);
  const [customer, space, id, ...rest] = segs;
  if (!customer || !space || !id || rest.length > 0) throw notFound(`No such manifest: ${rawPath}`);
  return { slug, customer, space, id };
}

/**
 * Parses a raw `/iiif-resource/...` (versioned) or `/raw-resource/...` (never versioned) path.
 * @throws 400 unknown version slug or malformed escape; 404 without a customer or a query name.
 */
export function parseNamedQueryPath(rawPath: string, versioned: boolean): NamedQueryPath {
  const rawSegs = rawPath.split('/').slice(2);
  if (rawSegs.length > 0 && rawSegs[rawSegs.length - 1] === '') rawSegs.pop();
  const segs = segments(rawPath);
  const slug = versioned ? takeSlug(segs) : undefined;
  const skip = slug === undefined ? 0 : 1;
  const [customer, query] = segs;
  if (!customer || !query) throw notFound(`No such named query: ${rawPath}`);
  return { slug, customer, query, argumentTail: rawSegs.slice(skip + 2).join('/') };
}
