import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type Prisma, type PrismaClient, type StoragePolicy } from '@vellum/db';
import type { Paging } from '../http/hydra';
import type { RowPage } from '../resource/customer-scoped.repository';
import { STORAGE_POLICY_FIELDS } from './storage.fields';

/** The limits of a storage policy, as written. */
export interface StoragePolicyLimits {
  maximumNumberOfStoredImages: number;
  maximumTotalSizeOfStoredImages: number;
}

/**
 * Storage policies (SPEC.md §8): platform-wide rows, not scoped to a customer (any customer may read them; only
 * admins write them), and the one column of a customer that names its policy. Every method is explicit about
 * which of the two it touches.
 */
@Injectable()
export class StoragePoliciesRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** One policy, or null. */
  get(id: string): Promise<StoragePolicy | null> {
    return this.prisma.storagePolicy.findUnique({ where: { id } });
  }

  /** One page of every policy, ordered by a whitelisted field (default `id`), with the total. */
  async page(_where: Record<string, unknown>, paging: Paging): Promise<RowPage<StoragePolicy>> {
    const orderBy = STORAGE_POLICY_FIELDS.orderBy(paging.orderBy as never, paging.descending, [
      { id: 'asc' },
    ]) as Prisma.StoragePolicyOrderByWithRelationInput[];
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.storagePolicy.findMany({ orderBy, skip: paging.skip, take: paging.pageSize }),
      this.prisma.storagePolicy.count(),
    ]);
    return { rows, total };
  }

  /** Creates a policy. @throws a unique violation when the id exists. */
  create(id: string, limits: StoragePolicyLimits): Promise<StoragePolicy> {
    return this.prisma.storagePolicy.create({
      data: {
        id,
        maximumNumberOfStoredImages: BigInt(limits.maximumNumberOfStoredImages),
        maximumTotalSizeOfStoredImages: BigInt(limits.maximumTotalSizeOfStoredImages),
      },
    });
  }

  /** Changes the limits supplied; returns the policy, or null when it does not exist. */
  async update(id: string, limits: Partial<StoragePolicyLimits>): Promise<StoragePolicy | null> {
    const data: Prisma.StoragePolicyUpdateManyMutationInput = {};
    if (limits.maximumNumberOfStoredImages !== undefined)
      data.maximumNumberOfStoredImages = BigInt(limits.maximumNumberOfStoredImages);
    if (limits.maximumTotalSizeOfStoredImages !== undefined)
      data.maximumTotalSizeOfStoredImages = BigInt(limits.maximumTotalSizeOfStoredImages);
    const { count } = await this.prisma.storagePolicy.updateMany({
      where: { id },
      data: { ...data, modified: new Date() },
    });
    return count ? this.get(id) : null;
  }

  /**
   * Deletes a policy no customer uses (checked in the same statement's transaction). Returns `deleted`,
   * `missing` or `in-use` (with how many customers use it).
   */
  delete(id: string): Promise<{ outcome: 'deleted' | 'missing' } | { outcome: 'in-use'; customers: number }> {
    return this.prisma.$transaction(async (tx) => {
      const policy = await tx.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "storage_policies" WHERE "id" = ${id} FOR UPDATE`;
      if (!policy.length) return { outcome: 'missing' as const };
      const customers = await tx.customer.count({ where: { storagePolicy: id } });
      if (customers > 0) return { outcome: 'in-use' as const, customers };
      await tx.storagePolicy.delete({ where: { id } });
      return { outcome: 'deleted' as const };
    });
  }

  /** The policy a customer is held to (every customer names one: a foreign key). */
  async ofCustomer(customerId: number): Promise<StoragePolicy | null> {
    const row = await this.prisma.customer.findUnique({
      where: { id: customerId },
      select: { policy: true },
    });
    return row?.policy ?? null;
  }

  /** The policy id a customer names, or null when the customer does not exist. */
  async idOfCustomer(customerId: number): Promise<string | null> {
    const row = await this.prisma.customer.findUnique({
      where: { id: customerId },
      select: { storagePolicy: true },
    });
    return row?.storagePolicy ?? null;
  }

  /** Makes a customer use policy `id` (which must exist). Returns false when the customer does not exist. */
  async assign(customerId: number, id: string): Promise<boolean> {
    const { count } = await this.prisma.customer.updateMany({
      where: { id: customerId },
      data: { storagePolicy: id },
    });
    return count === 1;
  }
}
