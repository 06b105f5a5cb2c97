import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AUTH_V2_CONTEXT,
  buildImageInfoV2,
  buildImageInfoV3,
  canonicalRegion,
  canonicalRotation,
  canonicalSize,
  canonicalTileFor,
  type IiifVersion,
  IMAGE_V3_CONTEXT,
  type ImageRequest,
  mediaTypeFor,
  type Rect,
  resolveRegion,
  resolveSize,
  scaleFactorsFor,
  type SizeLimits,
  type TileAddress,
} from '@vellum/iiif';
import { type Caller, holdsRole, imageRequestAccess, openEdge, substituteMaxWidth } from '@vellum/access';
import { ObjectNotFoundError } from '@vellum/storage';
import { assertAllowed } from './auth/access-control.service';
import type { DeliveryAsset } from './asset-lookup.service';
import { DeliveryMetrics, type RenderKind } from './delivery-metrics';
import { badRequest, iiif, notFound } from './delivery-errors';
import { DeliveryEnv } from './env';
import { etagOf } from './http-cache';
import { PyramidCacheService } from './pyramid-cache.service';
import {
  type CanonicalTileSource,
  type OutputSpec,
  RENDER_FORMATS,
  RENDER_QUALITIES,
  TileRenderer,
} from './tile-renderer.service';
import { ThumbnailStore } from './thumbnail-store.service';
import { DELIVERY_ENV } from './tokens';

/**
 * Image API features implemented (IIIF Image API 3.0 §6 names; the builders drop those the level already
 * includes and translate `sizeUpscaling` to 2.1 `sizeAboveFull`).
 */
export const IMPLEMENTED_FEATURES: readonly string[] = [
  'baseUriRedirect',
  'canonicalLinkHeader',
  'cors',
  'jsonldMediaType',
  'mirroring',
  'profileLinkHeader',
  'regionByPct',
  'regionByPx',
  'regionSquare',
  'rotationArbitrary',
  'rotationBy90s',
  'sizeByConfinedWh',
  'sizeByH',
  'sizeByPct',
  'sizeByW',
  'sizeByWh',
  'sizeUpscaling',
];

/** The platform's bound on every rendered image (`VELLUM_MAX_OUTPUT_PIXELS`, `VELLUM_MAX_OUTPUT_EDGE`). */
export interface OutputLimits {
  /** Output pixels (width × height) of one response. */
  maxPixels: number;
  /** Longest output edge, pixels. */
  maxEdge: number;
}

/**
 * The size limits of an asset's image service (IIIF Image API 3.0 §5.2 `maxWidth`/`maxArea`), output pixels:
 * `maxArea` = the platform's pixel bound, `maxWidth` = the smaller of the platform's edge bound and the asset's
 * `maxWidth` (SPEC.md §6; clients infer `maxHeight = maxWidth`). Every request is resolved against them (`max`
 * is the largest size within them, anything larger is 400) and info.json advertises exactly them, in 3.0 and
 * 2.1 alike. 3.0 §5.7 requires `maxWidth` or `maxArea` when `sizeUpscaling` is offered.
 */
export function limitsOf(asset: Pick<DeliveryAsset, 'maxWidth'>, output: OutputLimits): SizeLimits {
  const maxWidth = asset.maxWidth > 0 ? Math.min(asset.maxWidth, output.maxEdge) : output.maxEdge;
  return { maxWidth, maxArea: output.maxPixels };
}

/**
 * The size limits of an asset's open substitute image service (IIIF Auth 2.0 §2.1.1 `substitute`, seed 004
 * "openMaxWidth"): `maxWidth` = @vellum/access `substituteMaxWidth` (within the platform's edge bound), `maxArea`
 * the platform's; `undefined` when the asset has no substitute.
 */
