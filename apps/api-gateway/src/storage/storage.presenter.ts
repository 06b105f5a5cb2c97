import { Injectable } from '@nestjs/common';
import type { StoragePolicy } from '@vellum/db';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import {
  type AssetStorageRow,
  CUSTOMER_STORAGE_FIELDS,
  IMAGE_STORAGE_FIELDS,
  STORAGE_POLICY_FIELDS,
  type StorageUsageRow,
} from './storage.fields';

/** Renders the storage resources from their field tables (SPEC.md §3.1 wire conventions). */
@Injectable()
export class StoragePresenter {
  constructor(private readonly links: Links) {}

  /** `vocab:CustomerStorage` of a customer (`@id` `C/storage`) or a space (`C/spaces/{s}/storage`). */
  usage(r: StorageUsageRow): Record<string, unknown> {
    return {
      '@context': DLCS_CONTEXT,
      '@id':
        r.spaceId === 0 ? this.links.storage(r.customerId) : this.links.spaceStorage(r.customerId, r.spaceId),
      '@type': CUSTOMER_STORAGE_FIELDS.type,
      ...CUSTOMER_STORAGE_FIELDS.present(r, this.links),
    };
  }

  /** `vocab:ImageStorage` (`C/spaces/{s}/images/{id}/storage`). */
  asset(r: AssetStorageRow): Record<string, unknown> {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.imageStorage(r.customerId, r.spaceId, r.assetId),
      '@type': IMAGE_STORAGE_FIELDS.type,
      ...IMAGE_STORAGE_FIELDS.present(r, this.links),
    };
  }

  /** `vocab:StoragePolicy` (`/storagePolicies/{id}`). */
  policy(p: StoragePolicy): Record<string, unknown> {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.storagePolicy(p.id),
      '@type': STORAGE_POLICY_FIELDS.type,
      ...STORAGE_POLICY_FIELDS.present(p, this.links),
    };
  }
}
