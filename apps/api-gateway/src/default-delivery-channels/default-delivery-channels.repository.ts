import { Inject, Injectable } from '@nestjs/common';
import {
  PLATFORM_CUSTOMER_ID,
  PRISMA,
  type DefaultDeliveryChannel,
  type Prisma,
  type PrismaClient,
} from '@vellum/db';
import type { Paging } from '../http/hydra';
import { CustomerScopedRepository, type Db, type RowPage } from '../resource/customer-scoped.repository';
import { DEFAULT_CHANNEL_FIELDS } from './default-delivery-channel.fields';

/** The columns of a rule a write decides. */
export interface RuleValues {
  channel: string;
  policy: string;
  mediaType: string;
}

/** A rule as the resolver reads it (SPEC.md §1): whose it is, where it applies, what it gives. */
export type RuleRow = Pick<
  DefaultDeliveryChannel,
  'customerId' | 'spaceId' | 'mediaType' | 'channel' | 'policy'
>;

/**
 * Default delivery channel rules (SPEC.md §1, §3.3): a customer's rules, customer-wide (`spaceId` 0) or of one
 * space, scoped in one place ({@link CustomerScopedRepository}); the platform's rules (customerId 0, the seed
 * rules of SPEC.md §1) only through {@link platformRules}.
 */
@Injectable()
export class DefaultDeliveryChannelsRepository extends CustomerScopedRepository<
  DefaultDeliveryChannel,
  Prisma.DefaultDeliveryChannelWhereInput
> {
  constructor(@Inject(PRISMA) prisma: PrismaClient) {
    super(prisma, DEFAULT_CHANNEL_FIELDS, [{ mediaType: 'asc' }, { channel: 'asc' }]);
  }

  protected delegate(db: Db): unknown {
    return db.defaultDeliveryChannel;
  }

  /** One page of the rules of one scope (`spaceId` 0 = customer-wide) matching the list filters `where`. */
  pageIn(
    customerId: number,
    spaceId: number,
    where: Prisma.DefaultDeliveryChannelWhereInput,
    paging: Paging,
  ): Promise<RowPage<DefaultDeliveryChannel>> {
    return this.page(customerId, { ...where, spaceId }, paging);
  }

  /** One rule of one scope, or null. */
  get(customerId: number, spaceId: number, id: string, db: Db = this.prisma) {
    return this.findOne(customerId, { spaceId, id }, db);
  }

  /** The rule of this scope for `mediaType` and `channel` other than `exceptId`, or null (one per pair, §3.3). */
  clash(
    customerId: number,
    spaceId: number,
    values: Pick<RuleValues, 'mediaType' | 'channel'>,
    exceptId?: string,
    db: Db = this.prisma,
  ) {
    return this.findOne(
      customerId,
      {
        spaceId,
        mediaType: values.mediaType,
        channel: values.channel,
        ...(exceptId ? { NOT: { id: exceptId } } : {}),
      },
      db,
    );
  }

  /** Creates a rule. @throws a unique violation when the scope has one for that mediaType and channel. */
  create(customerId: number, spaceId: number, values: RuleValues, db: Db = this.prisma) {
    return this.insert(customerId, { spaceId, ...values }, db);
  }

  /** Replaces a rule's fields; returns it, or null when there is no such rule. */
  async replace(
    customerId: number,
    spaceId: number,
    id: string,
    values: RuleValues,
    db: Db = this.prisma,
  ): Promise<DefaultDeliveryChannel | null> {
    const n = await this.updateWhere(customerId, { spaceId, id }, values, db);
    return n ? this.get(customerId, spaceId, id, db) : null;
  }

  /** Deletes a rule; true when it existed. */
  async remove(customerId: number, spaceId: number, id: string, db: Db = this.prisma): Promise<boolean> {
    return (await this.deleteWhere(customerId, { spaceId, id }, db)) > 0;
  }

  /** How many of the customer's rules (customer-wide and of every space) name the policy `channel/policy`. */
  countNaming(customerId: number, channel: string, policy: string, db: Db = this.prisma): Promise<number> {
    return this.countWhere(customerId, { channel, policy }, db);
  }

  /**
   * The rules an asset of the customer in one of `spaceIds` is resolved with (SPEC.md §1): the customer's own,
   * customer-wide (space 0) and of those spaces, and the platform's (customerId 0, space 0: the fallback tier
   * of every customer), in one query.
   */
  rulesWithPlatform(customerId: number, spaceIds: readonly number[]): Promise<RuleRow[]> {
    return this.prisma.defaultDeliveryChannel.findMany({
      where: {
        OR: [
          this.scope(customerId, { spaceId: { in: [0, ...spaceIds] } }),
          { customerId: PLATFORM_CUSTOMER_ID, spaceId: 0 },
        ],
      },
      select: { customerId: true, spaceId: true, mediaType: true, channel: true, policy: true },
    });
  }
}
