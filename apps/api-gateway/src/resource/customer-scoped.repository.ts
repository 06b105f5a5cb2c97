import type { Prisma, PrismaClient } from '@vellum/db';
import type { Paging } from '../http/hydra';
import type { FieldTable, OrderBy } from './field-table';

/** The client a repository runs on: the shared client or the `tx` of a transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** The part of a Prisma model delegate a repository uses (Prisma's generic signatures, erased). */
interface Delegate {
  findUnique(args: object): Promise<unknown>;
  findMany(args: object): Promise<unknown[]>;
  findFirst(args: object): Promise<unknown>;
  count(args: object): Promise<number>;
  create(args: object): Promise<unknown>;
  createMany(args: object): Promise<{ count: number }>;
  updateMany(args: object): Promise<{ count: number }>;
  deleteMany(args: object): Promise<{ count: number }>;
}

/** One page of rows and the total they were taken from. */
export interface RowPage<Row> {
  rows: Row[];
  total: number;
}

/**
 * The base of every customer-scoped repository in the gateway (SPEC.md §10 Security: customer A's key never reads
 * or changes customer B's resources). Prisma stays behind it, and every query it issues goes through
 * {@link scope}, the one place `customerId` is added to a `where`, so no query can forget it.
 *
 * Subclasses name their model ({@link delegate}) and field table, and add their own typed methods on top of the
 * protected primitives; controllers and services never see Prisma.
 * @typeParam Row the Prisma row type.
 * @typeParam Where the model's `WhereInput`.
 */
export abstract class CustomerScopedRepository<Row, Where extends object = Record<string, unknown>> {
  protected constructor(
    protected readonly prisma: PrismaClient,
    /** The resource's field table (columns, order whitelist, filters). */
    readonly table: FieldTable<Row, string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    /** The `orderBy` of a list when the request asks for none. */
    protected readonly defaultOrder: OrderBy,
  ) {}

  /** The model delegate on `db` (e.g. `db.namedQuery`). */
  protected abstract delegate(db: Db): unknown;

  private model(db: Db): Delegate {
    return this.delegate(db) as Delegate;
  }

  /** `where` restricted to one customer: the single place the tenant scope is applied. */
  protected scope(customerId: number, where: Where = {} as Where): Where {
    return { ...where, customerId };
  }

  /** Runs `work` in one transaction (the `tx` goes to the primitives' `db` argument). */
  transaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>, timeoutMs = 10_000): Promise<T> {
    return this.prisma.$transaction(work, { timeout: timeoutMs });
  }

  /** The first row of the customer matching `where`, or null. */
  protected findOne(customerId: number, where: Where, db: Db = this.prisma): Promise<Row | null> {
    return this.model(db).findFirst({ where: this.scope(customerId, where) }) as Promise<Row | null>;
  }

  /**
   * The customer's row with a unique key (`{ customerId_spaceId_id: {...} }`, `{ id }`), or null: `findUnique`,
   * whose compiled query Prisma caches (≈4× cheaper than `findFirst` per call), with the customer scope added as a
   * filter beside the key.
   */
  protected findKey(customerId: number, unique: object, db: Db = this.prisma): Promise<Row | null> {
    return this.model(db).findUnique({
      where: this.scope(customerId, unique as Where),
    }) as Promise<Row | null>;
  }

  /** Every row of the customer matching `where` (bounded by `take`, default 1000). */
  protected findAll(
    customerId: number,
    where: Where = {} as Where,
    orderBy: OrderBy = this.defaultOrder,
    take = 1000,
    db: Db = this.prisma,
  ): Promise<Row[]> {
    return this.model(db).findMany({ where: this.scope(customerId, where), orderBy, take }) as Promise<Row[]>;
  }

  /** Number of the customer's rows matching `where`. */
  protected countWhere(
    customerId: number,
    where: Where = {} as Where,
    db: Db = this.prisma,
  ): Promise<number> {
    return this.model(db).count({ where: this.scope(customerId, where) });
  }

  /**
   * One page of the customer's rows matching `where`, ordered by the paging's whitelisted field (or `fallback`,
   * by default the repository's default order), with the total: one `findMany` and one `count`, in one snapshot.
   */
  async page(
    customerId: number,
    where: Where,
    paging: Paging,
    fallback: OrderBy = this.defaultOrder,
  ): Promise<RowPage<Row>> {
    const scoped = this.scope(customerId, where);
    const orderBy = this.table.orderBy(paging.orderBy, paging.descending, fallback);
    const m = this.model(this.prisma);
    const [rows, total] = await this.prisma.$transaction([
      m.findMany({
        where: scoped,
        skip: paging.skip,
        take: paging.pageSize,
        orderBy,
      }) as Prisma.PrismaPromise<Row[]>,
      m.count({ where: scoped }) as Prisma.PrismaPromise<number>,
    ]);
    return { rows, total };
  }

  /** Creates one row of the customer (`customerId` is set here, whatever `data` says). */
  protected insert(customerId: number, data: object, db: Db = this.prisma): Promise<Row> {
    return this.model(db).create({ data: { ...data, customerId } }) as Promise<Row>;
  }

  /** Updates the customer's rows matching `where`; returns how many changed. */
  protected updateWhere(
    customerId: number,
    where: Where,
    data: object,
    db: Db = this.prisma,
  ): Promise<number> {
    return this.model(db)
      .updateMany({ where: this.scope(customerId, where), data })
      .then((r) => r.count);
  }

  /** Deletes the customer's rows matching `where`; returns how many went. */
  protected deleteWhere(customerId: number, where: Where, db: Db = this.prisma): Promise<number> {
    return this.model(db)
      .deleteMany({ where: this.scope(customerId, where) })
      .then((r) => r.count);
  }
}
