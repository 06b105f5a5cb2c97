import type { Prisma } from '@vellum/db';

/** An asset of one customer: its space and id. */
export interface AssetKey {
  spaceId: number;
  id: string;
}

/** What {@link releaseAssetStorage} subtracted, in total and per space. */
export interface ReleasedStorage {
  /** Assets that had an `asset_storage` row (= stored images released). */
  numberOfStoredImages: number;
  /** Bytes (`asset_storage.size` summed). */
  totalSizeOfStoredImages: number;
  /** Bytes (`asset_storage.thumbnailSize` summed). */
  totalSizeOfThumbnails: number;
  /** The same three, per space id (only spaces that held a released row). */
  bySpace: Map<number, Omit<ReleasedStorage, 'bySpace'>>;
}

/** $1 = customerId, $2 = JSON array of { spaceId, id }. Deletes the rows, returns one total per space. */
const DELETE_ASSET_STORAGE_SQL = `
WITH gone AS (
  DELETE FROM "asset_storage" s
  USING jsonb_to_recordset($2::jsonb) AS k("spaceId" int, "id" text)
  WHERE s."customerId" = $1::int AND s."spaceId" = k."spaceId" AND s."assetId" = k."id"
  RETURNING s."spaceId", s."size", s."thumbnailSize"
)
SELECT "spaceId", count(*)::bigint AS "images", COALESCE(sum("size"), 0)::bigint AS "size",
       COALESCE(sum("thumbnailSize"), 0)::bigint AS "thumbnailSize"
FROM gone GROUP BY "spaceId"`;

/**
 * $1 = customerId, $2 = JSON array of { ord, spaceId, images, size, thumbnailSize } (the amounts to subtract, as
 * decimal strings). Rows are written in `ord` order (the executor inserts, and so locks, in the order the sorted
 * SELECT yields): the space rows ascending, then the customer row (spaceId 0).
 */
const SUBTRACT_USAGE_SQL = `
INSERT INTO "storage_usage" ("customerId", "spaceId", "numberOfStoredImages", "totalSizeOfStoredImages", "totalSizeOfThumbnails")
SELECT $1::int, d."spaceId", -d."images"::bigint, -d."size"::bigint, -d."thumbnailSize"::bigint
FROM jsonb_to_recordset($2::jsonb) AS d("ord" int, "spaceId" int, "images" text, "size" text, "thumbnailSize" text)
ORDER BY d."ord"
ON CONFLICT ("customerId", "spaceId") DO UPDATE SET
  "numberOfStoredImages" = "storage_usage"."numberOfStoredImages" + EXCLUDED."numberOfStoredImages",
  "totalSizeOfStoredImages" = "storage_usage"."totalSizeOfStoredImages" + EXCLUDED."totalSizeOfStoredImages",
  "totalSizeOfThumbnails" = "storage_usage"."totalSizeOfThumbnails" + EXCLUDED."totalSizeOfThumbnails"`;

const num = (v: bigint): number => Number(v);

/** A `bigint` column as the driver may hand it over. */
type Int8 = bigint | number | string | null;
const int8 = (v: Int8): bigint => BigInt(v ?? 0);

/**
 * Releases the storage accounting of deleted assets (SPEC.md §8 "updated by deltas in the same transaction as the
 * change that causes them"), for a single `DELETE C/spaces/{s}/images/{id}` and `POST C/deleteImages` alike.
 *
 * Run it inside the transaction that deletes the asset rows, after the rows are locked (the asset rows first:
 * that is the lock order of the orchestrator's finaliser, which updates the asset row, then `asset_storage`, then
 * `storage_usage`). It:
 * 1. deletes the `asset_storage` rows of `keys` (customer `customerId` only: every statement filters on it) and
 *    sums, per space, how many there were (`numberOfStoredImages`: an asset counts as one stored image from its
 *    first successful ingest, when its `asset_storage` row is created), their `size` and their `thumbnailSize`
 *    (bytes);
 * 2. subtracts exactly those amounts from the `storage_usage` rows: each space's row `(customerId, spaceId)`, in
 *    ascending space id, then the customer's row `(customerId, 0)` by the grand total (the finaliser's row order,
 *    space row then customer row, so the two never deadlock). A missing usage row is created with the negative
 *    amounts (the same upsert as the finaliser's), so drift shows rather than hides.
 * Assets without an `asset_storage` row (never ingested successfully) release nothing. Two statements, whatever
 * the number of keys (a 500-asset bulk delete costs the same two round trips); none when `keys` is empty, only the
 * first when no key had a row.
 *
 * @param tx the transaction deleting the assets.
 * @param customerId the owner of every key.
 * @param keys the deleted assets (`spaceId` > 0, `id` the asset id); duplicates are harmless.
 * @returns what was subtracted, in total and per space (all zeros when nothing was stored).
 * @throws database errors (the caller's transaction rolls back: nothing is released without the delete).
 */
export async function releaseAssetStorage(
  tx: Prisma.TransactionClient,
  customerId: number,
  keys: readonly AssetKey[],
): Promise<ReleasedStorage> {
  const released: ReleasedStorage = {
    numberOfStoredImages: 0,
    totalSizeOfStoredImages: 0,
    totalSizeOfThumbnails: 0,
    bySpace: new Map(),
  };
  if (keys.length === 0) return released;
  const rows = await tx.$queryRawUnsafe<
    Array<{ spaceId: number; images: Int8; size: Int8; thumbnailSize: Int8 }>
  >(
    DELETE_ASSET_STORAGE_SQL,
    customerId,
    JSON.stringify(keys.map((k) => ({ spaceId: k.spaceId, id: k.id }))),
  );
  if (rows.length === 0) return released;
  let images = 0n;
  let size = 0n;
  let thumbnailSize = 0n;
  const deltas: Array<{ ord: number; spaceId: number; images: string; size: string; thumbnailSize: string }> =
    [];
  const spaces = [...rows].sort((a, b) => Number(a.spaceId) - Number(b.spaceId));
  for (const r of spaces) {
    const spaceId = Number(r.spaceId);
    const i = int8(r.images);
    const s = int8(r.size);
    const t = int8(r.thumbnailSize);
    images += i;
    size += s;
    thumbnailSize += t;
    released.bySpace.set(spaceId, {
      numberOfStoredImages: num(i),
      totalSizeOfStoredImages: num(s),
      totalSizeOfThumbnails: num(t),
    });
    // A space-less asset (spaceId 0) would only ever have the customer row, as in the finaliser.
    if (spaceId !== 0)
      deltas.push({
        ord: deltas.length,
        spaceId,
        images: i.toString(),
        size: s.toString(),
        thumbnailSize: t.toString(),
      });
  }
  deltas.push({
    ord: deltas.length,
    spaceId: 0,
    images: images.toString(),
    size: size.toString(),
    thumbnailSize: thumbnailSize.toString(),
  });
  await tx.$executeRawUnsafe(SUBTRACT_USAGE_SQL, customerId, JSON.stringify(deltas));
  released.numberOfStoredImages = num(images);
  released.totalSizeOfStoredImages = num(size);
  released.totalSizeOfThumbnails = num(thumbnailSize);
  return released;
}
