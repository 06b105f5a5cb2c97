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

/**
 * Scheme of an origin that is already an object of the platform's own store: a file uploaded in the request
 * (SPEC.md §3.3 "Assets", §4.2 "Uploaded bytes: stored as the origin copy"). Such an origin is never fetched:
 * the ingest-orchestrator uses the object in place as the staged origin and keeps it.
 */
export const STORE_ORIGIN_SCHEME = 'vellum-store';

const STORE_ORIGIN_PREFIX = `${STORE_ORIGIN_SCHEME}://`;

/** Where a {@link STORE_ORIGIN_SCHEME} origin points. */
export interface StoreObjectRef {
  bucket: string;
  key: string;
}

/**
 * The origin URI of an object of the platform's store: `vellum-store://{bucket}/{key}` (the key as stored,
 * its escapes kept), e.g. `vellum-store://vellum-origins/2/1/my%20id/origin`.
 */
export function storeOriginUri(bucket: string, key: string): string {
  return `${STORE_ORIGIN_PREFIX}${bucket}/${key}`;
}

/**
 * The bucket and key of a `vellum-store://` origin, or null when `origin` is not one (any other scheme, or a
 * malformed one: no key, a bucket name that is not valid).
 */
export function parseStoreOrigin(origin: string | null | undefined): StoreObjectRef | null {
  if (!origin || !origin.toLowerCase().startsWith(STORE_ORIGIN_PREFIX)) return null;
  const rest = origin.slice(STORE_ORIGIN_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return null;
  const bucket = rest.slice(0, slash);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return null;
  return { bucket, key: rest.slice(slash + 1) };
}
