import { badRequest, notFound } from '../delivery-errors';

/** The URL prefix of the `file` delivery channel (SPEC.md §5). */
export const FILE_PREFIX = 'file';

/** A parsed `/file/{c}/{s}/{id}` path, every segment decoded. */
export interface FilePath {
  /** Customer segment as given: integer id or name (SPEC.md §1). */
  customer: string;
  /** Space segment (an integer when valid; the lookup answers 404 otherwise). */
  space: string;
  /** Asset id, `%`-escapes resolved. */
  id: string;
}

/**
 * Splits and decodes a raw (still percent-encoded) request path `/file/{c}/{s}/{id}` such as `req.path`. Each
 * segment is decoded on its own, so an id written with escapes (`my%20id`) is found; one trailing slash is
 * tolerated. There is no version slug: `/file/v2/...` is customer `v2` (no customer name looks like that,
 * SPEC.md §1, so it is a 404).
 * @throws ProblemException 404 when the path has not exactly a customer, a space and an id (an id never holds
 *   `/`, SPEC.md §1); 400 for a malformed percent-escape.
 */
export function parseFilePath(rawPath: string): FilePath {
  const raw = rawPath.split('/').slice(1);
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  const [prefix, ...rest] = raw;
  if (prefix !== FILE_PREFIX || rest.length !== 3 || rest.some((s) => s === '')) {
    throw notFound(`No such resource: ${rawPath}; a file is at /file/{customer}/{space}/{id}`);
  }
  let segs: string[];
  try {
    segs = rest.map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`Malformed percent-escape in path ${rawPath}`);
  }
  const [customer, space, id] = segs;
  return { customer, space, id };
}
