import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type ApiKey, type Prisma, type PrismaClient } from '@vellum/db';
import { CustomerScopedRepository, type Db } from '../resource/customer-scoped.repository';
import { API_KEY_FIELDS } from './api-key.fields';
import { generateApiKey, generateApiSecret, hashSecret } from './secret-hash';

/** A stored key as authentication needs it: its customer, the admin flag and the secret's scrypt hash. */
export interface KeyForAuth {
  customerId: number;
  secretHash: string;
  customer: { isAdmin: boolean };
}

/**
 * Creates an API key row (SPEC.md §3.2: the secret is stored only as a slow salted hash).
 * @returns `{ key, secret, created }`: the only time the secret is seen.
 */
export async function createApiKey(
  db: Db,
  customerId: number,
  pair: { key: string; secret: string } = { key: generateApiKey(), secret: generateApiSecret() },
): Promise<{ key: string; secret: string; created: Date }> {
  const secretHash = await hashSecret(pair.secret);
  const row = await db.apiKey.create({ data: { key: pair.key, customerId, secretHash } });
  return { key: pair.key, secret: pair.secret, created: row.created };
}

/**
 * API keys (SPEC.md §3.3 "Keys"), scoped to their customer. Authentication looks a key up before it knows the
 * customer (the key is the credential that tells): those reads are the named methods {@link findForAuth},
 * {@link exists} and {@link touch}.
 */
@Injectable()
export class ApiKeysRepository extends CustomerScopedRepository<ApiKey, Prisma.ApiKeyWhereInput> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, API_KEY_FIELDS, [{ created: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.apiKey;
  }

  /** One key of the customer, or null. */
  get(customerId: number, key: string): Promise<ApiKey | null> {
    return this.findOne(customerId, { key });
  }

  /** Creates a key for the customer (a fresh key and secret unless `pair` is given). */
  create(customerId: number, pair?: { key: string; secret: string }) {
    return createApiKey(this.prisma, customerId, pair);
  }

  /**
   * Deletes one key of the customer in one transaction with the outbox row `outbox()` announcing it. For the
   * admin customer its keys are locked first, so two concurrent deletes cannot both pass "not the last one".
   * @returns `deleted`, `missing` (no such key of this customer) or `last-admin-key` (nothing deleted).
   */
  deleteKey(
    customerId: number,
    key: string,
    isAdmin: boolean,
    outbox: () => Prisma.OutboxMessageCreateInput,
  ): Promise<'deleted' | 'missing' | 'last-admin-key'> {
    return this.transaction(async (tx) => {
      if (!(await this.findOne(customerId, { key }, tx))) return 'missing';
      if (isAdmin) {
        await tx.$queryRaw`SELECT "key" FROM "api_keys" WHERE "customerId" = ${customerId} FOR UPDATE`;
        if ((await this.countWhere(customerId, {}, tx)) <= 1) return 'last-admin-key';
      }
      if (!(await this.deleteWhere(customerId, { key }, tx))) return 'missing';
      await tx.outboxMessage.create({ data: outbox() });
      return 'deleted';
    });
  }

  /** Authentication: the key's customer, admin flag and secret hash, whoever it belongs to; null when unknown. */
  findForAuth(key: string): Promise<KeyForAuth | null> {
    return this.prisma.apiKey.findUnique({
      where: { key },
      select: { customerId: true, secretHash: true, customer: { select: { isAdmin: true } } },
    });
  }

  /** Authentication: true while the key exists (a cached key's re-check; one primary-key read). */
  async exists(key: string): Promise<boolean> {
    return (await this.prisma.apiKey.findUnique({ where: { key }, select: { key: true } })) !== null;
  }

  /** Records that the key was used now (best effort: failures are swallowed). */
  touch(key: string): void {
    this.prisma.apiKey.update({ where: { key }, data: { lastUsed: new Date() } }).catch(() => undefined);
  }
}
