import { Injectable } from '@nestjs/common';
import { isUniqueViolation, type DeliveryChannelPolicy } from '@vellum/db';
import { JSON_LD_KEYS } from '../http/body-contract';
import { conflict, forbidden, notFound, validationProblem, type FieldError } from '../http/problems';
import { checkBody } from '../resource/body-check';
import { DefaultDeliveryChannelsRepository } from '../default-delivery-channels/default-delivery-channels.repository';
import { DeliveryChannelPoliciesRepository, type PolicyValues } from './delivery-channel-policies.repository';
import { DeliveryChannelPolicyBodyDto } from './policy-body.dto';
import {
  CUSTOMER_POLICY_CHANNELS,
  isPolicyChannel,
  parsePolicyData,
  POLICY_CHANNELS,
  POLICY_NAME,
  type PolicyChannel,
} from './policy-data';
import { POLICY_READ_ONLY } from './policy.fields';

/** How a write names the policy and what it may omit. */
type PolicyWrite = 'create' | 'replace' | 'patch';

/** A channel route segment as shown in a message (at most 40 characters). */
const shown = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

/**
 * Delivery channel policies (SPEC.md §1, §3.3): a customer's own `thumbs` and `iiif-av` policies, next to the
 * platform's shared system policies (read-only). Validates every write in full (one 400 naming every failed
 * field), keeps names unique per channel (409) and refuses to delete a policy that an asset or a default delivery
 * channel rule of the customer names (409).
 */
@Injectable()
export class DeliveryChannelPoliciesService {
  constructor(
    private readonly policies: DeliveryChannelPoliciesRepository,
    private readonly rules: DefaultDeliveryChannelsRepository,
  ) {}

  /**
   * Parses the `{channel}` route segment of a policy collection.
   * @throws 400 naming `channel` when it is not one of iiif-img, thumbs, iiif-av, file.
   */
  channelOf(raw: string): PolicyChannel {
    if (isPolicyChannel(raw)) return raw;
    throw validationProblem([
      {
        field: 'channel',
        message: `"${shown(raw)}" is not a delivery channel with policies (one of ${POLICY_CHANNELS.join(', ')})`,
      },
    ]);
  }

  /** The policy `channel/name` the customer sees (its own, else a system one). @throws 404. */
  async get(customerId: number, channel: PolicyChannel, name: string): Promise<DeliveryChannelPolicy> {
    const row = POLICY_NAME.test(name) ? await this.policies.visible(customerId, channel, name) : null;
    if (!row) throw notFound(`There is no ${channel} policy "${shown(name)}".`);
    return row;
  }

