import { IMAGE_PROTOCOL, IMAGE_V2_CONTEXT } from '../http';
import {
  advertisedSizes,
  type ImageServiceInfoInput,
  type Level0InfoInput,
  sortedSizes,
  tilesAllowed,
} from '../info-common';
import { extrasBeyond, featureFor, profileUri, V2_LEVELS } from '../profiles';

/**
 * Builds a IIIF Image API 2.1 image information document (2.1 §5): `@context`, `@id`, `protocol`,
 * `width`, `height`, `profile` = [level URI, profile description], `sizes` (ascending by width), `tiles`
 * (`[{ width, height, scaleFactors }]`) and `service`.
 *
 * The profile description (2.1 §5.3) carries `formats`, `qualities` and `supports` with only the values
 * beyond the compliance level (each omitted when empty, as §5.3 asks), and `maxWidth` / `maxHeight` /
 * `maxArea` when given; it is left out when empty. `service` is one object when there is one service,
 * else an array.
 */
export function buildImageInfoV2(input: ImageServiceInfoInput): Record<string, unknown> {
  const level = input.profileLevel ?? 2;
  const builtIn = V2_LEVELS[level];
  const description: Record<string, unknown> = {};
  const formats = extrasBeyond(input.extraFormats, builtIn.formats);
  if (formats.length > 0) description.formats = formats;
  const qualities = extrasBeyond(input.extraQualities, builtIn.qualities);
  if (qualities.length > 0) description.qualities = qualities;
  const supports = extrasBeyond(
    (input.extraFeatures ?? []).map((f) => featureFor(2, f)).filter((f): f is string => f !== undefined),
    builtIn.features,
  );
  if (supports.length > 0) description.supports = supports;
  if (input.maxWidth !== undefined) description.maxWidth = input.maxWidth;
  if (input.maxHeight !== undefined) description.maxHeight = input.maxHeight;
  if (input.maxArea !== undefined) description.maxArea = input.maxArea;

  const info: Record<string, unknown> = {
    '@context': IMAGE_V2_CONTEXT,
    '@id': input.id,
    protocol: IMAGE_PROTOCOL,
    width: input.width,
    height: input.height,
    profile:
      Object.keys(description).length > 0 ? [profileUri(2, level), description] : [profileUri(2, level)],
  };
  const sizes = advertisedSizes(input);
  if (sizes.length > 0) info.sizes = sizes;
  if (tilesAllowed(input)) {
    info.tiles = [{ width: input.tileSize, height: input.tileSize, scaleFactors: [...input.scaleFactors] }];
  }
  const service = v2Service(input.services);
  if (service !== undefined) info.service = service;
  return info;
}

/**
 * Builds a level-0 2.1 image information document for pre-made thumbnails (2.1 §5, compliance §5.1):
 * `profile: ["http://iiif.io/api/image/2/level0.json"]`, `sizes` ascending by width, no `tiles`.
 */
export function buildLevel0InfoV2(input: Level0InfoInput): Record<string, unknown> {
  const info: Record<string, unknown> = {
    '@context': IMAGE_V2_CONTEXT,
    '@id': input.id,
    protocol: IMAGE_PROTOCOL,
    width: input.width,
    height: input.height,
    profile: [profileUri(2, 0)],
    sizes: sortedSizes(input.sizes),
  };
  const service = v2Service(input.services);
  if (service !== undefined) info.service = service;
  return info;
}

function v2Service(services: object[] | undefined): object | object[] | undefined {
  if (!services || services.length === 0) return undefined;
  return services.length === 1 ? services[0] : [...services];
}
