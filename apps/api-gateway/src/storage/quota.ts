/**
 * The storage quota rule (SPEC.md §3.1 507, §8 "breach on create → 507"), pure: what a storage policy allows
 * and what a customer holds decide whether a create may proceed.
 */

/** A storage policy's limits. */
export interface QuotaLimits {
  id: string;
  maximumNumberOfStoredImages: bigint;
  maximumTotalSizeOfStoredImages: bigint;
}

/** What the customer holds now. */
export interface QuotaUsage {
  /** Assets stored (storage_usage) plus new assets still on their way (ingesting, never stored yet). */
  images: bigint;
  /** Bytes of stored images (storage_usage `totalSizeOfStoredImages`). */
  bytes: bigint;
}

/**
 * Why adding `newAssets` assets (and `newBytes` bytes, when known) breaches the policy, or null when it fits.
 * - images: `images + newAssets > maximumNumberOfStoredImages`;
 * - bytes, known (an uploaded file): `bytes + newBytes > maximumTotalSizeOfStoredImages`;
 * - bytes, unknown (an origin not fetched yet) while new assets are added: a policy already full
 *   (`bytes >= maximum`) refuses them, since every stored asset takes some bytes.
 * Nothing added (0 assets, no bytes) never breaches.
 */
export function quotaBreach(
  limits: QuotaLimits,
  usage: QuotaUsage,
  newAssets: number,
  newBytes?: number,
): string | null {
  const adding = BigInt(Math.max(0, Math.trunc(newAssets)));
  const bytes = newBytes !== undefined ? BigInt(Math.max(0, Math.trunc(newBytes))) : undefined;
  if (adding === 0n && !bytes) return null;
  if (adding > 0n && usage.images + adding > limits.maximumNumberOfStoredImages) {
    return (
      `Storage policy "${limits.id}" allows ${limits.maximumNumberOfStoredImages} stored images; the customer ` +
      `holds ${usage.images} and this request adds ${adding}.`
    );
  }
  const max = limits.maximumTotalSizeOfStoredImages;
  if (bytes !== undefined && bytes > 0n && usage.bytes + bytes > max) {
    return (
      `Storage policy "${limits.id}" allows ${max} bytes of stored images; the customer holds ${usage.bytes} ` +
      `and this request adds ${bytes}.`
    );
  }
  if (bytes === undefined && adding > 0n && usage.bytes >= max) {
    return `Storage policy "${limits.id}" allows ${max} bytes of stored images and the customer holds ${usage.bytes}.`;
  }
  return null;
}
