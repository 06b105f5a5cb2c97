import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type Prisma, type PrismaClient, queryPrepared, type Space } from '@vellum/db';
import { CustomerScopedRepository, type Db } from '../resource/customer-scoped.repository';
import { SPACE_FIELDS } from './space.fields';

/** Columns of a space as written (the table's writable fields, mapped by `toColumns`). */
export type SpaceColumns = Partial<
  Pick<
    Space,
    'name' | 'defaultTags' | 'defaultRoles' | 'defaultMaxWidth' | 'defaultOpenFullMax' | 'defaultOpenMaxWidth'
  >
>;

/**
 * Rows of one space that `DELETE C/spaces/{s}` removes with it (by `customerId` and `spaceId`).
 * LEAD: tables other issue-6 branches add per space (custom headers with a space...) go here.
 */
const SPACE_OWNED_TABLES = ['default_delivery_channels', 'storage_usage'] as const;

/** $1 = customerId, $2 = space id. */
const SPACE_EXISTS_SQL = `SELECT 1 AS "one" FROM "spaces" WHERE "customerId" = $1::int AND "id" = $2::int`;

/**
 * Spaces of one customer (SPEC.md §3.3 "Spaces"), every query scoped to the customer in one place
 * ({@link CustomerScopedRepository}).
 */
@Injectable()
export class SpacesRepository extends CustomerScopedRepository<Space, Prisma.SpaceWhereInput> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, SPACE_FIELDS, [{ id: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.space;
  }

  /** One space, or null. */
  get(customerId: number, id: number, db: Db = this.prisma): Promise<Space | null> {
    return this.findOne(customerId, { id }, db);
  }

  /**
   * True when the customer has space `id`: the existence check in front of every space sub-resource (asset lists,
   * bulk edits, uploads...), a prepared statement on the pool ({@link queryPrepared}) instead of a Prisma query.
   */
  async exists(customerId: number, id: number, db: Db = this.prisma): Promise<boolean> {
    const rows = await queryPrepared<{ one: number }>(db, 'space-exists', SPACE_EXISTS_SQL, [customerId, id]);
    return rows.length > 0;
  }

  /** Another space of the customer (not `exceptId`) with that name, or null. */
  named(customerId: number, name: string, exceptId?: number, db: Db = this.prisma): Promise<Space | null> {
    return this.findOne(
      customerId,
      { name, ...(exceptId !== undefined ? { NOT: { id: exceptId } } : {}) },
      db,
    );
  }

  /**
   * Creates a space at `id`, or at the customer's next free id (highest + 1) when `id` is undefined.
   * @throws a unique violation when the id or the name is taken meanwhile.
   */
  async create(
    customerId: number,
    columns: SpaceColumns & { name: string },
    id?: number,
    db: Db = this.prisma,
  ) {
    let spaceId = id;
    if (spaceId === undefined) {
      const max = await db.space.aggregate({ where: this.scope(customerId), _max: { id: true } });
      spaceId = (max._max.id ?? 0) + 1;
    }
    return this.insert(customerId, { ...columns, id: spaceId }, db);
  }

  /** Changes the given columns of a space. @returns the updated row, or null when it is gone. */
  async update(
    customerId: number,
    id: number,
    columns: SpaceColumns,
    db: Db = this.prisma,
  ): Promise<Space | null> {
    if (Object.keys(columns).length) await this.updateWhere(customerId, { id }, columns, db);
    return this.get(customerId, id, db);
  }

  /**
   * Deletes a space and its own rows ({@link SPACE_OWNED_TABLES}, and its custom headers) in `db` (a
   * transaction). The caller has checked that it holds no asset. @returns false when it did not exist.
   */
  async delete(customerId: number, id: number, db: Db): Promise<boolean> {
    for (const table of SPACE_OWNED_TABLES)
      await db.$executeRawUnsafe(
        `DELETE FROM "${table}" WHERE "customerId" = $1 AND "spaceId" = $2`,
        customerId,
        id,
      );
    // The space's custom headers (their column is `space`): a new space with this id must not inherit them.
    await db.$executeRaw`DELETE FROM "custom_headers" WHERE "customerId" = ${customerId} AND "space" = ${id}`;
    return (await this.deleteWhere(customerId, { id }, db)) > 0;
  }

  /** Locks a space row for the rest of the transaction (`FOR UPDATE`). @returns false when it does not exist. */
  async lock(customerId: number, id: number, db: Db): Promise<boolean> {
    const rows = await db.$queryRaw<{ id: number }[]>`
      SELECT "id" FROM "spaces" WHERE "customerId" = ${customerId} AND "id" = ${id} FOR UPDATE`;
    return rows.length > 0;
  }
}