export function substituteLimitsOf(
  asset: Pick<DeliveryAsset, 'maxWidth' | 'roles' | 'openFullMax' | 'openMaxWidth'>,
  output: OutputLimits,
): SizeLimits | undefined {
  const max = substituteMaxWidth(asset);
  return max === undefined
    ? undefined
    : { maxWidth: Math.min(max, output.maxEdge), maxArea: output.maxPixels };
}

/** What an info.json document of an asset depends on beyond the asset (IIIF Auth 2.0, SPEC.md §6). */
export interface InfoVariant {
  /** The Auth 2.0 services of a restricted asset (`service`), built by the caller for this version. */
  services?: readonly object[];
  /** The caller holds one of the asset's roles: the auth thumbnail sizes are listed too. */
  authorised?: boolean;
  /** The document of the substitute service (open, its own `maxWidth`, no auth services). */
  substitute?: boolean;
  /** What else the document depends on (e.g. the auth-service base of the services), part of its memo key. */
  key?: string;
}

/** The metrics kind of a canonical tile by how it was produced. */
const TILE_KIND: Record<CanonicalTileSource, RenderKind> = {
  stored: 'tile',
  cropped: 'tile-cropped',
  rendered: 'tile-rendered',
};

/** A pre-made thumbnail chosen to answer a full-region request. */
export interface ThumbnailChoice {
  width: number;
  height: number;
  key: string;
  /** Same size as the output: the stored bytes can be sent as they are when no other change is asked. */
  exact: boolean;
}

/** Everything decided about an image request before any pixels are touched. */
export interface ImagePlan {
  req: ImageRequest;
  /** Region in full-image pixels. */
  region: Rect;
  /** Output size before rotation, pixels. */
  out: { w: number; h: number };
  /** `{region}/{size}/{rotation}/{quality}.{format}` in canonical form (3.0 §4.8 / 2.1 §4.7). */
  canonical: string;
  /** The one stored pyramid tile answering it, or null. */
  tile: TileAddress | null;
  /** A pre-made thumbnail that answers it (full region only). */
  thumbnail?: ThumbnailChoice;
  /** Strong ETag of the response. */
  etag: string;
}

/** A rendered image response. */
export interface ImageResult {
  body: Buffer;
  contentType: string;
  kind: RenderKind;
}

/**
 * The Image API logic of iiif-delivery (SPEC.md §5): info.json documents, request planning (region, size,
 * limits, canonical form, tile and thumbnail matching) and rendering through the pyramid disk cache, the
 * thumbnail store and the sharp seam ({@link TileRenderer}).
 */
@Injectable()
export class ImageDeliveryService {
  private readonly logger = new Logger(ImageDeliveryService.name);

  private readonly output: OutputLimits;

  constructor(
    private readonly pyramids: PyramidCacheService,
    private readonly thumbnails: ThumbnailStore,
    private readonly renderer: TileRenderer,
    private readonly metrics: DeliveryMetrics,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
  ) {
    this.output = { maxPixels: env.VELLUM_MAX_OUTPUT_PIXELS, maxEdge: env.VELLUM_MAX_OUTPUT_EDGE };
  }

