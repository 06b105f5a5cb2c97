import { badRequest } from './errors';
import { parseNonNegativeDecimal, parseNonNegativeInteger } from './numbers';
import type { SizeLimits } from './types';

/** A size parameter without its upscale flag: what 2.1 and 3.0 share after the 3.0 `^` prefix. */
export type SizeBody =
  | { kind: 'max' }
  | { kind: 'width'; w: number }
  | { kind: 'height'; h: number }
  | { kind: 'percent'; n: number }
  | { kind: 'exact'; w: number; h: number }
  | { kind: 'confined'; w: number; h: number };

/**
 * Parses the forms 2.1 and 3.0 share: `max`, `w,`, `,h`, `pct:n`, `w,h`, `!w,h`. Widths and heights are
 * positive integers, `n` a positive decimal (IIIF Image API 3.0 §4.2 and §4.7).
 *
 * @param body the parameter after any `^` prefix
 * @param original the whole parameter, for error messages
 * @throws IiifError 400 on bad syntax or a zero value (a zero-sized result, 3.0 §4.2 / 2.1 §4.2).
 */
export function parseSizeBody(body: string, original: string): SizeBody {
  if (body === 'max') return { kind: 'max' };
  if (body.startsWith('pct:')) {
    const n = parseNonNegativeDecimal(body.slice(4));
    if (n === undefined) badRequest(`Invalid size "${original}"`);
    if (n === 0) badRequest(`Size "${original}" gives a zero-sized image`);
    return { kind: 'percent', n };
  }
  const confined = body.startsWith('!');
  const parts = (confined ? body.slice(1) : body).split(',');
  if (parts.length !== 2) badRequest(`Invalid size "${original}"`);
  const [ws, hs] = parts as [string, string];
  const w = ws === '' ? undefined : parseNonNegativeInteger(ws);
  const h = hs === '' ? undefined : parseNonNegativeInteger(hs);
  if ((ws !== '' && w === undefined) || (hs !== '' && h === undefined))
    badRequest(`Invalid size "${original}"`);
  if (w === 0 || h === 0) badRequest(`Size "${original}" gives a zero-sized image`);
  if (w !== undefined && h !== undefined)
    return confined ? { kind: 'confined', w, h } : { kind: 'exact', w, h };
  if (confined) badRequest(`Invalid size "${original}": "!w,h" needs both a width and a height`);
  if (w !== undefined) return { kind: 'width', w };
  if (h !== undefined) return { kind: 'height', h };
  return badRequest(`Invalid size "${original}"`);
}

/** Limits with absent values as Infinity; `maxHeight` defaults to `maxWidth` (IIIF Image API 3.0 §5.2). */
export interface ResolvedLimits {
  maxWidth: number;
  maxHeight: number;
  maxArea: number;
}

/** Size limits with defaults filled in: `maxHeight` defaults to `maxWidth` (IIIF Image API 3.0 §5.3); absent = Infinity. */
export function resolveLimits(limits: SizeLimits | undefined): ResolvedLimits {
  const maxWidth = limits?.maxWidth ?? Infinity;
  return { maxWidth, maxHeight: limits?.maxHeight ?? maxWidth, maxArea: limits?.maxArea ?? Infinity };
}

/** Whether any limit is finite (upscaling is only offered then; IIIF Image API 3.0 §5.7). */
export function hasLimits(l: ResolvedLimits): boolean {
  return l.maxWidth !== Infinity || l.maxHeight !== Infinity || l.maxArea !== Infinity;
}

/** Whether a `w`×`h` pixel output breaks `maxWidth`, `maxHeight` or `maxArea` (IIIF Image API 3.0 §4.2). */
export function exceedsLimits(w: number, h: number, l: ResolvedLimits): boolean {
  return w > l.maxWidth || h > l.maxHeight || w * h > l.maxArea;
}

/** The dimension that keeps the aspect ratio `from`:`to` for `given`, rounded half up, at least 1 pixel. */
export function keepAspect(given: number, fromGiven: number, fromOther: number): number {
  return Math.max(1, Math.round((fromOther * given) / fromGiven));
}

/**
 * Scales `w`×`h` keeping its aspect ratio to the largest size inside `boxW`×`boxH` and `maxArea`
 * (and, unless `allowUpscale`, not larger than `w`×`h`). The binding edge gets the box value exactly and
 * the other edge is rounded half up (at least 1); an area-bound result is floored, as in the IIIF Image
 * API 3.0 Implementation Notes §4 "Maximum size calculation". Infinite bounds mean no bound; with no
 * bound at all the input size is returned.
 */
export function scaleToFit(
  w: number,
  h: number,
  boxW: number,
  boxH: number,
  maxArea: number,
  allowUpscale: boolean,
): { w: number; h: number } {
  const sw = boxW / w;
  const sh = boxH / h;
  const sa = Math.sqrt(maxArea / (w * h));
  const s = Math.min(sw, sh, sa, allowUpscale ? Infinity : 1);
  if (s === Infinity || (s === 1 && !allowUpscale)) return { w, h };
  let out: { w: number; h: number };
  if (s === sw) out = { w: boxW, h: keepAspect(boxW, w, h) };
  else if (s === sh) out = { w: keepAspect(boxH, h, w), h: boxH };
  else out = areaFloor(w, h, s);
  if (out.w * out.h > maxArea) out = areaFloor(w, h, s);
  return out;
}

function areaFloor(w: number, h: number, s: number): { w: number; h: number } {
  return { w: Math.max(1, Math.floor(w * s)), h: Math.max(1, Math.floor(h * s)) };
}
