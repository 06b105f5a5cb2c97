import { Inject, Injectable, Logger } from '@nestjs/common';
import { isTransientDbError, PRISMA, type PrismaClient } from '@vellum/db';
import type { LanguageMap } from '@vellum/iiif';
import { LRUCache } from 'lru-cache';
import { deliveryError } from '../delivery-errors';
import { DeliveryEnv } from '../env';
import { DELIVERY_ENV } from '../tokens';
import type { AccessServiceView, AccessView } from './auth-services';

/** A stored language map when well formed (`{tag: [text, ...]}`, at least one entry), else `undefined`. */
export function languageMap(value: unknown): LanguageMap | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: LanguageMap = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const PROFILES = new Set(['active', 'kiosk', 'external']);

/**
 * Each customer's access-control view (SPEC.md §6): its roles → access service → role provider type, read in one
 * round trip per table and kept in memory (lru-cache, TTL `VELLUM_DELIVERY_LOOKUP_TTL_MS`, single-flight per
 * customer), dropped on `customer.access-control.changed.v1` ({@link invalidate}). What the Auth 2.0 service
 * descriptions of info.json, probe results and manifests are built from.
 */
@Injectable()
export class AccessViewService {
  private readonly logger = new Logger(AccessViewService.name);
  private readonly views: LRUCache<number, AccessView>;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
  ) {
    this.views = new LRUCache<number, AccessView>({
      max: env.VELLUM_DELIVERY_LOOKUP_MAX,
      ttl: env.VELLUM_DELIVERY_LOOKUP_TTL_MS || 1,
      fetchMethod: (customerId) => this.query(customerId),
    });
  }

  /**
   * The view of customer `customerId`.
   * @throws ProblemException 503 with `Retry-After` when the database is unreachable.
   */
  async viewOf(customerId: number): Promise<AccessView> {
    try {
      return (await this.views.fetch(customerId))!;
    } catch (err) {
      if (!isTransientDbError(err)) throw err;
      this.logger.warn(`access view failed: ${err instanceof Error ? err.message : String(err)}`);
      throw deliveryError(503, 'The metadata store is unavailable; retry later', { 'Retry-After': '1' });
    }
  }

  /** Drops the cached view of one customer (its access control changed). */
  invalidate(customerId: number): void {
    this.views.delete(customerId);
  }

  private async query(customerId: number): Promise<AccessView> {
    const [customer, roles, services, providers] = await Promise.all([
      this.prisma.customer.findUnique({ where: { id: customerId }, select: { displayName: true } }),
      this.prisma.role.findMany({ where: { customerId }, select: { name: true, accessService: true } }),
      this.prisma.accessService.findMany({
        where: { customerId },
        select: {
          name: true,
          profile: true,
          label: true,
          heading: true,
          note: true,
          confirmLabel: true,
          roleProvider: true,
        },
      }),
      this.prisma.roleProvider.findMany({ where: { customerId }, select: { name: true, type: true } }),
    ]);
    const providerType = new Map(providers.map((p) => [p.name, String(p.type)]));
    const byName = new Map<string, AccessServiceView>();
    for (const s of services) {
      const profile = String(s.profile);
      if (!PROFILES.has(profile)) continue;
      byName.set(s.name, {
        name: s.name,
        profile: profile as AccessServiceView['profile'],
        label: languageMap(s.label),
        heading: languageMap(s.heading),
        note: languageMap(s.note),
        confirmLabel: languageMap(s.confirmLabel),
        providerType: providerType.get(s.roleProvider) ?? 'unknown',
      });
    }
    return {
      customerId,
      displayName: customer?.displayName || undefined,
      roles: new Map(roles.map((r) => [r.name, r.accessService])),
      services: byName,
    };
  }
}
