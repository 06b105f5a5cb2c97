import { Inject, Injectable } from '@nestjs/common';
import { CustomerCustomHeadersChangedV1 } from '@vellum/contracts';
import { PRISMA, type CustomHeader, type Prisma, type PrismaClient } from '@vellum/db';
import { outboxRow } from '@vellum/messaging';
import { SERVICE_NAME } from '../customers/customers.service';
import { CustomerScopedRepository, type Db } from '../resource/customer-scoped.repository';
import { CUSTOM_HEADER_FIELDS } from './custom-header.fields';

/** The columns a custom header write decides (`space`/`role` null = every space / whatever the roles). */
export interface CustomHeaderValues {
  key: string;
  value: string;
  space: number | null;
  role: string | null;
}

/**
 * Custom headers of one customer (SPEC.md §3.3, §5), scoped in one place ({@link CustomerScopedRepository}).
 * Every change writes, in the same transaction, a `customer.custom-headers.changed.v1` outbox row, so that every
 * iiif-delivery replica drops the cached lookups carrying the old headers.
 */
@Injectable()
export class CustomHeadersRepository extends CustomerScopedRepository<
  CustomHeader,
  Prisma.CustomHeaderWhereInput
> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, CUSTOM_HEADER_FIELDS, [{ created: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.customHeader;
  }

  /** One header of the customer, or null. */
  get(customerId: number, id: string, db: Db = this.prisma): Promise<CustomHeader | null> {
    return this.findOne(customerId, { id }, db);
  }

  /**
   * Another header of the customer with the same key (case-insensitive), space and role as `values`, or null:
   * the rule of the unique index `custom_headers_rule_key`.
   */
  clash(customerId: number, values: CustomHeaderValues, exceptId?: string, db: Db = this.prisma) {
    return this.findOne(
      customerId,
      {
        key: { equals: values.key, mode: 'insensitive' },
        space: values.space,
        role: values.role,
        ...(exceptId ? { NOT: { id: exceptId } } : {}),
      },
      db,
    );
  }

  /** Creates a header and its change event. @throws a unique violation on a clash. */
  create(customerId: number, values: CustomHeaderValues): Promise<CustomHeader> {
    return this.transaction(async (tx) => {
      const row = await this.insert(customerId, values, tx);
      await this.changed(customerId, tx);
      return row;
    });
  }

  /** Sets the given columns of a header (with its change event); the row, or null when there is none. */
  update(customerId: number, id: string, values: Partial<CustomHeaderValues>): Promise<CustomHeader | null> {
    return this.transaction(async (tx) => {
      if (!(await this.updateWhere(customerId, { id }, { ...values, modified: new Date() }, tx))) return null;
      await this.changed(customerId, tx);
      return this.get(customerId, id, tx);
    });
  }

  /** Deletes a header (with its change event); true when it existed. */
  remove(customerId: number, id: string): Promise<boolean> {
    return this.transaction(async (tx) => {
      if (!(await this.deleteWhere(customerId, { id }, tx))) return false;
      await this.changed(customerId, tx);
      return true;
    });
  }

  /** The `customer.custom-headers.changed.v1` outbox row of a change, in its transaction. */
  private async changed(customerId: number, tx: Db): Promise<void> {
    const event = Object.assign(new CustomerCustomHeadersChangedV1(), { customerId });
    await tx.outboxMessage.create({ data: outboxRow(event, { producer: SERVICE_NAME }) });
  }
}
