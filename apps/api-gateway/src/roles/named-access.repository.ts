import type { PrismaClient } from '@vellum/db';
import type { OrderBy } from '../resource/field-table';
import type { FieldTable } from '../resource/field-table';
import { CustomerScopedRepository, type Db } from '../resource/customer-scoped.repository';
import { accessControlChanged } from './access-control';

/**
 * The base of the access-control repositories keyed by `(customerId, name)` (roles, access services, role
 * providers; issue 10): reads and writes scoped to one customer ({@link CustomerScopedRepository}); every change
 * writes, in its transaction, a `customer.access-control.changed.v1` outbox row.
 */
export abstract class NamedAccessRepository<Row, Where extends object> extends CustomerScopedRepository<
  Row,
  Where
> {
  protected constructor(
    prisma: PrismaClient,
    table: FieldTable<Row, string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    defaultOrder: OrderBy,
  ) {
    super(prisma, table, defaultOrder);
  }

  /** The customer's row called `name`, or null. */
  get(customerId: number, name: string, db: Db = this.prisma): Promise<Row | null> {
    return this.findOne(customerId, { name } as Where, db);
  }

  /** Creates a row (with its change event). @throws a unique violation when the name is taken. */
  create(customerId: number, name: string, values: object): Promise<Row> {
    return this.transaction(async (tx) => {
      const row = await this.insert(customerId, { ...values, name }, tx);
      await accessControlChanged(customerId, tx);
      return row;
    });
  }

  /** Sets the given columns (with its change event); the row, or null when there is none. */
  update(customerId: number, name: string, values: object): Promise<Row | null> {
    return this.transaction(async (tx) => {
      const n = await this.updateWhere(
        customerId,
        { name } as Where,
        { ...values, modified: new Date() },
        tx,
      );
      if (!n) return null;
      await accessControlChanged(customerId, tx);
      return this.get(customerId, name, tx);
    });
  }

  /**
   * Deletes the row unless {@link uses} finds something naming it (checked in the delete's transaction, with its
   * change event).
   * @returns `deleted`, `missing`, or a description of what still uses it.
   */
  remove(customerId: number, name: string): Promise<{ deleted: boolean; usedBy?: string }> {
    return this.transaction(async (tx) => {
      const usedBy = await this.uses(customerId, name, tx);
      if (usedBy) return { deleted: false, usedBy };
      if (!(await this.deleteWhere(customerId, { name } as Where, tx))) return { deleted: false };
      await accessControlChanged(customerId, tx);
      return { deleted: true };
    });
  }

  /** What still names the row (`"2 roles"`), or null when nothing does. */
  protected abstract uses(customerId: number, name: string, db: Db): Promise<string | null>;
}

/** The labels of the non-zero counts, comma-separated (`"roles (2), users (1)"`), or null when all are zero. */
export function usesText(counts: Record<string, number>): string | null {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([what]) => what);
  return parts.length ? parts.join(', ') : null;
}
