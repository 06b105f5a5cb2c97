import type { PrismaClient } from '@vellum/db';
import { isUniqueViolation } from '@vellum/db';
import { createApiKey } from './api-keys.repository';

/** Name of the admin customer created at set-up (SPEC.md §1: "One admin customer exists from set-up"). */
export const ADMIN_CUSTOMER_NAME = 'admin';

export type BootstrapOutcome = 'created-admin' | 'added-key' | 'unchanged';

/**
 * Creates the admin customer with a given key pair when none exists; when the admin exists but the key does not,
 * adds the key to it. Idempotent: calling it again with the same pair changes nothing (an existing key's secret is
 * never overwritten). Used at gateway start-up with `VELLUM_ADMIN_KEY` / `VELLUM_ADMIN_SECRET`, and by `cli.js setup --apply`.
 * @throws Error when the key already belongs to a non-admin customer.
 */
export async function bootstrapAdmin(
  prisma: PrismaClient,
  key: string,
  secret: string,
): Promise<BootstrapOutcome> {
  const existingKey = await prisma.apiKey.findUnique({ where: { key }, include: { customer: true } });
  if (existingKey) {
    if (!existingKey.customer.isAdmin)
      throw new Error(`bootstrapAdmin: key ${key} belongs to a non-admin customer`);
    return 'unchanged';
  }
  try {
    return await prisma.$transaction(async (tx) => {
      let admin = await tx.customer.findFirst({ where: { isAdmin: true }, orderBy: { id: 'asc' } });
      let outcome: BootstrapOutcome = 'added-key';
      if (!admin) {
        admin = await tx.customer.create({
          data: { name: ADMIN_CUSTOMER_NAME, displayName: 'Administrator', isAdmin: true },
        });
        outcome = 'created-admin';
      }
      await createApiKey(tx, admin.id, { key, secret });
      return outcome;
    });
  } catch (err) {
    // Another replica did the same at the same moment.
    if (isUniqueViolation(err)) return 'unchanged';
    throw err;
  }
}

/**
 * `POST /setup`: creates the admin customer and its first key, only while no admin exists.
 * @returns the new pair, or null when an admin already exists (→ 409).
 */
export async function setupAdmin(
  prisma: PrismaClient,
): Promise<{ customerId: number; key: string; secret: string } | null> {
  try {
    return await prisma.$transaction(async (tx) => {
      const existing = await tx.customer.findFirst({ where: { isAdmin: true } });
      if (existing) return null;
      const admin = await tx.customer.create({
        data: { name: ADMIN_CUSTOMER_NAME, displayName: 'Administrator', isAdmin: true },
      });
      const { key, secret } = await createApiKey(tx, admin.id);
      return { customerId: admin.id, key, secret };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}
