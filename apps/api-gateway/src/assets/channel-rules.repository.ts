import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CUSTOMER_ID, PRISMA, type PrismaClient } from '@vellum/db';
import { SEED_DEFAULT_RULES, type DefaultChannelRule } from './delivery-channels';
import type { KnownPolicy } from './asset-builder';

/** Reads default delivery channel rules and known policies for a customer (and some of its spaces). */
@Injectable()
export class ChannelRulesRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Rules of the given spaces, of the customer (space 0) and of the platform; falls back to the SPEC.md §1 seed
   * rules when the platform has none.
   */
  async rules(customerId: number, spaceIds: number[]): Promise<DefaultChannelRule[]> {
    const rows = await this.prisma.defaultDeliveryChannel.findMany({
      where: {
        OR: [
          { customerId, spaceId: { in: [0, ...spaceIds] } },
          { customerId: PLATFORM_CUSTOMER_ID, spaceId: 0 },
        ],
      },
      select: { customerId: true, spaceId: true, mediaType: true, channel: true, policy: true },
    });
    if (!rows.some((r) => r.customerId === PLATFORM_CUSTOMER_ID)) rows.push(...SEED_DEFAULT_RULES);
    return rows;
  }

  /** Policies the customer can use: its own and the platform's. */
  policies(customerId: number): Promise<KnownPolicy[]> {
    return this.prisma.deliveryChannelPolicy.findMany({
      where: { customerId: { in: [PLATFORM_CUSTOMER_ID, customerId] } },
      select: { channel: true, name: true },
    });
  }
}
