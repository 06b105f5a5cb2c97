import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  closeMembersOfDeletedAssets,
  findAssetByKey,
  PRISMA,
  queryPrepared,
  type Asset,
  type LedgerUpdate,
  type Prisma,
  type PrismaClient,
} from '@vellum/db';
import { CustomerScopedRepository, type Db, type RowPage } from '../resource/customer-scoped.repository';
import type { Paging } from '../http/hydra';
import type { OrderBy } from '../resource/field-table';
import type { AssetKey } from '../storage/storage-accounting';
import type { AssetFields, ExistingAsset } from './asset-builder';
import { ASSET_DECIDED_COLUMNS, ASSET_FIELDS } from './asset.fields';
import { ASSET_DEFAULT_ORDER } from './asset-query';
import { existingFields } from './asset.presenter';

/** The Postgres type of each decided column, for the bulk statements' `jsonb_to_recordset`. */
const SQL_TYPES: Record<(typeof ASSET_DECIDED_COLUMNS)[number], string> = {
  origin: 'text',
  mediaType: 'text',
  family: 'text',
  deliveryChannels: 'jsonb',
  roles: 'text[]',
  maxWidth: 'int',
  openFullMax: 'int',
  openMaxWidth: 'int',
  tags: 'text[]',
  string1: 'text',
  string2: 'text',
  string3: 'text',
  number1: 'int',
  number2: 'int',
  number3: 'int',
  manifests: 'text[]',
};
const q = (c: string) => `"${c}"`;
const COLUMNS = ASSET_DECIDED_COLUMNS;

/** $1 = JSON array of members (spaceId, id, AssetFields), $2 = customerId, $3 = batchId. Returns the members written. */
const UPSERT_MEMBERS_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x("spaceId" int, "id" text, ${COLUMNS.map((c) => `${q(c)} ${SQL_TYPES[c]}`).join(', ')})
), up AS (
  INSERT INTO "assets" ("customerId", "spaceId", "id", ${COLUMNS.map(q).join(', ')},
                        "ingesting", "error", "finished", "batchId", "ingestAttempt", "created", "updated")
  SELECT $2::int, "spaceId", "id", ${COLUMNS.map((c) => (c === 'family' ? '"family"::"AssetFamily"' : q(c))).join(', ')},
         true, NULL, NULL, $3::int, 1, now(), now()
  FROM input
  ON CONFLICT ("customerId", "spaceId", "id") DO UPDATE SET
    ${COLUMNS.map((c) => `${q(c)} = EXCLUDED.${q(c)}`).join(', ')},
    "ingesting" = true, "error" = NULL, "finished" = NULL, "batchId" = EXCLUDED."batchId",
    "ingestAttempt" = "assets"."ingestAttempt" + 1, "updated" = now()
  RETURNING "spaceId", "id", "ingestAttempt"
), members AS (
  INSERT INTO "batch_members" ("batchId", "customerId", "spaceId", "assetId", "attempt")
  SELECT $3::int, $2::int, "spaceId", "id", "ingestAttempt" FROM up
  RETURNING "spaceId", "assetId", "attempt"
)
SELECT "spaceId", "assetId", "attempt" FROM members`;

/** $1 = customerId, $2 = JSON array of { spaceId, id }. */
const SELECT_EXISTING_SQL = `
SELECT a."spaceId", a."id", ${COLUMNS.map((c) => (c === 'family' ? 'a."family"::text AS "family"' : `a.${q(c)}`)).join(', ')}
FROM "assets" a
JOIN jsonb_to_recordset($2::jsonb) AS k("spaceId" int, "id" text) ON a."spaceId" = k."spaceId" AND a."id" = k."id"
WHERE a."customerId" = $1::int`;

const KEYS_RECORDSET = `jsonb_to_recordset($2::jsonb) AS k("spaceId" int, "id" text)`;

/** $1 = customerId, $2 = JSON array of { spaceId, id }: the full rows, in key order. */
const SELECT_BY_KEYS_SQL = `
SELECT a.* FROM "assets" a
JOIN ${KEYS_RECORDSET} ON a."spaceId" = k."spaceId" AND a."id" = k."id"
WHERE a."customerId" = $1::int
ORDER BY a."spaceId", a."id"`;

/** As {@link SELECT_BY_KEYS_SQL}, locking the rows in key order (one fixed order: concurrent bulk writes never deadlock). */
const LOCK_BY_KEYS_SQL = `${SELECT_BY_KEYS_SQL}
FOR UPDATE OF a`;

/** $1 = customerId, $2 = JSON array of { spaceId, id }. */
const DELETE_BY_KEYS_SQL = `
DELETE FROM "assets" a USING ${KEYS_RECORDSET}
WHERE a."customerId" = $1::int AND a."spaceId" = k."spaceId" AND a."id" = k."id"
RETURNING a."spaceId", a."id"`;

/** The metadata columns a bulk write sets (SPEC.md §1 "Metadata fields", plus `roles` for `PATCH C/allImages`). */
export const BULK_COLUMNS = [
  'roles',
  'tags',
  'manifests',
  'string1',
  'string2',
  'string3',
  'number1',
  'number2',
  'number3',
] as const satisfies readonly (keyof AssetFields)[];
export type BulkColumn = (typeof BULK_COLUMNS)[number];

/**
 * $1 = customerId, $2 = JSON array of { spaceId, id, <every BULK_COLUMNS>, reingest }: sets the columns of each
 * asset; `reingest` rows also start a new ingest attempt (as {@link AssetsRepository.upsertForIngest}).
 */
const BULK_UPDATE_SQL = `
UPDATE "assets" a SET
  ${BULK_COLUMNS.map((c) => `${q(c)} = x.${q(c)}`).join(', ')},
  "ingesting" = a."ingesting" OR x."reingest",
  "error" = CASE WHEN x."reingest" THEN NULL ELSE a."error" END,
  "finished" = CASE WHEN x."reingest" THEN NULL ELSE a."finished" END,
  "batchId" = CASE WHEN x."reingest" THEN NULL ELSE a."batchId" END,
  "ingestAttempt" = a."ingestAttempt" + CASE WHEN x."reingest" THEN 1 ELSE 0 END,
  "updated" = now()
