import type { IiifVersion } from '../types';
import type { LanguageMap, PixelSize, PresentationAsset } from './types';

/**
 * What a manifest shows of one asset, decided once for both Presentation versions (SPEC.md §5, §7, issue 8):
 * - `av`: a canvas with a `duration`: the `iiif-av` channel and a known duration (an audio/video asset, or one
 *   on `iiif-av`, is never shown as an image, even with thumbnails: those become its `thumbnail`);
 * - `image`: a canvas painted with an image: the asset has the `iiif-img` or the `thumbs` channel (with open
 *   thumbnails) and a pixel size;
 * - `file`: only a `rendering` (a link to the original with its media type): the `file` channel and neither of
 *   the above;
 * - `none`: nothing (`none` channel, or nothing deliverable yet).
 */
export type AssetPresentation = 'image' | 'av' | 'file' | 'none';

/** The kind of resource an asset is shown as (see {@link AssetPresentation}). */
export function assetPresentation(asset: PresentationAsset): AssetPresentation {
  const has = (c: string) => asset.channels.includes(c);
  const timeBased = has('iiif-av') || /^(audio|video)\//i.test(asset.mediaType);
  const sized = (asset.width ?? 0) > 0 && (asset.height ?? 0) > 0;
  if (timeBased) {
    if (has('iiif-av') && (asset.duration ?? 0) > 0) return 'av';
  } else if (sized && (has('iiif-img') || (has('thumbs') && (asset.thumbnails?.length ?? 0) > 0))) {
    return 'image';
  }
  if (has('file')) return 'file';
  return 'none';
}

/**
 * Encodes one path segment for a public URL: `encodeURIComponent`, but keeping the RFC 3986 sub-delimiters and
 * `:`/`@` that are legal in a path segment readable (as iiif-delivery writes info.json ids).
 */
export function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** The delivery URLs of one asset (SPEC.md §5), under a public base. */
export interface AssetUrls {
  /** `{base}/iiif-img/[vN/]{c}/{s}/{id}` for Image API version `v` (no slug for the default version). */
  image(v: IiifVersion): string;
  /** `{base}/thumbs/[vN/]{c}/{s}/{id}`. */
  thumbs(v: IiifVersion): string;
  /** `{base}/iiif-av/{c}/{s}/{id}`. */
  av: string;
  /** `{base}/file/{c}/{s}/{id}`. */
  file: string;
  /** `{base}/auth/v2/probe/{c}/{s}/{id}`: the Auth 2.0 probe service (SPEC.md §5). */
  probe: string;
  /** `{base}/iiif-manifest/{c}/{s}/{id}`: the single-asset manifest, at the default (3.0) URL. */
  manifest: string;
  /**
   * `{manifest}/canvas/c/1`: the asset's canvas, the same in every manifest it appears in (single-asset or named
   * query), so annotations made on one apply to all.
   */
  canvas: string;
}

/** The URLs of `asset` under `base` (no trailing slash); `imageDefault` is the version of unversioned image URLs. */
export function assetUrls(
  base: string,
  asset: Pick<PresentationAsset, 'customerId' | 'spaceId' | 'id'>,
  imageDefault: IiifVersion = 3,
): AssetUrls {
  const tail = `${asset.customerId}/${asset.spaceId}/${encodeSegment(asset.id)}`;
  const slug = (v: IiifVersion) => (v === imageDefault ? '' : `v${v}/`);
  const manifest = `${base}/iiif-manifest/${tail}`;
  return {
    image: (v) => `${base}/iiif-img/${slug(v)}${tail}`,
    thumbs: (v) => `${base}/thumbs/${slug(v)}${tail}`,
    av: `${base}/iiif-av/${tail}`,
    file: `${base}/file/${tail}`,
    probe: `${base}/auth/v2/probe/${tail}`,
    manifest,
    canvas: `${manifest}/canvas/c/1`,
  };
}

