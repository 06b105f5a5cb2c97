import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CUSTOMER_ID, PRISMA, type Customer, type Prisma, type PrismaClient } from '@vellum/db';
import type { Paging } from '../http/hydra';
import { setupAdmin } from '../auth/bootstrap-admin';
import type { CustomerRef } from '../auth/principal';
import { CustomerScopedRepository, type Db, type RowPage } from '../resource/customer-scoped.repository';
import { CUSTOMER_FIELDS } from './customer.fields';

/** The access-control defaults every customer gets (the same texts as migration `20261215100000_access_control`). */
export const CLICKTHROUGH_DEFAULTS = {
  roleProvider: { name: 'clickthrough', type: 'clickthrough' },
  accessService: {
    name: 'clickthrough',
    profile: 'active',
    label: { en: ['Terms of use'] },
    heading: { en: ['Please read and accept the terms of use'] },
    note: { en: ['This material is available to anyone who accepts the terms of use.'] },
    confirmLabel: { en: ['Accept the terms'] },
    roleProvider: 'clickthrough',
  },
  role: { name: 'clickthrough', label: { en: ['Clickthrough'] }, accessService: 'clickthrough' },
} as const;

/** Why a customer could not be deleted (SPEC.md §3.3 `DELETE C`). */
export type CustomerDeleteRefusal = 'missing' | 'admin' | 'has-assets';

/** What went with a deleted customer. */
export interface DeletedCustomer {
  customer: Customer;
  /** Its API keys (for the `customer.apikey.deleted.v1` event and the local caches). */
  keys: string[];
}

/**
 * Tables holding rows of one customer (by `customerId`) that `DELETE C` removes with it, besides those the
 * foreign keys cascade (`api_keys`, `spaces`, `batches` → `batch_members`). Assets are never among them: a
 * customer with assets is not deleted (409).
 * LEAD: tables added by other issue-6 branches with a `customerId` (named queries, custom headers, storage policy
 * assignments, queue rows...) and no foreign key to `customers` must be added here.
 */
const OWNED_TABLES = [
  'delivery_channel_policies',
  'default_delivery_channels',
  'origin_strategies',
  'custom_headers',
  'storage_usage',
  'asset_storage',
  'batch_members',
] as const;

/**
 * Customers (SPEC.md §3.3 "Customers"). A customer is the tenant itself, so its scope is its own id
 * ({@link scope} filters `id`, not `customerId`). Reads across customers are explicit, named methods:
 * {@link listAll} (the admin list), {@link findRef} (route resolution by id or name), and the platform rows
 * (customerId 0) copied into a new customer.
 */
