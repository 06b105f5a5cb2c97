import { type AvPathRequest, parseAvPath } from '@vellum/iiif';
import { badRequest, notFound } from '../delivery-errors';

/** The URL prefix of the `iiif-av` delivery channel (SPEC.md §5). */
export const AV_PREFIX = 'iiif-av';

/** A parsed `/iiif-av/{c}/{s}/{id}/{derivative path}`, every segment decoded. */
export interface AvRequestPath {
  /** Customer segment as given: integer id or name (SPEC.md §1). */
  customer: string;
  space: string;
  id: string;
  /** Which derivative: `default` or a preset name and the format of the extension, or the video's poster. */
  derivative: AvPathRequest | typeof POSTER;
}

/** The last segment of the poster's URL, `/iiif-av/{c}/{s}/{id}/poster.jpg`. */
export const POSTER = 'poster.jpg';

/**
 * Splits and decodes a raw (still percent-encoded) request path such as `req.path`:
 * `/iiif-av/{c}/{s}/{id}/full/max/default.{mp3|m4a}`, `/iiif-av/{c}/{s}/{id}/full/full/max/max/0/default.{mp4|webm}`
 * or the same with a preset name in place of `default` (see `@vellum/iiif` `parseAvPath`), or
 * `/iiif-av/{c}/{s}/{id}/poster.jpg` (a video's poster frame).
 * @throws ProblemException 404 when the path is no such derivative URL; 400 for a malformed percent-escape.
 */
export function parseAvRequestPath(rawPath: string): AvRequestPath {
  const [prefix, ...raw] = rawPath.split('/').slice(1);
  let segs: string[];
  try {
    segs = raw.map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`Malformed percent-escape in path ${rawPath}`);
  }
  const [customer, space, id, ...rest] = segs;
  const derivative =
    prefix === AV_PREFIX && customer && space && id
      ? rest.length === 1 && rest[0] === POSTER
        ? POSTER
        : parseAvPath(rest)
      : undefined;
  if (!derivative) {
    throw notFound(
      `No such resource: ${rawPath}; audio is at /iiif-av/{customer}/{space}/{id}/full/max/default.{mp3|m4a}, ` +
        'video at /iiif-av/{customer}/{space}/{id}/full/full/max/max/0/default.{mp4|webm}',
    );
  }
  return { customer, space, id, derivative };
}
