import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@vellum/db';
import type { CustomerRef } from './principal';

const TTL_MS = 60_000;

/**
 * Resolves the `{customer}` route segment (integer id or name; SPEC.md §1) to a customer, with a small in-memory
 * cache (customer ids, names and the admin flag never change once created).
 */
@Injectable()
export class CustomerDirectory {
  private readonly cache = new Map<string, { ref: CustomerRef; expires: number }>();

  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** @returns the customer, or null when none has that id/name. */
  async resolve(idOrName: string): Promise<CustomerRef | null> {
    const hit = this.cache.get(idOrName);
    if (hit && hit.expires > Date.now()) return hit.ref;
    const byId = /^\d{1,9}$/.test(idOrName);
    const row = await this.prisma.customer.findUnique({
      where: byId ? { id: Number(idOrName) } : { name: idOrName },
      select: { id: true, name: true, isAdmin: true },
    });
    if (!row) return null;
    this.remember(row);
    return row;
  }

  /** Adds a customer to the cache under its id and name. */
  remember(ref: CustomerRef): void {
    const expires = Date.now() + TTL_MS;
    this.cache.set(String(ref.id), { ref, expires });
    this.cache.set(ref.name, { ref, expires });
    if (this.cache.size > 20_000) this.cache.clear();
  }

  /** True when `segment` names this customer (by id or name). */
  static matches(segment: string, ref: { id: number; name: string }): boolean {
    return segment === String(ref.id) || segment === ref.name;
  }
}
