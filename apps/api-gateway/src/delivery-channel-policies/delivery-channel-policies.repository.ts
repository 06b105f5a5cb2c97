import { Inject, Injectable } from '@nestjs/common';
import {
  PLATFORM_CUSTOMER_ID,
  PRISMA,
  type DeliveryChannelPolicy,
  type Prisma,
  type PrismaClient,
} from '@vellum/db';
import type { Paging } from '../http/hydra';
import { CustomerScopedRepository, type Db, type RowPage } from '../resource/customer-scoped.repository';
import { POLICY_FIELDS } from './policy.fields';

/** The columns a policy write decides. */
export interface PolicyValues {
  displayName: string;
  policyData: string[] | null;
}

/**
 * Delivery channel policies (SPEC.md §1, §3.3): the customer's own rows, scoped in one place
 * ({@link CustomerScopedRepository}), and the platform's shared system rows (customerId 0, `system = true`), which
 * are read-only and visible to every customer and are read only through the methods named so. Non-system
 * platform rows are templates copied to each new customer; no customer sees them.
 */
@Injectable()
export class DeliveryChannelPoliciesRepository extends CustomerScopedRepository<
  DeliveryChannelPolicy,
  Prisma.DeliveryChannelPolicyWhereInput
> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, POLICY_FIELDS, [{ name: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.deliveryChannelPolicy;
  }

  /** `where` over the policies a customer sees: its own and the platform's system policies. */
  private visibleWhere(
    customerId: number,
    where: Prisma.DeliveryChannelPolicyWhereInput,
  ): Prisma.DeliveryChannelPolicyWhereInput {
    return {
      OR: [this.scope(customerId, where), { ...where, customerId: PLATFORM_CUSTOMER_ID, system: true }],
    };
  }

  /**
   * One page of the policies of `channel` the customer sees (its own and the platform's system policies), with
   * the total, ordered by the paging's field (default `name`).
   */
  async pageVisible(
    customerId: number,
    channel: string,
    paging: Paging,
  ): Promise<RowPage<DeliveryChannelPolicy>> {
    const where = this.visibleWhere(customerId, { channel });
    const orderBy = this.table.orderBy(paging.orderBy, paging.descending, this.defaultOrder);
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.deliveryChannelPolicy.findMany({
        where,
        orderBy,
        skip: paging.skip,
        take: paging.pageSize,
      }),
      this.prisma.deliveryChannelPolicy.count({ where }),
    ]);
    return { rows, total };
  }

  /** The customer's own policy, or null. */
  own(customerId: number, channel: string, name: string, db: Db = this.prisma) {
    return this.findOne(customerId, { channel, name }, db);
  }

  /** The platform's system policy `channel/name` (shared, read-only), or null. */
  platformSystemPolicy(channel: string, name: string, db: Db = this.prisma) {
    return db.deliveryChannelPolicy.findFirst({
      where: { customerId: PLATFORM_CUSTOMER_ID, system: true, channel, name },
    });
  }

  /** The policy `channel/name` as the customer sees it: its own, else the platform's system policy, else null. */
  async visible(customerId: number, channel: string, name: string): Promise<DeliveryChannelPolicy | null> {
    return (await this.own(customerId, channel, name)) ?? this.platformSystemPolicy(channel, name);
  }

  /**
   * Owner, channel and name of every policy the customer sees: its own (`customerId` = the customer's) and the
   * platform's system policies (`customerId` 0).
   */
  visibleNames(customerId: number): Promise<{ customerId: number; channel: string; name: string }[]> {
    return this.prisma.deliveryChannelPolicy.findMany({
      where: this.visibleWhere(customerId, {}),
      select: { customerId: true, channel: true, name: true },
    });
  }

  /** Creates the customer's policy. @throws a unique violation when it exists. */
  create(customerId: number, channel: string, name: string, values: PolicyValues, db: Db = this.prisma) {
    return this.insert(customerId, { channel, name, system: false, ...this.columns(values) }, db);
  }

  /** Sets the given columns of the customer's policy; returns the row, or null when there is none. */
  async change(
    customerId: number,
    channel: string,
    name: string,
    values: Partial<PolicyValues>,
    db: Db = this.prisma,
  ): Promise<DeliveryChannelPolicy | null> {
    const n = await this.updateWhere(
      customerId,
      { channel, name },
      { ...this.columns(values), modified: new Date() },
      db,
    );
    return n ? this.own(customerId, channel, name, db) : null;
  }

  /** Deletes the customer's policy; true when it existed. */
  async remove(customerId: number, channel: string, name: string, db: Db = this.prisma): Promise<boolean> {
    return (await this.deleteWhere(customerId, { channel, name }, db)) > 0;
  }

  /** Locks the customer's policy row until the transaction ends (so a delete and its in-use check are one step). */
  async lock(customerId: number, channel: string, name: string, db: Db): Promise<void> {
    await db.$queryRaw`SELECT 1 FROM "delivery_channel_policies"
      WHERE "customerId" = ${customerId} AND "channel" = ${channel} AND "name" = ${name} FOR UPDATE`;
  }

  /**
   * How many of the customer's assets name the policy `channel/name` in their `deliveryChannels` (SPEC.md §3.3
   * "delete of a policy in use → 409"), counted up to 1,000.
   */
  async assetsUsing(
    customerId: number,
    channel: string,
    name: string,
    db: Db = this.prisma,
  ): Promise<number> {
    const needle = JSON.stringify([{ channel, policy: name }]);
    const rows = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM (
        SELECT 1 FROM "assets" WHERE "customerId" = ${customerId} AND "deliveryChannels" @> ${needle}::jsonb
        LIMIT 1000) used`;
    return rows[0]?.n ?? 0;
  }

  private columns(values: Partial<PolicyValues>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (values.displayName !== undefined) out.displayName = values.displayName;
    if (values.policyData !== undefined) out.policyData = values.policyData ?? undefined;
    return out;
  }
}
