import { Inject, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { unstorableReason } from '@vellum/common';
import { PRISMA, type PrismaClient, type Prisma } from '@vellum/db';
import { GATEWAY_ENV, type GatewayEnv } from '../config/gateway-env';
import { generateApiKey, generateApiSecret, hashSecret, secretDigest, verifySecret } from './secret-hash';
import type { Principal } from './principal';

interface CacheEntry {
  digest: Buffer;
  principal: Principal;
  expires: number;
}

/** Maximum verified keys kept in memory (oldest evicted first). */
const CACHE_MAX = 10_000;

/**
 * Verifies HTTP Basic `key:secret` pairs (SPEC.md §3.2) and issues keys.
 *
 * A scrypt verification costs tens of ms of CPU, so a verified pair is remembered in memory for
 * `VELLUM_AUTH_CACHE_TTL_MS` (default 30 s) as a SHA-256 digest of the secret; a later request with the same pair
 * is checked against the digest (constant time) without touching the database, which keeps `GET` under 10 ms.
 * Deleting a key evicts it from this replica's cache at once; other replicas forget it within the TTL.
 */
@Injectable()
export class ApiKeyService {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
  ) {}

  /**
   * Parses an `Authorization: Basic ...` header and verifies the pair.
   * @returns the principal, or `null` when the header is missing/malformed or the pair is wrong.
   */
  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    const pair = parseBasic(authorization);
    if (!pair) return null;
    return this.verify(pair.key, pair.secret);
  }

  /** Verifies a key/secret pair (cache first, then scrypt against the stored hash). */
  async verify(key: string, secret: string): Promise<Principal | null> {
    const digest = secretDigest(secret);
    const cached = this.cache.get(key);
    const now = Date.now();
    if (cached && cached.expires > now && timingSafeEqual(cached.digest, digest)) return cached.principal;
    const row = await this.prisma.apiKey.findUnique({
      where: { key },
      include: { customer: { select: { isAdmin: true } } },
    });
    if (!row || !(await verifySecret(secret, row.secretHash))) return null;
    const principal: Principal = { key, customerId: row.customerId, isAdmin: row.customer.isAdmin };
    if (this.env.VELLUM_AUTH_CACHE_TTL_MS > 0) {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { digest, principal, expires: now + this.env.VELLUM_AUTH_CACHE_TTL_MS });
    }
    // Best effort; a failure to record last use must not fail the request.
    this.prisma.apiKey.update({ where: { key }, data: { lastUsed: new Date() } }).catch(() => undefined);
    return principal;
  }

  /** Forgets a key (after DELETE). */
  evict(key: string): void {
    this.cache.delete(key);
  }

  /**
   * Creates a key for a customer. The secret is returned once and stored only as a scrypt hash.
   * @param tx optional transaction client.
   */
  async createKey(
    customerId: number,
    tx: Prisma.TransactionClient | PrismaClient = this.prisma,
    pair?: { key: string; secret: string },
  ) {
    return createApiKey(tx, customerId, pair);
  }
}

/** Creates an API key row; returns `{ key, secret, created }` (the only time the secret is seen). */
export async function createApiKey(
  db: Prisma.TransactionClient | PrismaClient,
  customerId: number,
  pair: { key: string; secret: string } = { key: generateApiKey(), secret: generateApiSecret() },
): Promise<{ key: string; secret: string; created: Date }> {
  const secretHash = await hashSecret(pair.secret);
  const row = await db.apiKey.create({ data: { key: pair.key, customerId, secretHash } });
  return { key: pair.key, secret: pair.secret, created: row.created };
}

/** Parses `Basic base64(key:secret)`; returns null when malformed. */
export function parseBasic(authorization: string | undefined): { key: string; secret: string } | null {
  if (!authorization) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  const key = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  // A key that no text column could hold (NUL, unpaired surrogate) can match no row: treated as wrong credentials.
  if (!secret || key.length > 200 || unstorableReason(key)) return null;
  return { key, secret };
}
