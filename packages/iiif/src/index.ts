/**
 * @vellum/iiif: pure IIIF Image API 2.1 and 3.0 request parsing, region/size arithmetic, pyramid tile
 * addressing and image information (info.json) builders, named-query templates (SPEC.md §7) and IIIF
 * Presentation 3.0/2.1 manifest builders. No framework,
 * no I/O, no dependencies.
 */
export { IiifError } from './errors';
export type {
  IiifVersion,
  ImageFormat,
  ImageRequest,
  Quality,
  Rect,
  RegionRequest,
  RotationRequest,
  Size,
  SizeLimits,
  SizeRequest,
} from './types';
export { parseRegion, resolveRegion, canonicalRegion } from './region';
export { parseSize, resolveSize, canonicalSize } from './size';
export { parseSizeV2, resolveSizeV2, canonicalSizeV2 } from './v2/size';
export { parseSizeV3, resolveSizeV3, canonicalSizeV3 } from './v3/size';
export { parseRotation, canonicalRotation } from './rotation';
export { parseQualityFormat, mediaTypeFor, QUALITIES, IMAGE_FORMATS } from './quality-format';
export { parseImageRequest, resolveImageRequest, type ResolvedImageRequest } from './image-request';
export { scaleFactorsFor, levelDimensions, canonicalTileFor, type TileAddress } from './tiles';
export type { ImageServiceInfoInput, Level0InfoInput } from './info-common';
export { advertisedSizes } from './info-common';
export { buildImageInfoV3, buildLevel0InfoV3 } from './v3/info';
export { buildImageInfoV2, buildLevel0InfoV2 } from './v2/info';
export { profileUri, V2_LEVELS, V3_LEVELS, type LevelProfile } from './profiles';
export {
  IMAGE_PROTOCOL,
  IMAGE_V2_CONTEXT,
  IMAGE_V3_CONTEXT,
  IMAGE_V3_CONTENT_TYPE,
  IMAGE_V2_CONTENT_TYPE,
  IMAGE_V2_JSONLD_CONTENT_TYPE,
  profileLinkHeader,
  versionFromAccept,
  infoContentType,
} from './http';
export {
  thumbnailSizesFor,
  splitOpenAuth,
  thumbnailSourceFor,
  sizesFromPairs,
  sizesToPairs,
} from './thumbnails';
export {
  bindNamedQuery,
  MAX_ARGUMENTS,
  NAMED_QUERY_FIELDS,
  NAMED_QUERY_KEYS,
  NamedQueryError,
  parseNamedQueryArguments,
  parseNamedQueryTemplate,
  TEMPLATE_MAX_LENGTH,
  type AssetQueryConditions,
  type AssetQueryField,
  type BoundNamedQuery,
  type NamedQueryConditionKey,
  type NamedQueryField,
  type NamedQueryKey,
  type NamedQueryTemplate,
  type NamedQueryTextKey,
  type TemplateCondition,
  type TemplateOrderTerm,
  type TemplateValue,
} from './named-query';
export {
  assetPresentation,
  assetUrls,
  AUTH_V2_CONTEXT,
  buildManifestV2,
  buildManifestV3,
  encodeSegment,
  presentableInV2,
  PRESENTATION_V2_CONTENT_TYPE,
  PRESENTATION_V2_CONTEXT,
  PRESENTATION_V3_CONTENT_TYPE,
  PRESENTATION_V3_CONTEXT,
  presentationContentType,
  presentationVersionFromAccept,
  probeServiceV3,
  resourceTypeFor,
  THUMBNAIL_EDGE,
  type AssetPresentation,
  type AssetUrls,
  type AuthAccessService,
  type AvTranscode,
  type JsonObject,
  type LabelValue,
  type LanguageMap,
  type ManifestInput,
  type PixelSize,
  type PresentationAsset,
  type PresentationVersion,
} from './presentation';
export {
  AV_FORMATS,
  AV_AUDIO_PREFIX,
  AV_VIDEO_PREFIX,
  avFormatOf,
  avPath,
  avPaths,
  parseAvPath,
  findTranscode,
  type AvFormat,
  type AvPathRequest,
  type NamedTranscode,
} from './av-paths';
