import { queryPrepared } from './client';
import type { Asset, Prisma, PrismaClient } from './generated/prisma/client';

const ASSET_BY_KEY_SQL = `SELECT * FROM "assets" WHERE "customerId" = $1::int AND "spaceId" = $2::int AND "id" = $3::text`;

/**
 * One asset by its key `(customerId, spaceId, id)`, or null: the hottest lookup of the platform (the API's `GET`
 * of an asset, every ingest request and worker reply), as a prepared statement on the pool ({@link queryPrepared})
 * outside transactions, since Prisma's query compiler costs several times the query itself. Inside a transaction
 * (`db` a transaction client) it runs there. Same row shape as `prisma.asset.findUnique`.
 */
export async function findAssetByKey(
  db: PrismaClient | Prisma.TransactionClient,
  customerId: number,
  spaceId: number,
  id: string,
): Promise<Asset | null> {
  const rows = await queryPrepared<Asset>(db, 'asset-by-key', ASSET_BY_KEY_SQL, [customerId, spaceId, id]);
  return rows[0] ?? null;
}
