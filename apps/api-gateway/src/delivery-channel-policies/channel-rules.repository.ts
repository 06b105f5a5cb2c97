import { Injectable } from '@nestjs/common';
import { PLATFORM_CUSTOMER_ID } from '@vellum/db';
import type { KnownPolicy } from '../assets/asset-builder';
import { SEED_DEFAULT_RULES, type DefaultChannelRule } from '../assets/delivery-channels';
import { DefaultDeliveryChannelsRepository } from '../default-delivery-channels/default-delivery-channels.repository';
import { DeliveryChannelPoliciesRepository } from './delivery-channel-policies.repository';

/**
 * What the asset write path (single assets and batches) resolves and checks delivery channels with (SPEC.md §1,
 * §3.4): the default delivery channel rules that apply and the policies a customer can name. Reads through the
 * resources' own repositories.
 */
@Injectable()
export class ChannelRulesRepository {
  constructor(
    private readonly rulesRepo: DefaultDeliveryChannelsRepository,
    private readonly policiesRepo: DeliveryChannelPoliciesRepository,
  ) {}

  /**
   * Rules of the given spaces, of the customer (space 0) and of the platform; falls back to the SPEC.md §1 seed
   * rules when the platform has none.
   */
  async rules(customerId: number, spaceIds: number[]): Promise<DefaultChannelRule[]> {
    const rows = await this.rulesRepo.rulesWithPlatform(customerId, spaceIds);
    if (!rows.some((r) => r.customerId === PLATFORM_CUSTOMER_ID)) rows.push(...SEED_DEFAULT_RULES);
    return rows;
  }

  /** Policies the customer can use: its own and the platform's shared system policies. */
  policies(customerId: number): Promise<KnownPolicy[]> {
    return this.policiesRepo.visibleNames(customerId);
  }
}
