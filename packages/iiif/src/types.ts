/** IIIF Image API major version: 2 (= 2.1.1) or 3 (= 3.0.0). */
export type IiifVersion = 2 | 3;

/**
 * A parsed region parameter (IIIF Image API 3.0 §4.1, 2.1 §4.1).
 * `pixels`: integers in full-image pixels. `percent`: floats, percent of the full image's width (x, w)
 * and height (y, h).
 */
export type RegionRequest =
  | { kind: 'full' }
  | { kind: 'square' }
  | { kind: 'pixels'; x: number; y: number; w: number; h: number }
  | { kind: 'percent'; x: number; y: number; w: number; h: number };

/**
 * A parsed size parameter (IIIF Image API 3.0 §4.2, 2.1 §4.2). Widths/heights are output pixels;
 * `n` is a percentage of the extracted region. `upscale` says whether the result may be larger than the
 * extracted region: in 3.0 it is set by the `^` prefix; in 2.1 it is `true` for `w,`, `,h`, `pct:n`,
 * `w,h` and `!w,h` (2.1 allows sizes above full, the `sizeAboveFull` feature) and `false` for
 * `full`/`max`, which both parse to `{ kind: 'max' }`. Upscaling is served only within size limits.
 */
export type SizeRequest =
  | { kind: 'max'; upscale: boolean }
  | { kind: 'width'; w: number; upscale: boolean }
  | { kind: 'height'; h: number; upscale: boolean }
  | { kind: 'percent'; n: number; upscale: boolean }
  | { kind: 'exact'; w: number; h: number; upscale: boolean }
  | { kind: 'confined'; w: number; h: number; upscale: boolean };

/** A parsed rotation parameter (IIIF Image API 3.0 §4.3): clockwise degrees 0–360, `mirror` = `!` prefix. */
export interface RotationRequest {
  degrees: number;
  mirror: boolean;
}

/** Qualities (IIIF Image API 3.0 §4.4, 2.1 §4.4). 2.1 has no `native` (that was 1.x); it is rejected. */
export type Quality = 'default' | 'color' | 'gray' | 'bitonal';

/** Formats this platform can produce (IIIF Image API 3.0 §4.5). `jp2` and `pdf` are not supported (400). */
export type ImageFormat = 'jpg' | 'png' | 'webp' | 'tif' | 'gif';

/** A fully parsed image request `{region}/{size}/{rotation}/{quality}.{format}`. */
export interface ImageRequest {
  version: IiifVersion;
  region: RegionRequest;
  size: SizeRequest;
  rotation: RotationRequest;
  quality: Quality;
  format: ImageFormat;
}

/** A rectangle in full-image pixels (integers). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Server-imposed size limits, output pixels (IIIF Image API 3.0 §5.2 "Technical Properties", 2.1 §5.3).
 * When `maxWidth` is set and `maxHeight` is not, `maxHeight = maxWidth` (what clients infer), so a
 * `maxWidth` alone limits the longest edge.
 */
export interface SizeLimits {
  maxWidth?: number;
  maxHeight?: number;
  maxArea?: number;
}

/** A width/height pair in pixels, as used in info.json `sizes`. */
export interface Size {
  width: number;
  height: number;
}