FROM jsonb_to_recordset($2::jsonb) AS x("spaceId" int, "id" text, ${BULK_COLUMNS.map((c) => `${q(c)} ${SQL_TYPES[c]}`).join(', ')}, "reingest" boolean)
WHERE a."customerId" = $1::int AND a."spaceId" = x."spaceId" AND a."id" = x."id"
RETURNING a.*`;

/** $1 = JSON array of outbox rows ({ id, routingKey, envelope, priority }). */
const INSERT_OUTBOX_SQL = `
INSERT INTO "outbox_messages" ("id", "routingKey", "envelope", "priority")
SELECT "id", "routingKey", "envelope", "priority"
FROM jsonb_to_recordset($1::jsonb) AS x("id" uuid, "routingKey" text, "envelope" jsonb, "priority" int)`;

/** One asset of a bulk metadata write: its key, every {@link BULK_COLUMNS} value, and whether it re-ingests. */
export type BulkRow = { spaceId: number; id: string; reingest: boolean } & Pick<AssetFields, BulkColumn>;

/** Keys without duplicates, in first-seen order. */
function uniqueKeys(keys: readonly AssetKey[]): AssetKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k.spaceId}/${k.id}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

const keysJson = (keys: readonly AssetKey[]) =>
  JSON.stringify(uniqueKeys(keys).map((k) => ({ spaceId: k.spaceId, id: k.id })));

/** $1 = customerId, $2 = spaceId, $3 = id. */
/** Columns an asset page may filter on with equality, and their Postgres types. */
const EQUALITY_TYPES: Record<string, string> = {
  spaceId: 'int',
  batchId: 'int',
  mediaType: 'text',
  string1: 'text',
  string2: 'text',
  string3: 'text',
  number1: 'int',
  number2: 'int',
  number3: 'int',
};
/** List columns an asset page may filter on by overlap. */
const OVERLAP_COLUMNS = new Set(['tags', 'manifests']);
const ORDER_COLUMNS = new Set([
  'id',
  'created',
  'finished',
  'mediaType',
  'width',
  'height',
  ...Object.keys(EQUALITY_TYPES),
]);

/**
 * The SQL of an asset page for a `where` made only of the asset table's list filters (column equality, `hasSome`
 * overlap) and an `orderBy` of whitelisted columns; null for any other shape. Column names come from fixed
 * whitelists, values are parameters (`$1` is always the customer id). `shape` names the statement's form (its
 * columns and order), so each distinct SQL text gets its own prepared-statement name.
 */
export function assetPageSql(
  customerId: number,
  where: Prisma.AssetWhereInput,
  orderBy: OrderBy,
): { select: string; count: string; values: unknown[]; shape: string } | null {
  const values: unknown[] = [customerId];
  const conditions = ['"customerId" = $1::int'];
  for (const [column, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (EQUALITY_TYPES[column] && (typeof value === 'string' || typeof value === 'number')) {
      values.push(value);
      conditions.push(`"${column}" = $${values.length}::${EQUALITY_TYPES[column]}`);
    } else if (
      OVERLAP_COLUMNS.has(column) &&
      value &&
      typeof value === 'object' &&
      Object.keys(value).length === 1 &&
      Array.isArray((value as { hasSome?: unknown }).hasSome)
    ) {
      values.push((value as { hasSome: string[] }).hasSome);
      conditions.push(`"${column}" && $${values.length}::text[]`);
    } else return null;
  }
  const order: string[] = [];
  for (const o of orderBy) {
    for (const [column, dir] of Object.entries(o)) {
      if (!ORDER_COLUMNS.has(column) || (dir !== 'asc' && dir !== 'desc')) return null;
      // Prisma's order puts NULLs last ascending and first descending, as Postgres does by default.
      order.push(`"${column}" ${dir.toUpperCase()}`);
    }
  }
  const whereSql = conditions.join(' AND ');
  const shape = createHash('sha1')
    .update(`${whereSql}|${order.join(',')}`)
    .digest('hex')
    .slice(0, 16);
  return {
    select: `SELECT * FROM "assets" WHERE ${whereSql}${order.length ? ` ORDER BY ${order.join(', ')}` : ''}`,
    count: `SELECT count(*)::int AS n FROM "assets" WHERE ${whereSql}`,
    values,
    shape,
  };
}

/** A batch member as written: its key and the ingest attempt it waits for. */
export interface LandedMember {
  spaceId: number;
  assetId: string;
  attempt: number;
}

/** AssetFields → Prisma columns (the decided columns, in table order). */
export function toColumns(f: AssetFields): Prisma.AssetUncheckedUpdateInput {
  const out: Record<string, unknown> = {};
  for (const c of COLUMNS) out[c] = f[c];
  return out;
}

/**
 * Assets of one customer (SPEC.md §3.3, §3.4): every read and write of the `assets` table by the gateway, scoped
 * to the customer in one place ({@link CustomerScopedRepository}).
 */
@Injectable()
export class AssetsRepository extends CustomerScopedRepository<Asset, Prisma.AssetWhereInput> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, ASSET_FIELDS, ASSET_DEFAULT_ORDER);
  }

  protected delegate(db: Db): unknown {
    return db.asset;
  }

  /**
   * One asset, or null. The hottest read of the API (`GET` of an asset): a prepared statement on the pool
   * ({@link queryPrepared}) outside transactions.
   */
  async get(customerId: number, spaceId: number, id: string, db: Db = this.prisma): Promise<Asset | null> {
    return findAssetByKey(db, customerId, spaceId, id);
  }

  /** Updates the decided columns of an existing asset (no ingest). */
  async updateFields(
    customerId: number,
    spaceId: number,
    id: string,
    fields: AssetFields,
    db: Db,
  ): Promise<Asset> {
    await this.updateWhere(customerId, { spaceId, id }, toColumns(fields), db);
    return (await this.get(customerId, spaceId, id, db))!;
  }

  /**
   * Creates or replaces an asset for a new ingest attempt: the decided columns, `ingesting: true`, `error` and
   * `finished` cleared, no batch, attempt + 1 (1 when new). Returns the row written.
   */
  upsertForIngest(
    customerId: number,
    spaceId: number,
    id: string,
    fields: AssetFields,
    db: Db,
  ): Promise<Asset> {
    const columns = toColumns(fields) as Prisma.AssetUncheckedCreateInput;
    return db.asset.upsert({
      where: { customerId_spaceId_id: { customerId, spaceId, id } },
      create: { ...columns, customerId, spaceId, id, ingesting: true, error: null, ingestAttempt: 1 },
      update: {
        ...toColumns(fields),
        ingesting: true,
        error: null,
        finished: null,
        batchId: null,
        ingestAttempt: { increment: 1 },
      },
    });
  }

  /**
   * Writes every member of a batch in one statement, whatever the count: an `INSERT ... ON CONFLICT DO UPDATE` of
   * the assets (new attempt; `created` kept on replace) chained to the `batch_members` insert. (Prisma's
   * createMany costs ~1 ms per row; `jsonb_to_recordset` keeps a 500-member batch well under 1 s.)
   */
  upsertBatchMembers(
    customerId: number,
    batchId: number,
    members: { spaceId: number; id: string; fields: AssetFields }[],
    db: Db,
  ): Promise<LandedMember[]> {
    const input = JSON.stringify(members.map((m) => ({ spaceId: m.spaceId, id: m.id, ...m.fields })));
    return db.$queryRawUnsafe<LandedMember[]>(UPSERT_MEMBERS_SQL, input, customerId, batchId);
  }

  /** The decided fields of the customer's existing assets among `keys` (one query, whatever the count). */
  async existing(
    customerId: number,
    keys: { spaceId: number; id: string }[],
  ): Promise<Map<string, ExistingAsset>> {
    if (!keys.length) return new Map();
    const rows = await this.prisma.$queryRawUnsafe<(Asset & { spaceId: number; id: string })[]>(
      SELECT_EXISTING_SQL,
      customerId,
      JSON.stringify(keys),
    );
    return new Map(rows.map((r) => [`${r.spaceId}/${r.id}`, existingFields(r)]));
  }

  /** The customer's assets with the given keys (any order). */
  byKeys(customerId: number, keys: { spaceId: number; id: string }[]): Promise<Asset[]> {
    if (!keys.length) return Promise.resolve([]);
    return this.findAll(
      customerId,
      { OR: keys.map((k) => ({ spaceId: k.spaceId, id: k.id })) },
      undefined,
      keys.length,
    );
  }

  /**
   * The customer's assets with the given keys, in (space, id) order, in one statement whatever the count.
   * @param lock also lock the rows (`FOR UPDATE`, in that fixed order) for the rest of transaction `db`.
   */
  async findByKeys(
    customerId: number,
    keys: readonly AssetKey[],
    db: Db = this.prisma,
    lock = false,
  ): Promise<Asset[]> {
    if (!keys.length) return [];
    return db.$queryRawUnsafe<Asset[]>(
      lock ? LOCK_BY_KEYS_SQL : SELECT_BY_KEYS_SQL,
      customerId,
      keysJson(keys),
    );
  }

  /**
   * One page of the customer's assets across every space (`GET C/allImages`): the paging's whitelisted order (or
   * registration order), then space and id, so pages are stable.
   */
  async pageAcrossSpaces(
    customerId: number,
    where: Prisma.AssetWhereInput,
    paging: Paging,
  ): Promise<RowPage<Asset>> {
    const scoped = this.scope(customerId, where);
    const orderBy = [
      ...this.table.orderBy(paging.orderBy, paging.descending, ASSET_DEFAULT_ORDER),
      { spaceId: 'asc' as const },
    ];
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.asset.findMany({ where: scoped, skip: paging.skip, take: paging.pageSize, orderBy }),
      this.prisma.asset.count({ where: scoped }),
    ]);
    return { rows, total };
  }

  /** Deletes the customer's assets with the given keys (one statement); returns the keys deleted. */
  async deleteByKeys(customerId: number, keys: readonly AssetKey[], db: Db): Promise<AssetKey[]> {
    if (!keys.length) return [];
    const rows = await db.$queryRawUnsafe<AssetKey[]>(DELETE_BY_KEYS_SQL, customerId, keysJson(keys));
    return rows.map((r) => ({ spaceId: Number(r.spaceId), id: r.id }));
  }

  /**
   * Closes the pending batch members of assets being deleted as errors "deleted" and moves their batches'
   * counters exactly (the batch ledger's {@link closeMembersOfDeletedAssets}: three statements whatever the count;
   * the caller has locked the asset rows).
   * @returns the batches moved; `justFinished` ones need a `batch.completed.v1`.
   */
  closePendingMembers(
    customerId: number,
    keys: readonly AssetKey[],
    tx: Prisma.TransactionClient,
  ): Promise<LedgerUpdate[]> {
    return closeMembersOfDeletedAssets(tx, customerId, uniqueKeys(keys), new Date());
  }

  /**
   * Sets the {@link BULK_COLUMNS} of many assets of the customer in one statement (values computed by the caller
   * from rows it locked in the same transaction); rows with `reingest` also start a new ingest attempt
   * (`ingesting`, `error`/`finished`/batch cleared, attempt + 1). Returns the rows as written, in (space, id) order.
   */
  async bulkUpdate(customerId: number, rows: readonly BulkRow[], db: Db): Promise<Asset[]> {
    if (!rows.length) return [];
    const input = rows.map((r) => {
      const out: Record<string, unknown> = { spaceId: r.spaceId, id: r.id, reingest: r.reingest };
      for (const c of BULK_COLUMNS) out[c] = r[c];
      return out;
    });
    const written = await db.$queryRawUnsafe<Asset[]>(BULK_UPDATE_SQL, customerId, JSON.stringify(input));
    return written.sort((a, b) => a.spaceId - b.spaceId || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Appends outbox rows in one statement (whatever the count), inside the caller's transaction. */
  async appendOutbox(rows: readonly Prisma.OutboxMessageCreateInput[], db: Db): Promise<void> {
    if (!rows.length) return;
    await db.$executeRawUnsafe(
      INSERT_OUTBOX_SQL,
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          routingKey: r.routingKey,
          envelope: r.envelope,
          priority: r.priority ?? 0,
        })),
      ),
    );
  }

  /**
   * One page of the customer's assets (SPEC.md §3.1 paging, ordering, filters). The list filters the asset table
   * produces (equality on a column, `hasSome` overlap on a list column) are run as one prepared-statement query
   * for the rows and one for the count ({@link queryPrepared}): materialising 100 wide rows through Prisma's query
   * engine costs about five times the query itself. Any other `where` shape goes through Prisma.
   */
  override async page(
    customerId: number,
    where: Prisma.AssetWhereInput,
    paging: Paging,
    fallback: OrderBy = ASSET_DEFAULT_ORDER,
  ): Promise<RowPage<Asset>> {
    const sql = assetPageSql(
      customerId,
      where,
      this.table.orderBy(paging.orderBy, paging.descending, fallback),
    );
    if (!sql) return super.page(customerId, where, paging, fallback);
    const [rows, counted] = await Promise.all([
      queryPrepared<Asset>(
        this.prisma,
        `asset-page-${sql.shape}`,
        `${sql.select} LIMIT $${sql.values.length + 1} OFFSET $${sql.values.length + 2}`,
        [...sql.values, paging.pageSize, paging.skip],
      ),
      queryPrepared<{ n: number }>(this.prisma, `asset-count-${sql.shape}`, sql.count, sql.values),
    ]);
    return { rows, total: counted[0]?.n ?? 0 };
  }

  /** Number of assets in one space of the customer (SPEC.md §3.3 `approximateNumberOfImages`). */
  countInSpace(customerId: number, spaceId: number): Promise<number> {
    return this.countWhere(customerId, { spaceId });
  }
}
