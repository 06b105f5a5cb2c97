import { parseQualityFormat } from './quality-format';
import { canonicalRegion, parseRegion, resolveRegion } from './region';
import { canonicalRotation, parseRotation } from './rotation';
import { canonicalSize, parseSize, resolveSize } from './size';
import type { IiifVersion, ImageRequest, Rect, SizeLimits } from './types';

/**
 * Parses the four path segments of an image request
 * `{region}/{size}/{rotation}/{quality}.{format}` (IIIF Image API 3.0 §4 / 2.1 §4). Segments must be
 * already percent-decoded (as web frameworks give route parameters). Parameters are checked in URL
 * order and the first error is thrown (the spec leaves the order open, 3.0 §7.3).
 *
 * @throws IiifError 400 for any invalid parameter.
 */
export function parseImageRequest(
  version: IiifVersion,
  region: string,
  size: string,
  rotation: string,
  qualityFormat: string,
): ImageRequest {
  return {
    version,
    region: parseRegion(region),
    size: parseSize(size, version),
    rotation: parseRotation(rotation),
    ...parseQualityFormat(qualityFormat),
  };
}

/** An image request resolved against an image: what to cut, what to output, and the canonical path. */
export interface ResolvedImageRequest {
  /** The region to extract, full-image pixels. */
  region: Rect;
  /** The output size before rotation, pixels. */
  size: { w: number; h: number };
  /**
   * The canonical `{region}/{size}/{rotation}/{quality}.{format}` (IIIF Image API 3.0 §4.8, 2.1 §4.7),
   * e.g. for a `Link: <...>;rel="canonical"` header or a cache key.
   */
  canonicalPath: string;
}

/**
 * Resolves a parsed request against a `width`×`height` image: {@link resolveRegion} then
 * {@link resolveSize} with `limits`, plus the canonical path.
 *
 * @throws IiifError 400/501 as resolveRegion and resolveSize do.
 */
export function resolveImageRequest(
  req: ImageRequest,
  width: number,
  height: number,
  limits?: SizeLimits,
): ResolvedImageRequest {
  const region = resolveRegion(req.region, width, height);
  const size = resolveSize(req.size, region, req.version, limits);
  const canonicalPath = [
    canonicalRegion(region, width, height),
    canonicalSize(size, region, req.version, limits),
    canonicalRotation(req.rotation),
    `${req.quality}.${req.format}`,
  ].join('/');
  return { region, size, canonicalPath };
}