@Injectable()
export class CustomersRepository extends CustomerScopedRepository<Customer, Prisma.CustomerWhereInput> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, CUSTOMER_FIELDS, [{ id: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.customer;
  }

  /** The tenant scope of a customer is its own id. */
  protected override scope(
    customerId: number,
    where: Prisma.CustomerWhereInput = {},
  ): Prisma.CustomerWhereInput {
    return { ...where, id: customerId };
  }

  /** One customer, or null. */
  get(customerId: number, db: Db = this.prisma): Promise<Customer | null> {
    return this.findOne(customerId, {}, db);
  }

  /**
   * Admin list (`GET /customers`): one page of every customer matching the table's filters (`where` over
   * columns), ordered by the paging's whitelisted field or id, with the total.
   */
  async listAll(where: Prisma.CustomerWhereInput, paging: Paging): Promise<RowPage<Customer>> {
    const orderBy = this.table.orderBy(paging.orderBy, paging.descending, this.defaultOrder);
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.customer.findMany({ where, skip: paging.skip, take: paging.pageSize, orderBy }),
      this.prisma.customer.count({ where }),
    ]);
    return { rows, total };
  }

  /**
   * Route resolution (SPEC.md §1: public URLs accept the integer id or the name): the customer with that id
   * (when `idOrName` is up to 9 digits) or that name, or null.
   */
  findRef(idOrName: string): Promise<CustomerRef | null> {
    const byId = /^\d{1,9}$/.test(idOrName);
    return this.prisma.customer.findUnique({
      where: byId ? { id: Number(idOrName) } : { name: idOrName },
      select: { id: true, name: true, isAdmin: true },
    });
  }

  /** Which of `name` / `displayName` another customer (not `exceptId`) already has. */
  async taken(
    values: { name?: string; displayName?: string },
    exceptId?: number,
    db: Db = this.prisma,
  ): Promise<('name' | 'displayName')[]> {
    const or: Prisma.CustomerWhereInput[] = [];
    if (values.name !== undefined) or.push({ name: values.name });
    if (values.displayName !== undefined) or.push({ displayName: values.displayName });
    if (!or.length) return [];
    const rows = await db.customer.findMany({
      where: { OR: or, ...(exceptId !== undefined ? { NOT: { id: exceptId } } : {}) },
      select: { name: true, displayName: true },
    });
    const out: ('name' | 'displayName')[] = [];
    if (values.name !== undefined && rows.some((r) => r.name === values.name)) out.push('name');
    if (values.displayName !== undefined && rows.some((r) => r.displayName === values.displayName))
      out.push('displayName');
    return out;
  }

  /**
   * Creates a customer in one transaction with its defaults (SPEC.md §3.3): copies of the platform's
   * non-system delivery channel policies and of its default delivery channel rules (as customer rules, space 0),
   * the access-control defaults ({@link CLICKTHROUGH_DEFAULTS}), and the outbox row `outbox(customer)` announcing it.
   * @returns null (nothing written) when the name or displayName is taken (`taken` says which).
   * @throws a unique violation when a concurrent create took one of them after the check.
   */
  async createWithDefaults(
    data: { name: string; displayName: string },
    outbox: (created: Customer) => Prisma.OutboxMessageCreateInput,
  ): Promise<{ customer: Customer } | { taken: ('name' | 'displayName')[] }> {
    return this.transaction(async (tx) => {
      const taken = await this.taken(data, undefined, tx);
      if (taken.length) return { taken };
      const created = await tx.customer.create({ data });
      const policies = await this.platformPolicies(tx);
      if (policies.length) {
        await tx.deliveryChannelPolicy.createMany({
          data: policies.map((p) => ({
            customerId: created.id,
            channel: p.channel,
            name: p.name,
            displayName: p.displayName,
            system: false,
            policyData: p.policyData ?? undefined,
          })),
        });
      }
      const rules = await this.platformRules(tx);
      if (rules.length) {
        await tx.defaultDeliveryChannel.createMany({
          data: rules.map((r) => ({
            customerId: created.id,
            spaceId: 0,
            mediaType: r.mediaType,
            channel: r.channel,
            policy: r.policy,
          })),
        });
      }
      await this.createAccessDefaults(created.id, tx);
      await tx.outboxMessage.create({ data: outbox(created) });
      return { customer: created };
    });
  }

  /**
   * The access-control defaults of a new customer (issue 10 contract, SPEC.md §3.3 "Customers"), in its
   * transaction: the `clickthrough` role provider (type clickthrough), access service (profile active, English
   * "Terms of use" texts) and role (granted by that access service), as migration
   * `20261215100000_access_control` gave every existing customer.
   */
  private async createAccessDefaults(customerId: number, tx: Db): Promise<void> {
    await tx.roleProvider.create({ data: { customerId, ...CLICKTHROUGH_DEFAULTS.roleProvider } });
    await tx.accessService.create({ data: { customerId, ...CLICKTHROUGH_DEFAULTS.accessService } });
    await tx.role.create({ data: { customerId, ...CLICKTHROUGH_DEFAULTS.role } });
  }

  /** The platform's (customerId 0) non-system delivery channel policies: the ones every customer gets a copy of. */
  platformPolicies(db: Db = this.prisma) {
    return db.deliveryChannelPolicy.findMany({ where: { customerId: PLATFORM_CUSTOMER_ID, system: false } });
  }

  /** The platform's (customerId 0) customer-wide default delivery channel rules (space 0). */
  platformRules(db: Db = this.prisma) {
    return db.defaultDeliveryChannel.findMany({ where: { customerId: PLATFORM_CUSTOMER_ID, spaceId: 0 } });
  }

  /**
   * Changes a customer's displayName. @returns the updated row, null when the customer is gone.
   * @throws a unique violation when another customer has that displayName.
   */
  async setDisplayName(customerId: number, displayName: string): Promise<Customer | null> {
    const changed = await this.updateWhere(customerId, {}, { displayName });
    return changed ? this.get(customerId) : null;
  }

  /**
   * Deletes a customer and everything it owns (SPEC.md §3.3 `DELETE C`) in one transaction: the customer row is
   * locked first (so no key, space or batch can be added meanwhile: their foreign keys wait on it), then refused
   * when it is the admin customer or has any asset; otherwise its rows in {@link OWNED_TABLES}, the rows the
   * foreign keys cascade (keys, spaces, batches and their members) and the customer go, with the outbox row
   * `outbox(keys)` (its keys, for every replica's caches).
   */
  async deleteCascade(
    customerId: number,
    outbox: (deleted: DeletedCustomer) => Prisma.OutboxMessageCreateInput,
  ): Promise<DeletedCustomer | { refused: CustomerDeleteRefusal }> {
    return this.transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: number }[]>`
        SELECT "id" FROM "customers" WHERE "id" = ${customerId} FOR UPDATE`;
      if (!locked.length) return { refused: 'missing' as const };
      const customer = (await this.get(customerId, tx))!;
      if (customer.isAdmin) return { refused: 'admin' as const };
      const assets = await tx.$queryRaw<{ one: number }[]>`
        SELECT 1 AS "one" FROM "assets" WHERE "customerId" = ${customerId} LIMIT 1`;
      if (assets.length) return { refused: 'has-assets' as const };
      const keys = (
        await tx.apiKey.findMany({ where: { customerId }, select: { key: true }, orderBy: { key: 'asc' } })
      ).map((k) => k.key);
      for (const table of OWNED_TABLES)
        await tx.$executeRawUnsafe(`DELETE FROM "${table}" WHERE "customerId" = $1`, customerId);
      await this.deleteWhere(customerId, {}, tx);
      const deleted = { customer, keys };
      await tx.outboxMessage.create({ data: outbox(deleted) });
      return deleted;
    });
  }

  /**
   * `POST /setup` (SPEC.md §3.2): creates the admin customer and its first key, only while no admin exists.
   * @returns the new pair, or null when an admin already exists.
   */
  setupAdmin(): Promise<{ customerId: number; key: string; secret: string } | null> {
    return setupAdmin(this.prisma);
  }
}
