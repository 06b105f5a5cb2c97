import { Injectable } from '@nestjs/common';
import { isUniqueViolation, type StoragePolicy } from '@vellum/db';
import { AssetsRepository } from '../assets/assets.repository';
import { conflict, notFound, validationProblem } from '../http/problems';
import type { FieldError } from '../http/problems';
import { SpacesService } from '../spaces/spaces.service';
import type { AssetStorageRow, StorageUsageRow } from './storage.fields';
import { StoragePoliciesRepository } from './storage-policies.repository';
import { storagePolicyIdOf, type StoragePolicyBodyDto } from './storage-policy.dto';
import { StorageRepository } from './storage.repository';

/** The id every new customer's policy defaults to (seeded by the migrations; it cannot be deleted). */
export const DEFAULT_STORAGE_POLICY = 'default';

/**
 * Storage records and storage policies (SPEC.md §3.3 "Storage", §8): reads of the totals (absent rows → zeros),
 * the policies' CRUD and their assignment to customers.
 */
@Injectable()
export class StorageService {
  constructor(
    private readonly storage: StorageRepository,
    private readonly policies: StoragePoliciesRepository,
    private readonly spaces: SpacesService,
    private readonly assets: AssetsRepository,
  ) {}

  /**
   * The totals of the customer (`spaceId` undefined) or of one of its spaces.
   * @throws 404 when the space does not exist.
   */
  async usage(customerId: number, spaceId?: number): Promise<StorageUsageRow> {
    if (spaceId !== undefined && !(await this.spaces.exists(customerId, spaceId)))
      throw notFound(`Space ${spaceId} not found.`);
    const [row, policy] = await Promise.all([
      this.storage.usage(customerId, spaceId ?? 0),
      this.policies.idOfCustomer(customerId),
    ]);
    return {
      customerId,
      spaceId: spaceId ?? 0,
      numberOfStoredImages: row?.numberOfStoredImages ?? 0n,
      totalSizeOfStoredImages: row?.totalSizeOfStoredImages ?? 0n,
      totalSizeOfThumbnails: row?.totalSizeOfThumbnails ?? 0n,
      lastCalculated: row?.lastCalculated ?? null,
      storagePolicy: policy ?? DEFAULT_STORAGE_POLICY,
    };
  }

  /** The storage of one asset (zeros before its first successful ingest). @throws 404 when it does not exist. */
  async asset(customerId: number, spaceId: number, assetId: string): Promise<AssetStorageRow> {
    const [asset, row] = await Promise.all([
      this.assets.get(customerId, spaceId, assetId),
      this.storage.asset(customerId, spaceId, assetId),
    ]);
    if (!asset) throw notFound(`Asset ${assetId} not found in space ${spaceId}.`);
    return {
      customerId,
      spaceId,
      assetId,
      size: row?.size ?? 0n,
      thumbnailSize: row?.thumbnailSize ?? 0n,
      checked: row?.checked ?? null,
    };
  }

  /** One policy. @throws 404 */
  async policy(id: string): Promise<StoragePolicy> {
    const policy = await this.policies.get(id);
    if (!policy) throw notFound(`Storage policy ${id} not found.`);
    return policy;
  }

  /**
   * `POST /storagePolicies`: creates a policy; `id` and both limits are required.
   * @throws 400 naming each missing field, 409 when the id is taken.
   */
  async createPolicy(dto: StoragePolicyBodyDto): Promise<StoragePolicy> {
    const errors: FieldError[] = [];
    if (dto.id === undefined || dto.id === null) errors.push({ field: 'id', message: 'id is required' });
    errors.push(...missingLimits(dto));
    if (errors.length) throw validationProblem(errors);
    return this.insert(dto.id!, dto);
  }

  /**
   * `PUT /storagePolicies/{id}`: creates the policy (both limits required) or changes the limits supplied.
   * @returns the policy and whether it was created.
   * @throws 400 (bad id in the URL, body id not matching it, a missing limit on create).
   */
  async putPolicy(
    id: string,
    dto: StoragePolicyBodyDto,
  ): Promise<{ policy: StoragePolicy; created: boolean }> {
    const errors: FieldError[] = [];
    if (storagePolicyIdOf(id) !== id)
      errors.push({
        field: 'id',
        message: 'id must be 1-60 characters of letters, digits, ".", "_" and "-"',
      });
    else if (dto.id !== undefined && dto.id !== null && dto.id !== id)
      errors.push({ field: 'id', message: `id "${dto.id}" does not match the URL ("${id}")` });
    for (const k of LIMIT_FIELDS)
      if (dto[k] === null) errors.push({ field: k, message: `${k} cannot be removed (give a number)` });
    if (errors.length) throw validationProblem(errors);
    const updated = await this.policies.update(id, {
      maximumNumberOfStoredImages: dto.maximumNumberOfStoredImages,
      maximumTotalSizeOfStoredImages: dto.maximumTotalSizeOfStoredImages,
    });
    if (updated) return { policy: updated, created: false };
    const missing = missingLimits(dto);
    if (missing.length) throw validationProblem(missing);
    return { policy: await this.insert(id, dto), created: true };
  }

  /** `DELETE /storagePolicies/{id}`. @throws 404, 409 (the default policy, or one a customer uses). */
  async deletePolicy(id: string): Promise<void> {
    if (id === DEFAULT_STORAGE_POLICY)
      throw conflict('The default storage policy is given to every new customer and cannot be deleted.');
    const result = await this.policies.delete(id);
    if (result.outcome === 'missing') throw notFound(`Storage policy ${id} not found.`);
    if (result.outcome === 'in-use')
      throw conflict(
        `Storage policy ${id} is used by ${result.customers} customer${result.customers === 1 ? '' : 's'}; assign them another first.`,
      );
  }

  /**
   * `PUT C/storagePolicy`: makes the customer use the policy named by its @id URL or id.
   * @throws 400 naming `storagePolicy` when it names no existing policy.
   */
  async assign(customerId: number, value: string): Promise<StorageUsageRow> {
    const id = storagePolicyIdOf(value);
    const policy = id ? await this.policies.get(id) : null;
    if (!policy)
      throw validationProblem([
        {
          field: 'storagePolicy',
          message: `"${value.slice(0, 200)}" names no storage policy (give its @id or its id)`,
        },
      ]);
    if (!(await this.policies.assign(customerId, policy.id)))
      throw notFound(`Customer ${customerId} not found.`);
    return this.usage(customerId);
  }

  private async insert(id: string, dto: StoragePolicyBodyDto): Promise<StoragePolicy> {
    try {
      return await this.policies.create(id, {
        maximumNumberOfStoredImages: dto.maximumNumberOfStoredImages!,
        maximumTotalSizeOfStoredImages: dto.maximumTotalSizeOfStoredImages!,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Storage policy ${id} already exists.`);
      throw err;
    }
  }
}

const LIMIT_FIELDS = ['maximumNumberOfStoredImages', 'maximumTotalSizeOfStoredImages'] as const;

function missingLimits(dto: StoragePolicyBodyDto): FieldError[] {
  return LIMIT_FIELDS.filter((k) => dto[k] === undefined || dto[k] === null).map((k) => ({
    field: k,
    message: `${k} is required when a policy is created`,
  }));
}
