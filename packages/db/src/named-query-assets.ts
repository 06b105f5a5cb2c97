import { createHash } from 'node:crypto';
import type { AssetQueryField, BoundNamedQuery } from '@vellum/iiif';
import { queryPrepared } from './client';
import type { AssetFamily, NamedQuery, Prisma, PrismaClient } from './generated/prisma/client';

/**
 * Named queries run against the metadata store (SPEC.md §7): the one place that turns a bound query
 * (`bindNamedQuery` of @vellum/iiif) into SQL, shared by every projection iiif-delivery serves (`iiif-resource`,
 * `raw-resource`, `pdf`, `zip`), so that they can never select different assets.
 */

/** The client or a transaction's `tx`. */
type Db = PrismaClient | Prisma.TransactionClient;

/**
 * One asset a named query selected: the columns the projections need (SPEC.md §3.4 names), as pg returns them
 * (`deliveryChannels`/`derivatives` parsed JSON, arrays as arrays, timestamps as `Date`).
 */
export interface NamedQueryAsset {
  customerId: number;
  spaceId: number;
  id: string;
  mediaType: string;
  family: AssetFamily;
  /** `[{ channel, policy }]`. */
  deliveryChannels: Prisma.JsonValue;
  /** See the `derivatives` column of `Asset` (pyramid, thumbnails, original, transcodes). */
  derivatives: Prisma.JsonValue | null;
  /** Pixels; null when the asset has none. */
  width: number | null;
  height: number | null;
  /** Milliseconds; null when the asset has none. */
  duration: number | null;
  roles: string[];
  maxWidth: number;
  openFullMax: number;
  openMaxWidth: number;
  tags: string[];
  string1: string | null;
  string2: string | null;
  string3: string | null;
  number1: number | null;
  number2: number | null;
  number3: number | null;
  manifests: string[];
  batchId: number | null;
  created: Date;
  /** Last change of the row (metadata edits included). */
  updated: Date;
  /** When its last successful ingest ended; null while it never finished. */
  finished: Date | null;
  ingesting: boolean;
  error: string | null;
}

/** Options of {@link findNamedQueryAssets}. */
export interface FindNamedQueryAssetsOptions {
  /**
   * `ready` (the default): only assets that can be delivered: finished, not ingesting, no error (what every
   * projection shows). `all`: every matching asset whatever its ingest state.
   */
  include?: 'ready' | 'all';
  /** At most this many assets (the first in order); default: no bound. A caller that must know whether there
   * were more asks for one more than it shows. */
  limit?: number;
}

/** SQL column of each query field (quoted identifiers of the `assets` table). */
const COLUMN: Record<AssetQueryField, string> = {
  string1: 'a."string1"',
  string2: 'a."string2"',
  string3: 'a."string3"',
  number1: 'a."number1"',
  number2: 'a."number2"',
  number3: 'a."number3"',
};

/** The asset order when a template gives none: `number1` (the usual page or sequence number), ascending. */
export const DEFAULT_NAMED_QUERY_ORDER: BoundNamedQuery['order'] = [{ field: 'number1', direction: 'asc' }];

const SELECT = `SELECT a."customerId", a."spaceId", a.id, a."mediaType", a.family::text AS family,
  a."deliveryChannels", a.derivatives, a.width, a.height, a.duration, a.roles, a."maxWidth", a."openFullMax",
  a."openMaxWidth", a.tags, a.string1, a.string2, a.string3, a.number1, a.number2, a.number3, a.manifests,
  a."batchId", a.created, a.updated, a.finished, a.ingesting, a.error
FROM assets a`;

/** A built statement: its text and values, `$1` always the customer id. */
export interface NamedQueryStatement {
  text: string;
  values: unknown[];
}

/**
 * The SQL of {@link findNamedQueryAssets} (exported for tests and `EXPLAIN`): every condition ANDed, always under
 * `a."customerId" = $1`, so a query can never reach another customer's assets whatever its template says.
 * - `space` → `spaceId`; `spaceName` → the space of **this customer** with that name (none → no match);
 * - `string1..3`, `number1..3` → equality; `tag` → the asset's `tags` contain it (`@>`, GIN index);
 *   `batch` → the asset's current `batchId`;
 * - order: the template's `assetOrder` terms (or {@link DEFAULT_NAMED_QUERY_ORDER}), NULLs last in either
 *   direction, then space and id, so ties always come out in the same order.
 * Only values are parameters; the text depends only on which conditions and order terms are present, so the
 * number of distinct statements (each prepared once per connection) stays small.
 */
