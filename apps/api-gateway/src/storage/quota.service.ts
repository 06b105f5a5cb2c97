import { Injectable } from '@nestjs/common';
import { insufficientStorage } from '../http/problems';
import { quotaBreach } from './quota';
import { StoragePoliciesRepository } from './storage-policies.repository';
import { StorageRepository } from './storage.repository';

/**
 * The storage quota at the API's edge (SPEC.md §3.1, §4.1 step 1, §8 "breach on create → 507"): called by every
 * write that creates assets (a PUT/POST of a new asset, a queue submission with its new members, an upload with
 * its bytes) before it writes anything.
 *
 * The check reads the policy and the usage outside the writer's transaction, so concurrent creates of one
 * customer may each pass with the last free slot: the quota is exact to within the requests in flight. Bytes of
 * origins that are fetched later are checked again by the ingest-orchestrator while it streams them.
 */
@Injectable()
export class QuotaService {
  constructor(
    private readonly policies: StoragePoliciesRepository,
    private readonly storage: StorageRepository,
  ) {}

  /**
   * @param newAssets assets the request creates (0 for a replace).
   * @param newBytes bytes it stores now, when known (an uploaded file).
   * @throws 507 problem (`storage-quota-exceeded`) naming the policy and the figures when it would breach.
   */
  async check(customerId: number, newAssets: number, newBytes?: number): Promise<void> {
    if (newAssets <= 0 && !newBytes) return;
    const [policy, usage] = await Promise.all([
      this.policies.ofCustomer(customerId),
      this.storage.quotaUsage(customerId),
    ]);
    if (!policy) return;
    const breach = quotaBreach(policy, usage, newAssets, newBytes);
    if (breach) throw insufficientStorage(breach);
  }
}
