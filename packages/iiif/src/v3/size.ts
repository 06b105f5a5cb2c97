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
 * Parses a IIIF Image API 3.0 size parameter (3.0 §4.2): `max`, `^max`, `w,`, `^w,`, `,h`, `^,h`,
 * `pct:n`, `^pct:n`, `w,h`, `^w,h`, `!w,h`, `^!w,h`. `upscale` is true exactly when `^` is present.
 *
 * @throws IiifError 400 for `full` (a 2.1 keyword, not valid in 3.0), bad syntax, zero values, and
 *   `pct:n` with n > 100 without `^` ("The value of n MUST NOT be greater than 100").
 */
export function parseSizeV3(s: string): SizeRequest {
  const upscale = s.startsWith('^');
  const body = upscale ? s.slice(1) : s;
  if (body === 'full') badRequest(`Invalid size "${s}": "full" is not a IIIF Image API 3.0 size, use "max"`);
  const parsed = parseSizeBody(body, s);
  if (parsed.kind === 'percent' && parsed.n > 100 && !upscale) {
    badRequest(`Size "${s}" is larger than the region; upscaling needs the "^" prefix`);
  }
  return { ...parsed, upscale };
}

/**
 * Resolves a 3.0 size against the extracted region (IIIF Image API 3.0 §4.2), output pixels.
 *
 * - `max`: the region size, scaled down (aspect kept) to fit maxWidth/maxHeight/maxArea; never upscaled.
 * - `^max`: the region scaled (up or down, aspect kept) to the largest size the limits allow; with no
 *   limits, the region size.
 * - `w,` / `,h`: that edge exactly, the other keeps the aspect ratio (rounded half up, at least 1).
 * - `pct:n`: both edges `round(edge * n / 100)`.
 * - `w,h`: exactly w×h.
 * - `!w,h`: the largest size keeping the aspect ratio that fits w×h and the limits ("as large as possible
 *   but not larger than the extracted region, w or h, or server-imposed limits"): capped by the limits, but
 *   a box larger than the region on both edges (whose best fit would upscale it) is refused without `^`;
 * - `^!w,h`: the same, up or down, within the limits.
 *
 * @throws IiifError 400 when a form without `^` would be larger than the region in either dimension
 *   (`!w,h`: when its best fit would be, i.e. w > region width and h > region height),
 *   when a result (other than `max`/`^max`/`!w,h`, which are capped) exceeds maxWidth, maxHeight
 *   (= maxWidth when absent) or maxArea, and when an edge would be 0 pixels.
 * @throws IiifError 501 when a `^` form needs upscaling and no limit is given: upscaling is only offered
 *   within maxWidth/maxArea (3.0 §5.7: a server supporting `sizeUpscaling` MUST specify maxWidth or
 *   maxArea; §4.2: a `^` request needing upscaling the server does not support SHOULD get 501).
 */
export function resolveSizeV3(
  size: SizeRequest,
  region: { w: number; h: number },
  limits?: SizeLimits,
): { w: number; h: number } {
  const l = resolveLimits(limits);
  const { w: rw, h: rh } = region;
  let out: { w: number; h: number };
  switch (size.kind) {
    case 'max':
      return scaleToFit(rw, rh, l.maxWidth, l.maxHeight, l.maxArea, size.upscale && hasLimits(l));
    case 'confined':
      // "not larger than the extracted region" (3.0 §4.2): a box the region fits in with room on both edges
      // asks for upscaling, which needs `^` (the validator's size_noup `!2000,3000` of 1000x1000).
      if (!size.upscale && size.w > rw && size.h > rh) {
        badRequest(
          `Size "!${size.w},${size.h}" would scale the region ${rw}x${rh} up; upscaling needs the "^" prefix`,
        );
      }
      out = scaleToFit(
        rw,
        rh,
        Math.min(size.w, l.maxWidth),
        Math.min(size.h, l.maxHeight),
        l.maxArea,
        size.upscale,
      );
      break;
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
  if (!size.upscale && (out.w > rw || out.h > rh)) {
    badRequest(
      `Size ${out.w}x${out.h} is larger than the region ${rw}x${rh}; upscaling needs the "^" prefix`,
    );
  }
  if (exceedsLimits(out.w, out.h, l)) badRequest(`Size ${out.w}x${out.h} exceeds the server's size limits`);
  if ((out.w > rw || out.h > rh) && !hasLimits(l)) notImplementedUpscaling();
  return out;
}

/**
 * The canonical 3.0 size parameter for an output size (IIIF Image API 3.0 §4.8): `max` when it is what
 * `max` gives, `^max` when it is what `^max` gives and that upscales, else `w,h`, or `^w,h` when the
 * output is larger than the region in either dimension.
 */
export function canonicalSizeV3(
  out: { w: number; h: number },
  region: { w: number; h: number },
  limits?: SizeLimits,
): string {
  const max = resolveSizeV3({ kind: 'max', upscale: false }, region, limits);
  if (out.w === max.w && out.h === max.h) return 'max';
  const upscaled = out.w > region.w || out.h > region.h;
  if (upscaled && hasLimits(resolveLimits(limits))) {
    const upMax = resolveSizeV3({ kind: 'max', upscale: true }, region, limits);
    if (out.w === upMax.w && out.h === upMax.h) return '^max';
  }
  return `${upscaled ? '^' : ''}${out.w},${out.h}`;
}