  /**
   * `POST C/deliveryChannelPolicies/{channel}`: creates the customer's policy named by the body.
   * @throws 400 (every failed field; a channel without customer policies names `channel`), 409 when the
   *   channel already has a policy of that name (the customer's own or a system one).
   */
  async create(customerId: number, channel: PolicyChannel, body: unknown): Promise<DeliveryChannelPolicy> {
    const { name, values } = this.parse(channel, body, 'create');
    if (await this.policies.platformSystemPolicy(channel, name))
      throw conflict(`${channel}/${name} is a system policy; choose another name.`);
    try {
      return await this.policies.create(customerId, channel, name, values as PolicyValues);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`There is already a ${channel} policy named "${name}".`);
      throw err;
    }
  }

  /**
   * `PUT .../{channel}/{name}`: creates the customer's policy (`created: true`) or replaces it.
   * @throws 400 (every failed field), 403 for a system policy (read-only), 409 on a concurrent create.
   */
  async put(
    customerId: number,
    channel: PolicyChannel,
    name: string,
    body: unknown,
  ): Promise<{ policy: DeliveryChannelPolicy; created: boolean }> {
    const { values } = this.parse(channel, body, 'replace', name);
    await this.refuseSystem(customerId, channel, name);
    const replaced = await this.policies.change(customerId, channel, name, values);
    if (replaced) return { policy: replaced, created: false };
    try {
      return {
        policy: await this.policies.create(customerId, channel, name, values as PolicyValues),
        created: true,
      };
    } catch (err) {
      if (isUniqueViolation(err))
        throw conflict(`The ${channel} policy "${name}" was created concurrently; retry.`);
      throw err;
    }
  }

  /**
   * `PATCH .../{channel}/{name}`: changes the supplied `displayName` and/or `policyData`.
   * @throws 400, 403 (system policy), 404 (no such policy of the customer).
   */
  async patch(customerId: number, channel: PolicyChannel, name: string, body: unknown) {
    const { values } = this.parse(channel, body, 'patch', name);
    await this.refuseSystem(customerId, channel, name);
    const row = await this.policies.change(customerId, channel, name, values);
    if (!row) throw notFound(`There is no ${channel} policy "${shown(name)}".`);
    return row;
  }

  /**
   * `DELETE .../{channel}/{name}`: deletes the customer's policy unless one of its assets or default delivery
   * channel rules names it; the check and the delete run in one transaction with the policy row locked.
   * @throws 403 (system policy), 404, 409 (in use: how many assets and rules).
   */
  async remove(customerId: number, channel: PolicyChannel, name: string): Promise<void> {
    await this.refuseSystem(customerId, channel, name);
    await this.policies.transaction(async (tx) => {
      await this.policies.lock(customerId, channel, name, tx);
      if (!(await this.policies.own(customerId, channel, name, tx)))
        throw notFound(`There is no ${channel} policy "${shown(name)}".`);
      const assets = await this.policies.assetsUsing(customerId, channel, name, tx);
      const rules = await this.rules.countNaming(customerId, channel, name, tx);
      if (assets || rules) {
        const parts = [
          assets ? `${assets >= 1000 ? 'at least 1000' : assets} asset${assets === 1 ? '' : 's'}` : '',
          rules ? `${rules} default delivery channel rule${rules === 1 ? '' : 's'}` : '',
        ].filter(Boolean);
        throw conflict(
          `The ${channel} policy "${name}" is in use by ${parts.join(' and ')}; change them first.`,
        );
      }
      await this.policies.remove(customerId, channel, name, tx);
    });
  }

  /** 403 when `channel/name` is a system policy the customer does not own a policy of the same name beside. */
  private async refuseSystem(customerId: number, channel: PolicyChannel, name: string): Promise<void> {
    if (!POLICY_NAME.test(name)) return;
    if (await this.policies.own(customerId, channel, name)) return;
    if (await this.policies.platformSystemPolicy(channel, name))
      throw forbidden(
        `${channel}/${name} is a system policy shared by every customer; it cannot be changed.`,
      );
  }

  /**
   * Validates a policy body for `channel` (SPEC.md §3.3) and returns the name and the columns to write:
   * unknown fields were refused by the interceptor; here the DTO's value checks, the channel (only `thumbs` and
   * `iiif-av` take customer policies; an echoed `channel` must match the URL), the name (required on create,
   * must match the URL otherwise) and the `policyData` entries for the channel ({@link parsePolicyData}).
   * @throws 400 naming every failed field.
   */
  private parse(
    channel: PolicyChannel,
    body: unknown,
    mode: PolicyWrite,
    urlName?: string,
  ): { name: string; values: Partial<PolicyValues> } {
    const check = checkBody(DeliveryChannelPolicyBodyDto, body, {
      ignore: [...JSON_LD_KEYS, ...POLICY_READ_ONLY],
      partial: mode === 'patch',
    });
    const errors: FieldError[] = [...check.errors];
    const failed = new Set(errors.map((e) => e.field));
    const { dto, sent } = check;
    if (!CUSTOMER_POLICY_CHANNELS.includes(channel)) {
      errors.unshift({
        field: 'channel',
        message: `${channel} policies are the platform's system policies; customers define policies on ${CUSTOMER_POLICY_CHANNELS.join(' and ')} only`,
      });
    }
    const echoed = body && typeof body === 'object' ? (body as { channel?: unknown }).channel : undefined;
    if (echoed !== undefined && echoed !== channel)
      errors.push({ field: 'channel', message: `channel is read-only and must be "${channel}" (the URL's)` });

    let name = urlName ?? '';
    if (urlName !== undefined) {
      if (!POLICY_NAME.test(urlName) || urlName.length > 100)
        errors.push({
          field: 'name',
          message: 'the name in the URL must match ^[a-z0-9-]+$ (≤ 100 characters)',
        });
      else if (sent.has('name') && dto.name !== urlName && !failed.has('name'))
        errors.push({
          field: 'name',
          message: `name "${shown(String(dto.name))}" does not match the URL ("${urlName}")`,
        });
    } else if (dto.name === undefined || dto.name === null) {
      if (!failed.has('name')) errors.push({ field: 'name', message: 'name is required' });
    } else name = dto.name;

    const values: Partial<PolicyValues> = {};
    if (sent.has('displayName') && dto.displayName === null && mode === 'patch')
      errors.push({ field: 'displayName', message: 'displayName cannot be removed' });
    else if (typeof dto.displayName === 'string' && dto.displayName !== '')
      values.displayName = dto.displayName;
    else if (mode !== 'patch') values.displayName = name;

    if (typeof dto.policyData === 'string' && !failed.has('policyData')) {
      const parsed = parsePolicyData(channel, dto.policyData);
      if (parsed.problems)
        errors.push(...parsed.problems.map((message) => ({ field: 'policyData', message })));
      else values.policyData = parsed.entries;
    } else if (
      !failed.has('policyData') &&
      (mode !== 'patch' || (sent.has('policyData') && dto.policyData === null))
    )
      errors.push({
        field: 'policyData',
        message: mode === 'patch' ? 'policyData cannot be removed' : 'policyData is required',
      });

    if (errors.length) throw validationProblem(errors);
    return { name, values };
  }
}
