import { badRequest, notImplementedUpscaling } from '../errors';
import {
  exceedsLimits,
  hasLimits,
  keepAspect,
  parseSizeBody,
  resolveLimits,
  scaleToFit,
} from '../size-common';
import type { SizeLimits, SizeRequest } from '../types';

/**
 * Parses a IIIF Image API 2.1 size parameter (2.1 §4.2): `full`, `max`, `w,`, `,h`, `pct:n`, `w,h`,
 * `!w,h`. `full` and `max` both parse to `{ kind: 'max', upscale: false }` (see {@link resolveSizeV2}).
 * The other forms get `upscale: true`: 2.1 has no `^`, and a server MAY scale above the region's size
 * (the `sizeAboveFull` feature): this platform does, but only within size limits (else 501, see
 * {@link resolveSizeV2}); `pct:n` may exceed 100.
 *
 * @throws IiifError 400 for `^` (3.0 syntax), bad syntax and zero values.
 */
export function parseSizeV2(s: string): SizeRequest {
  if (s.startsWith('^')) badRequest(`Invalid size "${s}": "^" is not part of IIIF Image API 2.1`);
  if (s === 'full') return { kind: 'max', upscale: false };
  const parsed = parseSizeBody(s, s);
  return { ...parsed, upscale: parsed.kind !== 'max' };
}

/**
 * Resolves a 2.1 size against the extracted region (IIIF Image API 2.1 §4.2), output pixels.
 *
 * - `full` / `max`: the region size, scaled down (aspect kept) to fit maxWidth/maxHeight/maxArea. 2.1
 *   says `full` is "not scaled" and `max` is "the maximum size available"; they differ only when the
 *   region exceeds the limits, and 2.1 §3.2 of the compliance document warns clients not to assume
 *   `/full/full/` is served, so `full` is treated as `max` (capped) rather than refused.
 * - `w,` / `,h`: that edge exactly, the other keeps the aspect ratio (rounded half up, at least 1).
 * - `pct:n`: both edges `round(edge * n / 100)`.
 * - `w,h`: exactly w×h (`sizeByDistortedWh`).
 * - `!w,h`: "best fit" inside w×h keeping the aspect ratio, capped by the limits (may upscale).
 *
 * @throws IiifError 400 when a result (other than `full`/`max`/`!w,h`) exceeds maxWidth, maxHeight
 *   (= maxWidth when absent) or maxArea, or when an edge would be 0 pixels.
 */
export function resolveSizeV2(
  size: SizeRequest,
  region: { w: number; h: number },
  limits?: SizeLimits,
): { w: number; h: number } {
  const l = resolveLimits(limits);
  const { w: rw, h: rh } = region;
  let out: { w: number; h: number };
  switch (size.kind) {
    case 'max':
      return scaleToFit(rw, rh, l.maxWidth, l.maxHeight, l.maxArea, false);
    case 'confined':
      // "best fit" is the server's call (2.1 §4.2): above the region only when limits bound it.
      return scaleToFit(
        rw,
        rh,
        Math.min(size.w, l.maxWidth),
        Math.min(size.h, l.maxHeight),
        l.maxArea,
        hasLimits(l),
      );
    case 'width':
      out = { w: size.w, h: keepAspect(size.w, rw, rh) };
      break;
    case 'height':
      out = { w: keepAspect(size.h, rh, rw), h: size.h };
      break;
    case 'percent':
      out = { w: Math.round((rw * size.n) / 100), h: Math.round((rh * size.n) / 100) };
      if (out.w === 0 || out.h === 0) badRequest(`Size pct:${size.n} gives a zero-sized image`);
      break;
    case 'exact':
      out = { w: size.w, h: size.h };
      break;
  }
  if (exceedsLimits(out.w, out.h, l)) badRequest(`Size ${out.w}x${out.h} exceeds the server's size limits`);
  if ((out.w > rw || out.h > rh) && !hasLimits(l)) notImplementedUpscaling();
  return out;
}

/**
 * The canonical 2.1 size parameter for an output size (IIIF Image API 2.1 §4.7 and the `full`
 * deprecation warning in §4.2): `full` when the output is the region's size, else `w,` when the
 * output keeps the region's aspect ratio (as `w,` would compute it), else `w,h`.
 */
export function canonicalSizeV2(out: { w: number; h: number }, region: { w: number; h: number }): string {
  if (out.w === region.w && out.h === region.h) return 'full';
  if (keepAspect(out.w, region.w, region.h) === out.h) return `${out.w},`;
  return `${out.w},${out.h}`;
}