  /**
   * The serialised info.json of `asset` for `version` with service id `id` (IIIF Image API 3.0 §5 / 2.1 §5),
   * memoised on the asset's cache entry: width/height, tiles (`derivatives.pyramid.tileSize`, scale factors to
   * the smallest level), sizes = open thumbnails (plus the auth ones for an authorised caller), maxWidth when set,
   * and exactly the implemented extras. A restricted asset's document carries its Auth 2.0 services
   * (`variant.services`) and, in 3.0, the Auth 2.0 context first in `@context` (3.0 §5.1 "additional contexts
   * first"). The substitute's document (`variant.substitute`) has `maxWidth` = the substitute's, the open sizes
   * within it and no auth services.
   */
  infoJson(asset: DeliveryAsset, version: IiifVersion, id: string, variant: InfoVariant = {}): string {
    const services = variant.substitute ? [] : (variant.services ?? []);
    const authorised = !variant.substitute && variant.authorised === true;
    const cacheKey = `${version} ${id} ${variant.substitute ? 's' : authorised ? 'a' : 'o'} ${variant.key ?? ''}`;
    const cached = asset.infoCache.get(cacheKey);
    if (cached) return cached;
    const tileSize = asset.pyramid?.tileSize ?? 512;
    const limits = variant.substitute
      ? (substituteLimitsOf(asset, this.output) ?? limitsOf(asset, this.output))
      : limitsOf(asset, this.output);
    const sizes = asset.thumbnails.map((t) => ({ width: t.width, height: t.height }));
    if (authorised) sizes.push(...asset.authThumbnails.map((t) => ({ width: t.width, height: t.height })));
    const input = {
      id,
      width: asset.width,
      height: asset.height,
      tileSize,
      scaleFactors: scaleFactorsFor(asset.width, asset.height, tileSize),
      sizes,
      ...limits,
      extraFormats: [...RENDER_FORMATS],
      extraQualities: [...RENDER_QUALITIES],
      extraFeatures: [...IMPLEMENTED_FEATURES],
      services: [...services],
      // A caller without a role sees only the open sizes (SPEC.md §5 info.json `sizes`, §6).
      ...(authorised || variant.substitute || asset.roles.length === 0
        ? {}
        : { sizeBound: openEdge(asset, true) }),
      profileLevel: 2 as const,
    };
    const doc = version === 3 ? buildImageInfoV3(input) : buildImageInfoV2(input);
    if (version === 3 && services.length > 0) doc['@context'] = [AUTH_V2_CONTEXT, IMAGE_V3_CONTEXT];
    const json = JSON.stringify(doc);
    if (asset.infoCache.size < 16) asset.infoCache.set(cacheKey, json);
    return json;
  }

  /**
   * Resolves a parsed request against the asset (IIIF Image API 3.0 §4): region, size (maxWidth enforced),
   * canonical form, stored-tile and thumbnail matches, ETag. Access is @vellum/access `imageRequestAccess`'s
   * decision for `caller` (SPEC.md §6); the substitute service (`substitute`) is open up to its own `maxWidth`.
   * @throws ProblemException 400 (region outside, upscaling without `^` in 3.0, over maxWidth or maxArea, over the
   *   substitute's maxWidth; 404 when the asset has no substitute), 401 when the asset has roles, the request
   *   exceeds its open sizes and no valid credential came, 403 with a credential lacking the roles.
   */
  plan(asset: DeliveryAsset, req: ImageRequest, caller?: Caller, substitute = false): ImagePlan {
    let limits = limitsOf(asset, this.output);
    if (substitute) {
      const sub = substituteLimitsOf(asset, this.output);
      if (!sub)
        throw notFound(
          `Asset ${asset.customerId}/${asset.spaceId}/${asset.id} has no substitute image service`,
        );
      limits = sub;
    }
    const region = iiif(() => resolveRegion(req.region, asset.width, asset.height));
    const out = iiif(() => resolveSize(req.size, region, req.version, limits));
    const isFull = region.x === 0 && region.y === 0 && region.w === asset.width && region.h === asset.height;
    if (!substitute) {
      const decision = imageRequestAccess(asset, { fullRegion: isFull, width: out.w, height: out.h }, caller);
      if (decision.outcome === 'over-max-width') {
        throw badRequest(
          `The requested size ${out.w}×${out.h} exceeds this image's maxWidth of ${decision.maxWidth} px`,
        );
      }
      assertAllowed(decision, `This size of image ${asset.customerId}/${asset.spaceId}/${asset.id}`);
    }
    const canonical = [
      canonicalRegion(region, asset.width, asset.height),
      canonicalSize(out, region, req.version, limits),
      canonicalRotation(req.rotation),
      `${req.quality}.${req.format}`,
    ].join('/');
    const tileSize = asset.pyramid?.tileSize ?? 512;
    const tile = canonicalTileFor(
      req,
      asset.width,
      asset.height,
      tileSize,
      scaleFactorsFor(asset.width, asset.height, tileSize),
    );
    let thumbnail: ThumbnailChoice | undefined;
    // A caller holding a role may be answered from the auth thumbnails too (the bytes are the same for anyone
    // allowed this size, so the ETag does not depend on the caller).
    const thumbnails =
      !substitute && asset.authThumbnails.length > 0 && holdsRole(asset, caller)
        ? [...asset.thumbnails, ...asset.authThumbnails].sort(
            (a, b) => a.width - b.width || a.height - b.height,
          )
        : asset.thumbnails;
    if (isFull && thumbnails.length > 0) {
      const source = thumbnails.find((t) => t.width >= out.w && t.height >= out.h);
      if (source) thumbnail = { ...source, exact: source.width === out.w && source.height === out.h };
    }
    const etag = etagOf(
      `${asset.customerId}/${asset.spaceId}/${asset.id}`,
      asset.version,
      `v${req.version}`,
      canonical,
    );
    return { req, region, out, canonical, tile, thumbnail, etag };
  }

