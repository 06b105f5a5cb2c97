import { profileUri } from '../profiles';
import {
  assetPresentation,
  assetUrls,
  canvasLabel,
  largestThumbnail,
  resourceTypeFor,
  seconds,
  sortedThumbnails,
  thumbnailFor,
  thumbnailUrl,
  type AssetUrls,
} from './asset-resources';
import { AUTH_V2_CONTEXT, PRESENTATION_V3_CONTEXT } from './http';
import type { AuthAccessService, JsonObject, ManifestInput, PresentationAsset } from './types';

/**
 * The IIIF Auth 2.0 probe service of a restricted asset (Auth 2.0 §2.1 `AuthProbeService2`), with the access
 * services that can grant it (each with its token and logout services). The shape only: what the probe answers
 * is the access-control issue's.
 */
export function probeServiceV3(probe: string, access: readonly AuthAccessService[] = []): JsonObject {
  const out: JsonObject = { id: probe, type: 'AuthProbeService2' };
  if (access.length === 0) return out;
  out.service = access.map((a) => {
    const s: JsonObject = a.id === undefined ? {} : { id: a.id };
    s.type = 'AuthAccessService2';
    s.profile = a.profile;
    if (a.label) s.label = a.label;
    if (a.heading) s.heading = a.heading;
    if (a.note) s.note = a.note;
    if (a.confirmLabel) s.confirmLabel = a.confirmLabel;
    const services: JsonObject[] = [{ id: a.tokenService, type: 'AuthAccessTokenService2' }];
    if (a.logoutService) {
      const logout: JsonObject = { id: a.logoutService.id, type: 'AuthLogoutService2' };
      if (a.logoutService.label) logout.label = a.logoutService.label;
      services.push(logout);
    }
    s.service = services;
    return s;
  });
  return out;
}

/**
 * The image service descriptions of an `iiif-img` asset (Presentation 3.0 §5.6 `service`): `ImageService3`
 * (`profile: level2`, with the Auth 2.0 probe service when restricted) and `ImageService2` (`@id`/`@type`, the
 * 2.1 level-2 profile URI), so 2.1-only and 3.0 clients both find theirs.
 */
function imageServicesV3(asset: PresentationAsset, urls: AssetUrls): JsonObject[] {
  const v3: JsonObject = { id: urls.image(3), type: 'ImageService3', profile: 'level2' };
  if (asset.restricted) v3.service = [probeServiceV3(urls.probe, asset.accessServices)];
  return [v3, { '@id': urls.image(2), '@type': 'ImageService2', profile: profileUri(2, 2) }];
}

/** The level-0 thumbs service (`ImageService3`, `sizes` ascending) of an asset with open thumbnails. */
function thumbsServiceV3(asset: PresentationAsset, urls: AssetUrls): JsonObject {
  return {
    id: urls.thumbs(3),
    type: 'ImageService3',
    profile: 'level0',
    sizes: sortedThumbnails(asset),
  };
}

/** `thumbnail` of an asset: one pre-made JPEG with its level-0 service, or undefined without thumbs. */
function thumbnailV3(asset: PresentationAsset, urls: AssetUrls): JsonObject[] | undefined {
  const size = thumbnailFor(asset);
  if (!size) return undefined;
  return [
    {
      id: thumbnailUrl(urls.thumbs(3), size),
      type: 'Image',
      format: 'image/jpeg',
      width: size.width,
      height: size.height,
      service: [thumbsServiceV3(asset, urls)],
    },
  ];
}

/** `rendering` of an asset's original (`file` channel): its URL, type and media type. */
function fileRenderingV3(asset: PresentationAsset, urls: AssetUrls): JsonObject {
  return {
    id: urls.file,
    type: resourceTypeFor(asset.mediaType),
    label: canvasLabel(asset),
    format: asset.mediaType,
  };
}

/**
 * The painted body of an image canvas: the largest open thumbnail (a static JPEG any client can show, with its
 * pixel size) carrying the image services; without thumbs, the image service's `full/max` (a size the service
 * decides, so no width/height); with thumbs only, the thumbnail with its level-0 services (3.0 and 2.1).
 */
