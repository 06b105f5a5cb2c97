/**
 * Prisma CLI configuration (used by `prisma generate`, `prisma migrate deploy`, `prisma migrate diff`; never by the
 * application at run time). Always run the CLI through `node scripts/prisma.mjs`, which sets the engine env vars so
 * nothing is downloaded. See README.md.
 *
 * Migrations run on Prisma's JavaScript (WebAssembly) schema engine through @prisma/adapter-pg, so no native
 * `schema-engine` binary is needed (it cannot be downloaded on our machines).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { defineConfig } from 'prisma/config';

/**
 * Postgres catalog types (OID → replacement OID) that @prisma/adapter-pg 6.19 cannot deserialize. The JS schema
 * engine introspects `pg_catalog` and gets columns typed `name` (19), `char` (18), `regclass`, `oidvector`...; the
 * adapter throws `Column type 'name' could not be deserialized` for them.
 *
 * WORKAROUND for upstream bug prisma/orm issue 27403 (https://github.com/prisma/prisma/issues/27403): rewrite those
 * field types to `text` (25), or `text[]` (1009) for arrays, before the adapter sees the result. pg still parses the
 * values as strings (their text form), so only the type label changes. Remove once the adapter handles them.
 */
const CATALOG_TYPE_REWRITES: ReadonlyMap<number, number> = new Map([
  [18, 25], // "char"
  [19, 25], // name
  [22, 25], // int2vector
  [24, 25], // regproc
  [27, 25], // tid
  [28, 25], // xid
  [29, 25], // cid
  [30, 25], // oidvector
  [194, 25], // pg_node_tree
  [1033, 25], // aclitem
  [2202, 25], // regprocedure
  [2203, 25], // regoper
  [2204, 25], // regoperator
  [2205, 25], // regclass
  [2206, 25], // regtype
  [3220, 25], // pg_lsn
  [3734, 25], // regconfig
  [3769, 25], // regdictionary
  [4089, 25], // regnamespace
  [4096, 25], // regrole
  [5069, 25], // xid8
  [1002, 1009], // "char"[]
  [1003, 1009], // name[]
  [1006, 1009], // int2vector[]
  [1008, 1009], // regproc[]
  [1011, 1009], // xid[]
  [1013, 1009], // oidvector[]
  [1034, 1009], // aclitem[]
  [2210, 1009], // regclass[]
  [2211, 1009], // regtype[]
]);

type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };

function rewriteCatalogTypes<T>(result: T): T {
  const results = Array.isArray(result) ? (result as QueryResultLike[]) : [result as QueryResultLike];
  for (const r of results) {
    for (const field of r?.fields ?? []) {
      const replacement = CATALOG_TYPE_REWRITES.get(field.dataTypeID);
      if (replacement !== undefined) field.dataTypeID = replacement;
    }
  }
  return result;
}

type AnyQuery = (...args: unknown[]) => unknown;

/** Wraps a pg `query` function (promise or callback style) so its results pass through `rewriteCatalogTypes`. */
function shimQuery(original: AnyQuery, self: unknown): AnyQuery {
  return (...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      const cb = last as (err: unknown, res: unknown) => void;
      return original.apply(self, [
        ...args.slice(0, -1),
        (err: unknown, res: unknown) => cb(err, err ? res : rewriteCatalogTypes(res)),
      ]);
    }
    const ret = original.apply(self, args);
    return ret instanceof Promise ? ret.then(rewriteCatalogTypes) : ret;
  };
}

/** A pg.Pool whose query results (pool.query and checked-out clients) carry no catalog type OIDs. See above. */
class CatalogTypeShimPool extends pg.Pool {
  override query(...args: unknown[]): never {
    return shimQuery(super.query as unknown as AnyQuery, this)(...args) as never;
  }

  override connect(...args: unknown[]): never {
    const patch = (client: pg.PoolClient): pg.PoolClient => {
      const marked = client as pg.PoolClient & { __vellumCatalogShim?: boolean };
      if (!marked.__vellumCatalogShim) {
        marked.__vellumCatalogShim = true;
        const original = client.query.bind(client) as unknown as AnyQuery;
        (client as unknown as { query: AnyQuery }).query = shimQuery(original, client);
      }
      return client;
    };
    const superConnect = super.connect as unknown as AnyQuery;
    const cb = args[0];
    if (typeof cb === 'function') {
      return superConnect.call(this, (err: unknown, client: pg.PoolClient, done: unknown) =>
        (cb as AnyQuery)(err, client ? patch(client) : client, done),
      ) as never;
    }
    return (superConnect.call(this) as Promise<pg.PoolClient>).then(patch) as never;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  // Paths are relative to this file.
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error('DATABASE_URL is not set (needed by prisma migrate)');
    return new PrismaPg(new CatalogTypeShimPool({ connectionString, max: 2 }));
  },
});
