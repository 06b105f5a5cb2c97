import { Inject, Injectable } from '@nestjs/common';
import {
  ORIGIN_STRATEGY_ORDER,
  PRISMA,
  type OriginStrategy,
  type Prisma,
  type PrismaClient,
} from '@vellum/db';
import { CustomerScopedRepository, type Db } from '../resource/customer-scoped.repository';
import type { OrderBy } from '../resource/field-table';
import { ORIGIN_STRATEGY_FIELDS } from './origin-strategy.fields';

/** The columns a write sets. */
export type OriginStrategyColumns = Partial<
  Pick<OriginStrategy, 'strategy' | 'regex' | 'credentials' | 'optimised' | 'order'>
>;

/**
 * Origin strategies of one customer (SPEC.md §3.3 "Origin strategies"): every read and write of
 * `origin_strategies` by the gateway, scoped to the customer in one place. Lists default to the evaluation order
 * (`ORIGIN_STRATEGY_ORDER`: `order`, then oldest first), the order the ingest-orchestrator matches in
 * (`originStrategiesFor` in @vellum/db).
 */
@Injectable()
export class OriginStrategiesRepository extends CustomerScopedRepository<
  OriginStrategy,
  Prisma.OriginStrategyWhereInput
> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, ORIGIN_STRATEGY_FIELDS, ORIGIN_STRATEGY_ORDER as OrderBy);
  }

  protected delegate(db: Db): unknown {
    return db.originStrategy;
  }

  /** The customer's rule `id`, or null. */
  get(customerId: number, id: string, db: Db = this.prisma): Promise<OriginStrategy | null> {
    return this.findOne(customerId, { id }, db);
  }

  /** True when another rule of the customer (than `exceptId`) has this regex. */
  async regexTaken(customerId: number, regex: string, exceptId?: string): Promise<boolean> {
    const where: Prisma.OriginStrategyWhereInput = exceptId ? { regex, NOT: { id: exceptId } } : { regex };
    return (await this.countWhere(customerId, where)) > 0;
  }

  /** Creates a rule of the customer with the given id (its credentials are sealed for that id). */
  create(
    customerId: number,
    id: string,
    data: Required<Pick<OriginStrategy, 'strategy' | 'regex'>> & OriginStrategyColumns,
  ): Promise<OriginStrategy> {
    return this.insert(customerId, { ...data, id });
  }

  /** Changes the supplied columns of the customer's rule `id`; returns it, or null when it is not the customer's. */
  async update(customerId: number, id: string, data: OriginStrategyColumns): Promise<OriginStrategy | null> {
    const n = await this.updateWhere(customerId, { id }, data);
    return n ? this.get(customerId, id) : null;
  }

  /** Deletes the customer's rule `id`; false when it is not the customer's. */
  async remove(customerId: number, id: string): Promise<boolean> {
    return (await this.deleteWhere(customerId, { id })) > 0;
  }
}
