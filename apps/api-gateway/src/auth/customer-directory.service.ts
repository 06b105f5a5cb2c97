import { Injectable } from '@nestjs/common';
import { CustomersRepository } from '../customers/customers.repository';
import type { CustomerRef } from './principal';
import { RevocationFeed, RevocationLog } from './revocation-feed';

const TTL_MS = 60_000;

interface Entry {
  ref: CustomerRef;
  expires: number;
  /** When the customer was last seen in Postgres (epoch ms). */
  checkedAt: number;
}

/**
 * Resolves the `{customer}` route segment (integer id or name; SPEC.md §1) to a customer, with a small in-memory
 * cache (a customer's id, name and admin flag never change while it exists).
 *
 * A deleted customer is forgotten at once on the replica that deleted it ({@link forget}) and on every other
 * replica through `customer.apikey.deleted.v1` (`customerDeleted`); a replica that may have missed that event
 * ({@link RevocationFeed}) resolves a cached customer again once its check is `VELLUM_AUTH_RECHECK_MS` old. So a
 * name freed by a deletion and taken by a new customer routes to the new one.
 */
@Injectable()
export class CustomerDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly forgotten = new RevocationLog();

  constructor(
    private readonly customers: CustomersRepository,
    private readonly feed: RevocationFeed,
  ) {}

  /** @returns the customer, or null when none has that id/name. */
  async resolve(idOrName: string): Promise<CustomerRef | null> {
    const hit = this.cache.get(idOrName);
    if (hit && hit.expires > Date.now() && this.feed.trusts(hit.checkedAt)) return hit.ref;
    const readAt = Date.now();
    const row = await this.customers.findRef(idOrName);
    if (!row) {
      if (hit) this.forget(hit.ref);
      return null;
    }
    if (!this.forgotten.revokedSince(String(row.id), readAt)) this.remember(row, readAt);
    return row;
  }

  /** Adds a customer to the cache under its id and name (`checkedAt`: when it was read, default now). */
  remember(ref: CustomerRef, checkedAt = Date.now()): void {
    const expires = Date.now() + TTL_MS;
    const entry = { ref, expires, checkedAt };
    this.cache.set(String(ref.id), entry);
    this.cache.set(ref.name, entry);
    if (this.cache.size > 20_000) this.cache.clear();
  }

  /** Forgets a deleted customer (by id and by name; `name` is looked up when only the id is known). */
  forget(ref: { id: number; name?: string }): void {
    const id = String(ref.id);
    this.forgotten.record(id);
    const name = ref.name ?? this.cache.get(id)?.ref.name;
    this.cache.delete(id);
    if (name !== undefined && this.cache.get(name)?.ref.id === ref.id) this.cache.delete(name);
  }

  /** True when `segment` names this customer (by id or name). */
  static matches(segment: string, ref: { id: number; name: string }): boolean {
    return segment === String(ref.id) || segment === ref.name;
  }
}
