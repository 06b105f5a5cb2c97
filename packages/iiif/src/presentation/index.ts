/**
 * IIIF Presentation API 3.0 and 2.1 manifests built from plain descriptions of assets (SPEC.md §5, §7, issue 8):
 * pure, no framework and no I/O, shared by the single-asset manifest and every named-query manifest.
 */
export {
  assetPresentation,
  assetUrls,
  encodeSegment,
  resourceTypeFor,
  THUMBNAIL_EDGE,
  type AssetPresentation,
  type AssetUrls,
} from './asset-resources';
export {
  AUTH_V2_CONTEXT,
  PRESENTATION_V2_CONTENT_TYPE,
  PRESENTATION_V2_CONTEXT,
  PRESENTATION_V3_CONTENT_TYPE,
  PRESENTATION_V3_CONTEXT,
  presentationContentType,
  presentationVersionFromAccept,
} from './http';
export { buildManifestV2, presentableInV2 } from './v2';
export { buildManifestV3, probeServiceV3 } from './v3';
export type {
  AuthAccessService,
  AvTranscode,
  JsonObject,
  LabelValue,
  LanguageMap,
  ManifestInput,
  PixelSize,
  PresentationAsset,
  PresentationVersion,
} from './types';
