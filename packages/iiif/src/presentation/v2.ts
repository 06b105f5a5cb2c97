import { IMAGE_V2_CONTEXT } from '../http';
import { profileUri } from '../profiles';
import {
  assetPresentation,
  assetUrls,
  canvasLabel,
  dctypeFor,
  labelV2,
  largestThumbnail,
  sortedThumbnails,
  thumbnailFor,
  thumbnailUrl,
  type AssetUrls,
} from './asset-resources';
import { PRESENTATION_V2_CONTEXT } from './http';
import type { JsonObject, LabelValue, ManifestInput, PresentationAsset } from './types';

/**
 * True when the asset can be shown in a Presentation 2.1 manifest: an `image` asset (SPEC.md §5: "2.1 on request
 * for image assets only"). 2.1 has no time-based canvases.
 */
export function presentableInV2(asset: PresentationAsset): boolean {
  return assetPresentation(asset) === 'image';
}

/** A 2.1 image service description (`@context` Image 2, `@id`, `profile` level URI; `sizes` for level 0). */
function imageServiceV2(id: string, level: 0 | 2, sizes?: JsonObject[]): JsonObject {
  const s: JsonObject = { '@context': IMAGE_V2_CONTEXT, '@id': id, profile: profileUri(2, level) };
  if (sizes && sizes.length > 0) s.sizes = sizes;
  return s;
}

/** The thumbs service in 2.1 (level 0, its sizes). */
function thumbsServiceV2(asset: PresentationAsset, urls: AssetUrls): JsonObject {
  return imageServiceV2(urls.thumbs(2), 0, sortedThumbnails(asset) as unknown as JsonObject[]);
}

/** `rendering` of the original in 2.1 (`@id`, `label`, `format`). */
function fileRenderingV2(asset: PresentationAsset, urls: AssetUrls): JsonObject {
  return {
    '@id': urls.file,
    '@type': dctypeFor(asset.mediaType),
    label: labelV2(canvasLabel(asset)),
    format: asset.mediaType,
  };
}

/** A 2.1 `metadata` / `attribution`-style pair. */
function pairV2(p: LabelValue): JsonObject {
  return { label: labelV2(p.label), value: labelV2(p.value) };
}

/**
 * The 2.1 canvas of an image asset (Presentation 2.1 §5.4 Canvas, §5.5 Image Resources): `images` holds one
 * `oa:Annotation` (`sc:painting`, `on` the canvas) whose resource is the largest open thumbnail (or the image
 * service's `full/full`) with the IIIF Image 2 service; `thumbnail` with its level-0 service; `rendering` of the
 * original with the `file` channel. Undefined for assets {@link presentableInV2} refuses.
 */
export function canvasV2(asset: PresentationAsset, urls: AssetUrls): JsonObject | undefined {
  if (!presentableInV2(asset)) return undefined;
  const deepZoom = asset.channels.includes('iiif-img');
  const largest = largestThumbnail(asset);
  const service = deepZoom ? imageServiceV2(urls.image(2), 2) : thumbsServiceV2(asset, urls);
  const resource: JsonObject = largest
    ? {
        '@id': thumbnailUrl(urls.thumbs(2), largest),
        '@type': 'dctypes:Image',
        format: 'image/jpeg',
        width: largest.width,
        height: largest.height,
        service,
      }
    : {
        '@id': `${urls.image(2)}/full/full/0/default.jpg`,
        '@type': 'dctypes:Image',
        format: 'image/jpeg',
        service,
      };
  const canvas: JsonObject = {
    '@id': urls.canvas,
    '@type': 'sc:Canvas',
    label: labelV2(canvasLabel(asset)),
    width: asset.width,
    height: asset.height,
  };
  const thumb = thumbnailFor(asset);
  if (thumb) {
    canvas.thumbnail = {
      '@id': thumbnailUrl(urls.thumbs(2), thumb),
      '@type': 'dctypes:Image',
      format: 'image/jpeg',
      width: thumb.width,
      height: thumb.height,
      service: thumbsServiceV2(asset, urls),
    };
  }
  if (asset.channels.includes('file')) canvas.rendering = [fileRenderingV2(asset, urls)];
  canvas.images = [
    {
      '@id': `${urls.canvas}/page/painting`,
      '@type': 'oa:Annotation',
      motivation: 'sc:painting',
      resource,
      on: urls.canvas,
    },
  ];
  return canvas;
}

/**
 * Builds a IIIF Presentation 2.1 manifest (Presentation 2.1 §5.3): `sc:Manifest` with one `sc:Sequence` of one
 * `sc:Canvas` per image asset, in the order given (see {@link canvasV2}); file-only assets as manifest-level
 * `rendering`; AV and `none` assets are left out (2.1 has no time-based canvases). Labels become plain strings
 * (or `@value`/`@language` lists); `summary` → `description`, `requiredStatement` → `attribution` (its value),
 * `rights` → `license`. Restricted assets get no auth services here (IIIF Auth 2.0 is described for 3.0 only).
 * @returns JSON that `@iiif/parser` upgrades to a valid 3.0 manifest.
 */
export function buildManifestV2(input: ManifestInput): JsonObject {
  const canvases: JsonObject[] = [];
  const renderings: JsonObject[] = [];
  for (const asset of input.assets) {
    const urls = assetUrls(input.base, asset, input.imageDefaultVersion);
    const canvas = canvasV2(asset, urls);
    if (canvas) canvases.push(canvas);
    else if (assetPresentation(asset) === 'file') renderings.push(fileRenderingV2(asset, urls));
  }
  const manifest: JsonObject = {
    '@context': PRESENTATION_V2_CONTEXT,
    '@id': input.id,
    '@type': 'sc:Manifest',
    label: labelV2(input.label),
  };
  if (input.summary) manifest.description = labelV2(input.summary);
  if (input.metadata && input.metadata.length > 0) manifest.metadata = input.metadata.map(pairV2);
  if (input.requiredStatement) manifest.attribution = labelV2(input.requiredStatement.value);
  if (input.rights) manifest.license = input.rights;
  const first = canvases.find((c) => c.thumbnail);
  if (first) manifest.thumbnail = first.thumbnail;
  if (renderings.length > 0) manifest.rendering = renderings;
  manifest.sequences = [
    {
      '@id': `${input.id}/sequence/s0`,
      '@type': 'sc:Sequence',
      label: 'Current order',
      canvases,
    },
  ];
  return manifest;
}
