import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type NamedQuery, type Prisma, type PrismaClient } from '@vellum/db';
import type { Paging } from '../http/hydra';
import { CustomerScopedRepository, type Db, type RowPage } from '../resource/customer-scoped.repository';
import { NAMED_QUERY_FIELDS } from './named-query.fields';

/** The columns a write sets (the table's writable fields). */
export type NamedQueryColumns = Partial<Pick<NamedQuery, 'name' | 'template' | 'global'>>;

/**
 * Named queries (SPEC.md §3.3 "Named queries"): every read and write of `named_queries` by the gateway. Writes and
 * own reads go through the customer scope; the one cross-customer read, global queries, has its own named methods
 * ({@link visible}, {@link pageVisible}): a customer sees its own queries and every `global` one.
 */
@Injectable()
export class NamedQueriesRepository extends CustomerScopedRepository<
  NamedQuery,
  Prisma.NamedQueryWhereInput
> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, NAMED_QUERY_FIELDS, [{ created: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.namedQuery;
  }

  /** The customer's own query `id`, or null. */
  get(customerId: number, id: string, db: Db = this.prisma): Promise<NamedQuery | null> {
    return this.findOne(customerId, { id }, db);
  }

  /** Where a customer may read: its own queries and every global one (of any customer). */
  private visibleTo(customerId: number): Prisma.NamedQueryWhereInput {
    return { OR: [{ customerId }, { global: true }] };
  }

  /** Query `id` if the customer owns it or it is global, else null (platform-wide read). */
  visible(customerId: number, id: string): Promise<NamedQuery | null> {
    return this.prisma.namedQuery.findFirst({ where: { AND: [{ id }, this.visibleTo(customerId)] } });
  }

  /**
   * One page of the queries a customer sees (its own and every global one), filtered by `where` and ordered by the
   * paging's whitelisted field (default: oldest first), with the total, in one snapshot.
   */
  async pageVisible(
    customerId: number,
    where: Prisma.NamedQueryWhereInput,
    paging: Paging,
  ): Promise<RowPage<NamedQuery>> {
    const scoped: Prisma.NamedQueryWhereInput = { AND: [where, this.visibleTo(customerId)] };
    const orderBy = this.table.orderBy(paging.orderBy, paging.descending, this.defaultOrder);
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.namedQuery.findMany({ where: scoped, skip: paging.skip, take: paging.pageSize, orderBy }),
      this.prisma.namedQuery.count({ where: scoped }),
    ]);
    return { rows, total };
  }

  /** True when the customer has a query called `name` (other than `exceptId`). */
  async nameTaken(
    customerId: number,
    name: string,
    exceptId?: string,
    db: Db = this.prisma,
  ): Promise<boolean> {
    const where: Prisma.NamedQueryWhereInput = exceptId ? { name, NOT: { id: exceptId } } : { name };
    return (await this.countWhere(customerId, where, db)) > 0;
  }

  /** Creates a query of the customer. */
  create(customerId: number, data: Required<Pick<NamedQuery, 'name' | 'template'>> & NamedQueryColumns) {
    return this.insert(customerId, data);
  }

  /** Changes the supplied columns of the customer's query `id`; returns it, or null when it is not the customer's. */
  async update(customerId: number, id: string, data: NamedQueryColumns, db: Db = this.prisma) {
    const n = await this.updateWhere(customerId, { id }, data, db);
    return n ? this.get(customerId, id, db) : null;
  }

  /** Deletes the customer's query `id`; false when it is not the customer's. */
  async remove(customerId: number, id: string): Promise<boolean> {
    return (await this.deleteWhere(customerId, { id })) > 0;
  }
}