export function namedQueryStatement(
  customerId: number,
  bound: BoundNamedQuery,
  opts: FindNamedQueryAssetsOptions = {},
): NamedQueryStatement {
  const values: unknown[] = [customerId];
  const param = (v: unknown, type: 'int' | 'text'): string => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  const where = ['a."customerId" = $1'];
  const c = bound.conditions;
  if (c.space !== undefined) where.push(`a."spaceId" = ${param(c.space, 'int')}`);
  if (c.spaceName !== undefined) {
    where.push(
      `a."spaceId" = (SELECT s.id FROM spaces s WHERE s."customerId" = $1 AND s.name = ${param(c.spaceName, 'text')})`,
    );
  }
  for (const f of ['string1', 'string2', 'string3'] as const)
    if (c[f] !== undefined) where.push(`${COLUMN[f]} = ${param(c[f], 'text')}`);
  for (const f of ['number1', 'number2', 'number3'] as const)
    if (c[f] !== undefined) where.push(`${COLUMN[f]} = ${param(c[f], 'int')}`);
  if (c.tag !== undefined) where.push(`a.tags @> ARRAY[${param(c.tag, 'text')}]`);
  if (c.batch !== undefined) where.push(`a."batchId" = ${param(c.batch, 'int')}`);
  if ((opts.include ?? 'ready') === 'ready')
    where.push('a.ingesting = false AND a.error IS NULL AND a.finished IS NOT NULL');
  const order = (bound.order.length ? bound.order : DEFAULT_NAMED_QUERY_ORDER).map(
    (o) => `${COLUMN[o.field]} ${o.direction === 'desc' ? 'DESC' : 'ASC'} NULLS LAST`,
  );
  order.push('a."spaceId" ASC', 'a.id ASC');
  let text = `${SELECT}\nWHERE ${where.join('\n  AND ')}\nORDER BY ${order.join(', ')}`;
  if (opts.limit !== undefined) text += `\nLIMIT ${param(Math.max(0, Math.floor(opts.limit)), 'int')}`;
  return { text, values };
}

/**
 * Runs a bound named query for one customer (SPEC.md §7): that customer's matching assets, in order.
 * The customer scope is not part of the query's conditions and cannot be lifted by them (a global query run for
 * customer C returns C's assets only). One prepared statement on the pool of `db` (a round trip, no Prisma query
 * compiler: ≈ 5 ms for 1,000 assets).
 * @param customerId the integer id of the customer the request names.
 * @param bound `bindNamedQuery(template, args)` of @vellum/iiif.
 * @returns the matching assets (possibly none), ordered as {@link namedQueryStatement} says.
 */
export async function findNamedQueryAssets(
  db: Db,
  customerId: number,
  bound: BoundNamedQuery,
  opts: FindNamedQueryAssetsOptions = {},
): Promise<NamedQueryAsset[]> {
  const { text, values } = namedQueryStatement(customerId, bound, opts);
  const name = `nq_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  return queryPrepared<NamedQueryAsset>(db, name, text, values);
}

/** Customer names (SPEC.md §1) and named-query names (`docs/api/named-queries.md`): anything else cannot exist. */
const CUSTOMER_NAME = /^[a-zA-Z0-9_.-]{1,60}$/;
const QUERY_NAME = /^[A-Za-z0-9._~-]{1,100}$/;

/** A named query found for a customer: the stored row and whether it is the customer's own or a global one. */
export interface ResolvedNamedQuery {
  /** The customer the query runs for (the request's). */
  customerId: number;
  query: NamedQuery;
  /** True when `query` is a global query of another customer (SPEC.md §3.3 "Named queries"). */
  global: boolean;
}

/**
 * Finds the named query a delivery URL `/{projection}/{customer}/{name}/...` names (SPEC.md §3.3, §7): the
 * customer's own query called `name`, else a `global` query called `name` of any customer (the admin's first,
 * then the oldest), as the api-gateway lists them (`docs/api/named-queries.md` "Global queries").
 * @param customer the customer's integer id, or its name (SPEC.md §1: public URLs accept either).
 * @returns null when the customer or the query does not exist.
 */
export async function findNamedQuery(
  db: Db,
  customer: number | string,
  name: string,
): Promise<ResolvedNamedQuery | null> {
  const byId = typeof customer === 'number' || /^\d{1,9}$/.test(customer);
  if (!byId && !CUSTOMER_NAME.test(customer)) return null;
  if (!QUERY_NAME.test(name)) return null;
  const where = byId ? { id: Number(customer) } : { name: customer };
  const row = await db.customer.findUnique({ where, select: { id: true } });
  if (!row) return null;
  const customerId = row.id;
  const own = await db.namedQuery.findUnique({ where: { customerId_name: { customerId, name } } });
  if (own) return { customerId, query: own, global: false };
  const shared = await db.namedQuery.findFirst({
    where: { name, global: true },
    orderBy: [{ customer: { isAdmin: 'desc' } }, { created: 'asc' }, { id: 'asc' }],
  });
  return shared ? { customerId, query: shared, global: true } : null;
}
