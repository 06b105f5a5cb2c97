import { Injectable } from '@nestjs/common';
import { channelFitsMediaType, type DeliveryChannel } from '@vellum/contracts';
import { isUniqueViolation, type DefaultDeliveryChannel } from '@vellum/db';
import { SYSTEM_POLICIES } from '../assets/delivery-channels';
import { JSON_LD_KEYS } from '../http/body-contract';
import { conflict, notFound, validationProblem, type FieldError } from '../http/problems';
import { checkBody } from '../resource/body-check';
import { DeliveryChannelPoliciesRepository } from '../delivery-channel-policies/delivery-channel-policies.repository';
import { DefaultDeliveryChannelBodyDto } from './default-delivery-channel-body.dto';
import { DefaultDeliveryChannelsRepository, type RuleValues } from './default-delivery-channels.repository';

/** A rule id in a URL: a UUID (anything else cannot name a rule: 404). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A policy URL as rendered by `C/deliveryChannelPolicies/{channel}/{name}` (SPEC.md §3.4). */
const POLICY_URL = /\/deliveryChannelPolicies\/([^/?#]+)\/([^/?#]+)\/?$/;

/**
 * The policy name a rule's `policy` value stands for (SPEC.md §3.4: "a name or a policy URL ending
 * `/{channel}/{name}`"), or why it stands for none (a URL of another channel, a malformed %-escape).
 */
export function policyNameOf(value: string, channel: string): { name: string } | { problem: string } {
  const url = POLICY_URL.exec(value);
  if (!url) return { name: value };
  let urlChannel: string;
  let name: string;
  try {
    urlChannel = decodeURIComponent(url[1]);
    name = decodeURIComponent(url[2]);
  } catch {
    return { problem: 'the policy URL has a malformed %-escape' };
  }
  if (urlChannel !== channel)
    return { problem: `the policy URL is for channel "${urlChannel}", not "${channel}"` };
  return { name };
}

/**
 * Why a rule giving `channel` cannot apply to `mediaType` globs, or null (the channel needs what the asset write
 * path needs, SPEC.md §3.4, §4.3: `channelFitsMediaType` of @vellum/contracts): `iiif-img`/`thumbs` need
 * `image/...` or `application/pdf`, `iiif-av` `audio/...` or `video/...`.
 */
export function channelFitProblem(channel: string, mediaType: string): string | null {
  if (channelFitsMediaType(channel, mediaType)) return null;
  if (channel === 'iiif-av')
    return `delivery channel "iiif-av" needs an audio/... or video/... mediaType, not "${mediaType}"`;
  return `delivery channel "${channel}" needs an image/... or application/pdf mediaType, not "${mediaType}"`;
}

/**
 * Default delivery channel rules (SPEC.md §1, §3.3) of a customer (`spaceId` 0) or of one of its spaces:
 * `mediaType` glob → (`channel`, `policy`), one per mediaType and channel in a scope (409), `policy` one the
 * customer can name (its own or a system policy). The asset write path resolves new assets' channels from them
 * (`resolveDefaultChannels`: space rule over customer rule over platform rule).
 */
@Injectable()
export class DefaultDeliveryChannelsService {
  constructor(
    private readonly rules: DefaultDeliveryChannelsRepository,
    private readonly policies: DeliveryChannelPoliciesRepository,
  ) {}

  /** `channel/name` of the policies the customer owns (rendered as links). */
  async ownPolicies(customerId: number): Promise<Set<string>> {
    const names = await this.policies.visibleNames(customerId);
    return new Set(names.filter((p) => p.customerId === customerId).map((p) => `${p.channel}/${p.name}`));
  }

  /** One rule of the scope. @throws 404. */
  async get(customerId: number, spaceId: number, id: string): Promise<DefaultDeliveryChannel> {
    const row = UUID.test(id) ? await this.rules.get(customerId, spaceId, id) : null;
    if (!row) throw notFound(`There is no default delivery channel ${id.slice(0, 60)} here.`);
    return row;
  }

  /** Creates a rule. @throws 400 naming every failed field, 409 when the scope has one for that mediaType and channel. */
  async create(customerId: number, spaceId: number, body: unknown): Promise<DefaultDeliveryChannel> {
    const values = await this.parse(customerId, body);
    await this.refuseClash(customerId, spaceId, values);
    try {
      return await this.rules.create(customerId, spaceId, values);
    } catch (err) {
      if (isUniqueViolation(err)) throw this.clash(values);
      throw err;
    }
  }

  /** Replaces a rule's three fields. @throws 400, 404 (no such rule: PUT never creates one), 409 (clash). */
  async replace(
    customerId: number,
    spaceId: number,
    id: string,
    body: unknown,
  ): Promise<DefaultDeliveryChannel> {
    await this.get(customerId, spaceId, id);
    const values = await this.parse(customerId, body);
    await this.refuseClash(customerId, spaceId, values, id);
    try {
      const row = await this.rules.replace(customerId, spaceId, id, values);
      if (!row) throw notFound(`There is no default delivery channel ${id} here.`);
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw this.clash(values);
      throw err;
    }
  }

  /** Deletes a rule. @throws 404. */
  async remove(customerId: number, spaceId: number, id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.rules.remove(customerId, spaceId, id)))
      throw notFound(`There is no default delivery channel ${id.slice(0, 60)} here.`);
  }

  private async refuseClash(customerId: number, spaceId: number, values: RuleValues, exceptId?: string) {
    if (await this.rules.clash(customerId, spaceId, values, exceptId)) throw this.clash(values);
  }

  private clash(values: RuleValues) {
    return conflict(
      `There is already a default delivery channel for ${values.mediaType} on ${values.channel} here; change that one.`,
    );
  }

  /**
   * Validates a rule body (SPEC.md §3.3): the DTO's checks (all three fields required), the policy (name or URL
   * of the same channel, one the customer can name) and the channel's fit with the mediaType glob.
   * @returns the columns, `mediaType` lower-cased and `policy` as a name.
   * @throws 400 naming every failed field.
   */
  private async parse(customerId: number, body: unknown): Promise<RuleValues> {
    const { dto, errors: found } = checkBody(DefaultDeliveryChannelBodyDto, body, { ignore: JSON_LD_KEYS });
    const errors: FieldError[] = [...found];
    const failed = new Set(errors.map((e) => e.field));
    const channel = dto.channel as DeliveryChannel;
    const mediaType = typeof dto.mediaType === 'string' ? dto.mediaType.trim().toLowerCase() : '';
    let policy = '';
    if (!failed.has('channel') && !failed.has('policy')) {
      const named = policyNameOf(dto.policy, channel);
      if ('problem' in named) errors.push({ field: 'policy', message: named.problem });
      else {
        policy = named.name;
        const visible = await this.policies.visibleNames(customerId);
        const known =
          (SYSTEM_POLICIES[channel] ?? []).includes(policy) ||
          visible.some((p) => p.channel === channel && p.name === policy);
        if (!known)
          errors.push({
            field: 'policy',
            message: `there is no ${channel} policy "${policy.length > 60 ? `${policy.slice(0, 60)}…` : policy}"`,
          });
      }
    }
    if (!failed.has('channel') && !failed.has('mediaType')) {
      const problem = channelFitProblem(channel, mediaType);
      if (problem) errors.push({ field: 'channel', message: problem });
    }
    if (errors.length) throw validationProblem(errors);
    return { channel, policy, mediaType };
  }
}