function imageBodyV3(asset: PresentationAsset, urls: AssetUrls): JsonObject {
  const deepZoom = asset.channels.includes('iiif-img');
  const largest = largestThumbnail(asset);
  const services = deepZoom
    ? imageServicesV3(asset, urls)
    : [
        thumbsServiceV3(asset, urls),
        { '@id': urls.thumbs(2), '@type': 'ImageService2', profile: profileUri(2, 0) },
      ];
  if (largest) {
    return {
      id: thumbnailUrl(urls.thumbs(3), largest),
      type: 'Image',
      format: 'image/jpeg',
      width: largest.width,
      height: largest.height,
      service: services,
    };
  }
  const body: JsonObject = {
    id: `${urls.image(3)}/full/max/0/default.jpg`,
    type: 'Image',
    format: 'image/jpeg',
    service: services,
  };
  // Restricted pixels: the probe service also goes on the content resource itself (Auth 2.0 §2.1).
  if (asset.restricted) services.push(probeServiceV3(urls.probe, asset.accessServices));
  return body;
}

/** One AV derivative as a painted body (`Sound`/`Video`, `duration` in seconds, probe when restricted). */
function avBodiesV3(asset: PresentationAsset, urls: AssetUrls): JsonObject[] {
  return (asset.transcodes ?? []).map((t) => {
    const body: JsonObject = {
      id: `${urls.av}/${t.path}`,
      type: resourceTypeFor(t.mediaType) === 'Video' ? 'Video' : 'Sound',
      format: t.mediaType,
    };
    if (t.label) body.label = { none: [t.label] };
    if (t.width && t.height) {
      body.width = t.width;
      body.height = t.height;
    }
    body.duration = seconds(t.duration ?? asset.duration ?? 0);
    if (asset.restricted) body.service = [probeServiceV3(urls.probe, asset.accessServices)];
    return body;
  });
}

/**
 * The `placeholderCanvas` of a video canvas (Presentation 3.0 §3.3), for a viewer to show before playback: a
 * canvas the size of the largest open thumbnail, painted with that JPEG and its level-0 service; without
 * thumbnails, the poster frame the transcoder took (`{iiif-av}/poster.jpg`). Undefined for audio (no dimensions)
 * or with neither.
 */
function placeholderCanvasV3(asset: PresentationAsset, urls: AssetUrls): JsonObject | undefined {
  if (!(asset.width && asset.height)) return undefined;
  const largest = largestThumbnail(asset);
  const image: JsonObject | undefined = largest
    ? {
        id: thumbnailUrl(urls.thumbs(3), largest),
        type: 'Image',
        format: 'image/jpeg',
        width: largest.width,
        height: largest.height,
        service: [thumbsServiceV3(asset, urls)],
      }
    : posterImageV3(asset, urls);
  if (!image) return undefined;
  const id = `${urls.canvas}/placeholder`;
  return {
    id,
    type: 'Canvas',
    width: image.width,
    height: image.height,
    items: [
      {
        id: `${id}/page`,
        type: 'AnnotationPage',
        items: [
          { id: `${id}/page/painting`, type: 'Annotation', motivation: 'painting', body: image, target: id },
        ],
      },
    ],
  };
}

/** The poster JPEG of a video (`{iiif-av}/poster.jpg`), or undefined without one. */
function posterImageV3(asset: PresentationAsset, urls: AssetUrls): JsonObject | undefined {
  if (!asset.poster) return undefined;
  return {
    id: `${urls.av}/poster.jpg`,
    type: 'Image',
    format: 'image/jpeg',
    width: asset.poster.width,
    height: asset.poster.height,
  };
}

