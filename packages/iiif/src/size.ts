import type { IiifVersion, Rect, SizeLimits, SizeRequest } from './types';
import { canonicalSizeV2, parseSizeV2, resolveSizeV2 } from './v2/size';
import { canonicalSizeV3, parseSizeV3, resolveSizeV3 } from './v3/size';

/**
 * Parses a size parameter for the given API version (IIIF Image API 3.0 §4.2 / 2.1 §4.2); see
 * {@link parseSizeV3} and {@link parseSizeV2}. 3.0 `full` and 2.1 `^...` are invalid.
 *
 * @throws IiifError 400 on invalid syntax or zero values.
 */
export function parseSize(s: string, version: IiifVersion): SizeRequest {
  return version === 3 ? parseSizeV3(s) : parseSizeV2(s);
}

/**
 * Resolves a size against the extracted region to output pixels (see {@link resolveSizeV3} and
 * {@link resolveSizeV2} for the per-version rules).
 *
 * @param region the resolved region's size, pixels
 * @param limits maxWidth/maxHeight/maxArea, output pixels; maxHeight defaults to maxWidth
 * @throws IiifError 400 for upscaling without `^` (3.0), sizes beyond the limits, zero-sized results.
 */
export function resolveSize(
  size: SizeRequest,
  region: { w: number; h: number },
  version: IiifVersion,
  limits?: SizeLimits,
): { w: number; h: number } {
  return version === 3 ? resolveSizeV3(size, region, limits) : resolveSizeV2(size, region, limits);
}

/**
 * The canonical size parameter (3.0 §4.8: `max` / `^max` / `w,h` / `^w,h`; 2.1 §4.7: `full` / `w,` /
 * `w,h`) for an output size `out` of the resolved `region`.
 */
export function canonicalSize(
  out: { w: number; h: number },
  region: Rect | { w: number; h: number },
  version: IiifVersion,
  limits?: SizeLimits,
): string {
  return version === 3 ? canonicalSizeV3(out, region, limits) : canonicalSizeV2(out, region);
}
