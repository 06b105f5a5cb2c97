import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type AssetStorage, type Prisma, type PrismaClient, type StorageUsage } from '@vellum/db';
import { CustomerScopedRepository, type Db } from '../resource/customer-scoped.repository';
import type { FieldTable } from '../resource/field-table';
import { CUSTOMER_STORAGE_FIELDS } from './storage.fields';
import type { QuotaUsage } from './quota';

/**
 * $1 = customerId. New assets on their way to being stored: ingesting, and never stored yet (no asset_storage
 * row), so the quota counts a burst of creates before any of them finished.
 */
const PENDING_NEW_ASSETS_SQL = `
SELECT count(*)::bigint AS "n"
FROM "assets" a
WHERE a."customerId" = $1::int AND a."ingesting"
  AND NOT EXISTS (SELECT 1 FROM "asset_storage" s
                  WHERE s."customerId" = a."customerId" AND s."spaceId" = a."spaceId" AND s."assetId" = a."id")`;

/**
 * Storage accounting of one customer (SPEC.md §8), read-only: `storage_usage` (per customer: spaceId 0, and per
 * space) and `asset_storage` (per asset). Both are written by deltas in the transactions that change them (the
 * orchestrator's finaliser, the gateway's deletes); nothing here writes them.
 */
@Injectable()
export class StorageRepository extends CustomerScopedRepository<StorageUsage, Prisma.StorageUsageWhereInput> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    // The table's rows are usage rows joined with the customer's policy id; only its order whitelist is used here.
    super(prisma, CUSTOMER_STORAGE_FIELDS as unknown as FieldTable<StorageUsage>, [{ spaceId: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.storageUsage;
  }

  /** The totals of the customer (`spaceId` 0) or of one of its spaces, or null when nothing was ever stored. */
  usage(customerId: number, spaceId: number, db: Db = this.prisma): Promise<StorageUsage | null> {
    return this.findOne(customerId, { spaceId }, db);
  }

  /** The storage record of one asset, or null before its first successful ingest. */
  asset(
    customerId: number,
    spaceId: number,
    assetId: string,
    db: Db = this.prisma,
  ): Promise<AssetStorage | null> {
    const where = { ...this.scope(customerId), spaceId, assetId } as Prisma.AssetStorageWhereInput;
    return db.assetStorage.findFirst({ where });
  }

  /**
   * What the quota compares with the customer's policy: stored images plus new assets still ingesting, and the
   * bytes of stored images (SPEC.md §8).
   */
  async quotaUsage(customerId: number): Promise<QuotaUsage> {
    const [usage, pending] = await Promise.all([
      this.usage(customerId, 0),
      this.prisma.$queryRawUnsafe<{ n: bigint | number | string }[]>(PENDING_NEW_ASSETS_SQL, customerId),
    ]);
    return {
      images: (usage?.numberOfStoredImages ?? 0n) + BigInt(pending[0]?.n ?? 0),
      bytes: usage?.totalSizeOfStoredImages ?? 0n,
    };
  }
}