/** The canvas of an `image` or `av` asset (Presentation 3.0 §3.1 Canvas), or undefined for other kinds. */
export function canvasV3(asset: PresentationAsset, urls: AssetUrls): JsonObject | undefined {
  const kind = assetPresentation(asset);
  if (kind !== 'image' && kind !== 'av') return undefined;
  const canvas: JsonObject = { id: urls.canvas, type: 'Canvas', label: canvasLabel(asset) };
  const page = `${urls.canvas}/page`;
  let items: JsonObject[];
  if (kind === 'image') {
    canvas.width = asset.width;
    canvas.height = asset.height;
    items = [
      {
        id: `${page}/painting`,
        type: 'Annotation',
        motivation: 'painting',
        body: imageBodyV3(asset, urls),
        target: urls.canvas,
      },
    ];
  } else {
    if (asset.width && asset.height) {
      canvas.width = asset.width;
      canvas.height = asset.height;
    }
    canvas.duration = seconds(asset.duration!);
    const bodies = avBodiesV3(asset, urls);
    items =
      bodies.length === 0
        ? []
        : [
            {
              id: `${page}/painting`,
              type: 'Annotation',
              motivation: 'painting',
              body: bodies.length === 1 ? bodies[0] : { type: 'Choice', items: bodies },
              target: urls.canvas,
            },
          ];
  }
  const thumbnail = thumbnailV3(asset, urls);
  if (thumbnail) canvas.thumbnail = thumbnail;
  else if (kind === 'av' && asset.poster) canvas.thumbnail = [posterImageV3(asset, urls)!];
  if (kind === 'av') {
    const placeholder = placeholderCanvasV3(asset, urls);
    if (placeholder) canvas.placeholderCanvas = placeholder;
  }
  if (asset.channels.includes('file')) canvas.rendering = [fileRenderingV3(asset, urls)];
  canvas.items = [{ id: page, type: 'AnnotationPage', items }];
  return canvas;
}

/**
 * Builds a IIIF Presentation 3.0 manifest (SPEC.md §5, §7; Presentation 3.0 §3, §5):
 * - one `Canvas` per `image` asset (`width`/`height`) and per `av` asset (`duration` in seconds, and
 *   `width`/`height` for video, and the poster's largest thumbnail as `placeholderCanvas`), in the order given; its `AnnotationPage` paints the image (the largest open
 *   thumbnail, carrying the image services `ImageService3` and `ImageService2`) or the AV derivatives (one body,
 *   or a `Choice` of several); `thumbnail` from the thumbs service with its level-0 service; `rendering` of the
 *   original when the asset also has the `file` channel;
 * - restricted assets: the Auth 2.0 probe service on the image service (and on AV bodies), and the Auth 2.0
 *   context before the Presentation one;
 * - file-only assets: a manifest-level `rendering` each (id, `type` from the media type, `format`);
 * - `none` assets: left out;
 * - the manifest's `thumbnail` is the first canvas's; `summary`, `metadata`, `requiredStatement`, `rights` are
 *   the caller's.
 * Canvas ids depend only on the asset (see `assetUrls`), so one asset has one canvas id everywhere.
 * @returns a JSON object that validates against the IIIF Presentation 3 JSON schema.
 */
export function buildManifestV3(input: ManifestInput): JsonObject {
  const canvases: JsonObject[] = [];
  const renderings: JsonObject[] = [];
  let restricted = false;
  for (const asset of input.assets) {
    const urls = assetUrls(input.base, asset, input.imageDefaultVersion);
    const canvas = canvasV3(asset, urls);
    if (canvas) {
      canvases.push(canvas);
      restricted ||= !!asset.restricted;
    } else if (assetPresentation(asset) === 'file') {
      renderings.push(fileRenderingV3(asset, urls));
    }
  }
  const manifest: JsonObject = {
    '@context': restricted ? [AUTH_V2_CONTEXT, PRESENTATION_V3_CONTEXT] : PRESENTATION_V3_CONTEXT,
    id: input.id,
    type: 'Manifest',
    label: input.label,
  };
  if (input.summary) manifest.summary = input.summary;
  if (input.metadata && input.metadata.length > 0) manifest.metadata = [...input.metadata];
  if (input.requiredStatement) manifest.requiredStatement = input.requiredStatement;
  if (input.rights) manifest.rights = input.rights;
  const first = canvases.find((c) => c.thumbnail);
  if (first) manifest.thumbnail = first.thumbnail;
  if (renderings.length > 0) manifest.rendering = renderings;
  manifest.items = canvases;
  return manifest;
}
