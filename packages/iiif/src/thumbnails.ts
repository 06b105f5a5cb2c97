import { badRequest } from './errors';
import { keepAspect, parseSizeBody, scaleToFit } from './size-common';
import type { Size } from './types';

/**
 * The concrete thumbnail sizes, largest first, for thumbnail policy size strings (IIIF 3.0 size syntax,
 * e.g. the `thumbs/default` policy `["!1024,1024","!400,400","!200,200","!100,100"]`, SPEC §1) of a
 * `width`×`height` image. Rules, the same ones the image-processor makes them with and delivery matches:
 *
 * - `!w,h`: the largest size keeping the aspect ratio inside w×h (`w`-bound edge exact, the other rounded
 *   half up), never larger than the image: `!1024,1024` of 800×600 is 800×600.
 * - `w,` / `,h`: that edge, the other keeping the aspect ratio; capped at the image size.
 * - `max` (or `full`): the image size. `pct:n`: round(edge × n / 100), n capped at 100.
 * - `w,h`: exactly w×h when within the image, else as `!w,h`.
 * - A leading `^` is ignored: thumbnails are never upscaled.
 * - `opts.maxWidth` caps the longest edge: a larger result becomes `!maxWidth,maxWidth` of the image.
 * - Duplicates are removed; order is by width, then height, descending.
 *
 * @param width full image width, pixels
 * @param height full image height, pixels
 * @throws IiifError 400 when a string is not a valid size.
 */
export function thumbnailSizesFor(
  sizeStrings: readonly string[],
  width: number,
  height: number,
  opts: { maxWidth?: number } = {},
): Size[] {
  const out: Size[] = [];
  for (const s of sizeStrings) {
    let { w, h } = thumbnailSize(s, width, height);
    if (opts.maxWidth !== undefined && Math.max(w, h) > opts.maxWidth) {
      ({ w, h } = scaleToFit(width, height, opts.maxWidth, opts.maxWidth, Infinity, false));
    }
    if (!out.some((o) => o.width === w && o.height === h)) out.push({ width: w, height: h });
  }
  return out.sort((a, b) => b.width - a.width || b.height - a.height);
}

function thumbnailSize(s: string, width: number, height: number): { w: number; h: number } {
  const stripped = s.startsWith('^') ? s.slice(1) : s;
  const body = parseSizeBody(stripped === 'full' ? 'max' : stripped, s);
  switch (body.kind) {
    case 'max':
      return { w: width, h: height };
    case 'confined':
      return scaleToFit(width, height, body.w, body.h, Infinity, false);
    case 'width':
      return body.w >= width ? { w: width, h: height } : { w: body.w, h: keepAspect(body.w, width, height) };
    case 'height':
      return body.h >= height ? { w: width, h: height } : { w: keepAspect(body.h, height, width), h: body.h };
    case 'percent': {
      const n = Math.min(100, body.n);
      const w = Math.round((width * n) / 100);
      const h = Math.round((height * n) / 100);
      if (w === 0 || h === 0) badRequest(`Thumbnail size "${s}" gives a zero-sized image`);
      return { w, h };
    }
    case 'exact':
      return body.w <= width && body.h <= height
        ? { w: body.w, h: body.h }
        : scaleToFit(width, height, body.w, body.h, Infinity, false);
  }
}

/**
 * Splits thumbnail sizes into those anyone may see and those that need authorisation (SPEC §6,
 * DLCS `maxUnauthorised`): a size is open when its longest edge is <= `openMax`; `openMax` undefined
 * means every size is open. Order is preserved.
 */
export function splitOpenAuth(
  sizes: readonly Size[],
  openMax: number | undefined,
): { open: Size[]; auth: Size[] } {
  const open: Size[] = [];
  const auth: Size[] = [];
  for (const s of sizes)
    (openMax === undefined || Math.max(s.width, s.height) <= openMax ? open : auth).push(s);
  return { open, auth };
}

/**
 * The pre-made size to produce a `target` output from: the smallest size at least as large as the target
 * in both edges (an exact match when there is one), or undefined when none is large enough
 * (SPEC §5 "a size that is not pre-made is resized from the next larger one").
 */
export function thumbnailSourceFor(
  target: { w: number; h: number },
  sizes: readonly Size[],
): Size | undefined {
  let best: Size | undefined;
  for (const s of sizes) {
    if (s.width < target.w || s.height < target.h) continue;
    if (!best || s.width * s.height < best.width * best.height) best = s;
  }
  return best;
}

/** `[[w, h], ...]` (the asset `derivatives.thumbnails.open/auth` JSON shape) to `{ width, height }` objects. */
export function sizesFromPairs(pairs: ReadonlyArray<readonly [number, number]>): Size[] {
  return pairs.map(([width, height]) => ({ width, height }));
}

/** `{ width, height }` objects to `[[w, h], ...]`. */
export function sizesToPairs(sizes: readonly Size[]): Array<[number, number]> {
  return sizes.map((s) => [s.width, s.height]);
}
