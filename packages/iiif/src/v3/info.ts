import { IMAGE_PROTOCOL, IMAGE_V3_CONTEXT } from '../http';
import {
  advertisedSizes,
  type ImageServiceInfoInput,
  type Level0InfoInput,
  sortedSizes,
  tilesAllowed,
} from '../info-common';
import { extrasBeyond, featureFor, V3_LEVELS } from '../profiles';

/**
 * Builds a IIIF Image API 3.0 image information document (3.0 §5): `@context`, `id`,
 * `type: ImageService3`, `protocol`, `profile` (`level2` unless `profileLevel`), `width`, `height`,
 * `maxWidth` / `maxHeight` / `maxArea` when given (maxHeight is not invented: clients infer
 * maxHeight = maxWidth, §5.2), `sizes` (ascending by width), `tiles` (`[{ width, height, scaleFactors }]`,
 * height = width), `extraFormats`, `extraQualities`, `extraFeatures` (only values beyond the level, omitted
 * when empty) and `service`. Keys are in that order, `@context` first (§5.2 SHOULD).
 */
export function buildImageInfoV3(input: ImageServiceInfoInput): Record<string, unknown> {
  const level = input.profileLevel ?? 2;
  const builtIn = V3_LEVELS[level];
  const info: Record<string, unknown> = {
    '@context': IMAGE_V3_CONTEXT,
    id: input.id,
    type: 'ImageService3',
    protocol: IMAGE_PROTOCOL,
    profile: `level${level}`,
    width: input.width,
    height: input.height,
  };
  if (input.maxWidth !== undefined) info.maxWidth = input.maxWidth;
  if (input.maxHeight !== undefined) info.maxHeight = input.maxHeight;
  if (input.maxArea !== undefined) info.maxArea = input.maxArea;
  const sizes = advertisedSizes(input);
  if (sizes.length > 0) info.sizes = sizes;
  if (tilesAllowed(input)) {
    info.tiles = [{ width: input.tileSize, height: input.tileSize, scaleFactors: [...input.scaleFactors] }];
  }
  const formats = extrasBeyond(input.extraFormats, builtIn.formats);
  if (formats.length > 0) info.extraFormats = formats;
  const qualities = extrasBeyond(input.extraQualities, builtIn.qualities);
  if (qualities.length > 0) info.extraQualities = qualities;
  const features = extrasBeyond(
    (input.extraFeatures ?? []).map((f) => featureFor(3, f)).filter((f): f is string => f !== undefined),
    builtIn.features,
  );
  if (features.length > 0) info.extraFeatures = features;
  if (input.services && input.services.length > 0) info.service = [...input.services];
  return info;
}

/**
 * Builds a level-0 3.0 image information document for pre-made thumbnails (3.0 §5, compliance §5):
 * `profile: level0`, `sizes` ascending by width, no `tiles`; `service` when given.
 */
export function buildLevel0InfoV3(input: Level0InfoInput): Record<string, unknown> {
  const info: Record<string, unknown> = {
    '@context': IMAGE_V3_CONTEXT,
    id: input.id,
    type: 'ImageService3',
    protocol: IMAGE_PROTOCOL,
    profile: 'level0',
    width: input.width,
    height: input.height,
    sizes: sortedSizes(input.sizes),
  };
  if (input.services && input.services.length > 0) info.service = [...input.services];
  return info;
}