/** The open thumbnails, smallest first (by width, then height), without duplicates or empty sizes. */
export function sortedThumbnails(asset: PresentationAsset): PixelSize[] {
  const seen = new Set<string>();
  return (asset.thumbnails ?? [])
    .filter((t) => t.width > 0 && t.height > 0)
    .filter((t) => !seen.has(`${t.width},${t.height}`) && seen.add(`${t.width},${t.height}`))
    .map((t) => ({ width: t.width, height: t.height }))
    .sort((a, b) => a.width - b.width || a.height - b.height);
}

/** Longest edge of the thumbnail a canvas shows in a viewer's strip: the smallest open size at least this long. */
export const THUMBNAIL_EDGE = 200;

/**
 * The open thumbnail to use as `thumbnail`: the smallest whose longest edge is at least {@link THUMBNAIL_EDGE},
 * else the largest; undefined without thumbs.
 */
export function thumbnailFor(asset: PresentationAsset): PixelSize | undefined {
  if (!asset.channels.includes('thumbs')) return undefined;
  const sizes = sortedThumbnails(asset);
  return sizes.find((s) => Math.max(s.width, s.height) >= THUMBNAIL_EDGE) ?? sizes[sizes.length - 1];
}

/** The largest open thumbnail (what an image canvas paints as its static body), or undefined. */
export function largestThumbnail(asset: PresentationAsset): PixelSize | undefined {
  if (!asset.channels.includes('thumbs')) return undefined;
  const sizes = sortedThumbnails(asset);
  return sizes[sizes.length - 1];
}

/** `{service}/full/{w},{h}/0/default.jpg`: a pre-made thumbnail (the `w,h` size form is valid in 2.1 and 3.0). */
export function thumbnailUrl(service: string, size: PixelSize): string {
  return `${service}/full/${size.width},${size.height}/0/default.jpg`;
}

/** The canvas label of an asset: its own, or `{ none: [id] }`. */
export function canvasLabel(asset: PresentationAsset): LanguageMap {
  return asset.label && Object.keys(asset.label).length > 0 ? asset.label : { none: [asset.id] };
}

/**
 * The Presentation 3.0 resource `type` for a media type (Presentation 3.0 §3.2 `type` of content resources):
 * `Image`, `Sound`, `Video`, `Text` (text/*, PDF, EPUB, Word...), `Model`, else `Dataset`.
 */
export function resourceTypeFor(
  mediaType: string,
): 'Image' | 'Sound' | 'Video' | 'Text' | 'Model' | 'Dataset' {
  const mt = mediaType.toLowerCase();
  if (mt.startsWith('image/')) return 'Image';
  if (mt.startsWith('audio/')) return 'Sound';
  if (mt.startsWith('video/')) return 'Video';
  if (mt.startsWith('model/')) return 'Model';
  if (
    mt.startsWith('text/') ||
    mt === 'application/pdf' ||
    mt === 'application/epub+zip' ||
    mt === 'application/msword' ||
    mt.startsWith('application/vnd.openxmlformats-officedocument.') ||
    mt.startsWith('application/vnd.oasis.opendocument.text')
  )
    return 'Text';
  return 'Dataset';
}

/** The 2.1 `@type` of a rendering / resource for a media type (Presentation 2.1 §5.x, DCMI types). */
export function dctypeFor(mediaType: string): string {
  const t = resourceTypeFor(mediaType);
  return t === 'Sound' ? 'dctypes:Sound' : t === 'Video' ? 'dctypes:MovingImage' : `dctypes:${t}`;
}

/** Seconds (Presentation `duration`, a floating point number) from milliseconds (SPEC.md §3.4 `duration`). */
export function seconds(ms: number): number {
  return ms / 1000;
}

/**
 * A Presentation 2.1 label from a language map: the plain string when there is one value of `none` (or of a
 * single language and value), else `[{ "@value", "@language" }]` (Presentation 2.1 §5.x languages).
 */
export function labelV2(map: LanguageMap): string | Array<{ '@value': string; '@language'?: string }> {
  const entries = Object.entries(map).filter(([, values]) => values.length > 0);
  if (entries.length === 0) return '';
  if (entries.length === 1 && entries[0][1].length === 1) return entries[0][1][0];
  return entries.flatMap(([lang, values]) =>
    values.map((v) => (lang === 'none' ? { '@value': v } : { '@value': v, '@language': lang })),
  );
}
