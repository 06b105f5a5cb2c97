/**
 * Deterministic object keys (SPEC.md §8): keys derive from customer/space/id, the id URL-escaped, so that a
 * reingest overwrites in place and the delivery side can compute a key without a lookup.
 */

/** Identifies an asset for key derivation. */
export interface AssetKeyRef {
  customerId: number;
  spaceId: number;
  assetId: string;
}

/** `{customerId}/{spaceId}/{encodeURIComponent(assetId)}`: the prefix every object of one asset lives under. */
export function assetKeyPrefix(customerId: number, spaceId: number, assetId: string): string {
  return `${customerId}/${spaceId}/${encodeURIComponent(assetId)}`;
}

function prefixOf(ref: AssetKeyRef): string {
  return assetKeyPrefix(ref.customerId, ref.spaceId, ref.assetId);
}

/** Key of the staged origin copy, in the origins bucket: `{prefix}/origin`. */
export function originKey(ref: AssetKeyRef): string {
  return `${prefixOf(ref)}/origin`;
}

/** Key of the pyramidal TIFF tile source, in the derivatives bucket: `{prefix}/image.tif`. */
export function pyramidKey(ref: AssetKeyRef): string {
  return `${prefixOf(ref)}/image.tif`;
}

/** Key prefix of an asset's thumbnails, in the thumbnails bucket (same as {@link assetKeyPrefix}). */
export function thumbnailKeyPrefix(ref: AssetKeyRef): string {
  return prefixOf(ref);
}

/**
 * Key of one pre-made thumbnail under a thumbnail key prefix: `{keyPrefix}/full/{w},{h}/0/default.jpg`
 * (the IIIF Image API level-0 path, so the key mirrors the public URL). Width/height in pixels.
 */
export function thumbnailKeyUnder(keyPrefix: string, width: number, height: number): string {
  return `${keyPrefix}/full/${width},${height}/0/default.jpg`;
}

/** Key of one pre-made thumbnail of an asset, in the thumbnails bucket: `{prefix}/full/{w},{h}/0/default.jpg`. */
export function thumbnailKey(ref: AssetKeyRef, width: number, height: number): string {
  return thumbnailKeyUnder(prefixOf(ref), width, height);
}

/** Key of the sizes document under a thumbnail key prefix: `{keyPrefix}/sizes.json`. */
export function thumbnailSizesKeyUnder(keyPrefix: string): string {
  return `${keyPrefix}/sizes.json`;
}

/**
 * Key of an asset's sizes document, in the thumbnails bucket: `{prefix}/sizes.json`, holding
 * `{ "open": [[w,h],...], "auth": [[w,h],...] }` (largest first).
 */
export function thumbnailSizesKey(ref: AssetKeyRef): string {
  return thumbnailSizesKeyUnder(prefixOf(ref));
}