  /**
   * Produces the image bytes for a plan: a pre-made thumbnail as stored (exact size, default jpg, no rotation),
   * a thumbnail-derived rendering (full region, smaller than an open thumbnail), or a rendering from the pyramid.
   * @throws ProblemException 404 when the derivative object is missing from the store.
   */
  async render(asset: DeliveryAsset, plan: ImagePlan): Promise<ImageResult> {
    const { req } = plan;
    const contentType = mediaTypeFor(req.format);
    const spec: OutputSpec = {
      width: plan.out.w,
      height: plan.out.h,
      degrees: req.rotation.degrees % 360,
      mirror: req.rotation.mirror,
      quality: req.quality,
      format: req.format,
    };
    const started = process.hrtime.bigint();
    let kind: RenderKind;
    let body: Buffer;
    try {
      if (plan.thumbnail && asset.thumbnailBucket) {
        const bytes = await this.thumbnails.get(asset.thumbnailBucket, plan.thumbnail.key, asset.version);
        const asStored =
          plan.thumbnail.exact &&
          req.format === 'jpg' &&
          (req.quality === 'default' || req.quality === 'color') &&
          spec.degrees === 0 &&
          !spec.mirror;
        kind = asStored ? 'thumbnail' : 'thumbnail-derived';
        body = asStored
          ? bytes
          : await this.thumbnails.derived(plan.etag, () => this.renderer.renderFromImage(bytes, spec));
      } else {
        const pyramid = asset.pyramid;
        if (!pyramid)
          throw notFound(`Asset ${asset.customerId}/${asset.spaceId}/${asset.id} has no image derivative`);
        const lease = await this.pyramids.acquire({
          bucket: pyramid.bucket,
          key: pyramid.key,
          version: asset.version,
        });
        try {
          const full = { width: asset.width, height: asset.height };
          if (plan.tile) {
            const tile = await this.renderer.renderCanonicalTile(
              lease,
              full,
              plan.region,
              plan.tile,
              pyramid.tileSize,
              spec,
            );
            kind = TILE_KIND[tile.source];
            body = tile.body;
          } else {
            kind = 'region';
            body = await this.renderer.renderFromPyramid(lease.path, full, plan.region, spec);
          }
        } finally {
          lease.release();
        }
      }
    } catch (err) {
      if (err instanceof ObjectNotFoundError) {
        this.logger.warn(
          `derivative missing for ${asset.customerId}/${asset.spaceId}/${asset.id}: ${err.message}`,
        );
        throw notFound(
          `The image derivative of asset ${asset.customerId}/${asset.spaceId}/${asset.id} is missing`,
        );
      }
      throw err;
    }
    this.metrics.request(kind);
    this.metrics.rendered(kind, Number(process.hrtime.bigint() - started) / 1e9);
    return { body, contentType, kind };
  }
}
