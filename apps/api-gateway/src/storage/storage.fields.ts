import type { StoragePolicy } from '@vellum/db';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/**
 * Storage totals of a customer (`spaceId` 0) or of one space, as read from `storage_usage` (zeros when the row is
 * absent), with the customer's storage policy id. Bytes and counts are bigint columns.
 */
export interface StorageUsageRow {
  customerId: number;
  /** 0 for the customer's totals. */
  spaceId: number;
  numberOfStoredImages: bigint;
  totalSizeOfStoredImages: bigint;
  totalSizeOfThumbnails: bigint;
  /** When a delta last moved the totals; null when nothing was ever stored. */
  lastCalculated: Date | null;
  /** The customer's storage policy id. */
  storagePolicy: string;
}

/** Storage of one asset, from `asset_storage` (zeros and no `checked` when the row is absent). */
export interface AssetStorageRow {
  customerId: number;
  spaceId: number;
  assetId: string;
  size: bigint;
  thumbnailSize: bigint;
  checked: Date | null;
}

/**
 * `vocab:CustomerStorage` (SPEC.md §3.3 "Storage", §8): `GET C/storage` (the customer's totals) and
 * `GET C/spaces/{s}/storage` (one space's, with `space`). Read-only.
 */
export const CUSTOMER_STORAGE_FIELDS = defineFields<StorageUsageRow, Links>()('vocab:CustomerStorage', {
  space: {
    column: 'spaceId',
    type: 'integer',
    description: 'The space these totals are of (absent for the customer totals)',
    render: (r) => (r.spaceId === 0 ? undefined : r.spaceId),
  },
  numberOfStoredImages: {
    type: 'integer',
    description: 'Assets stored (each counted from its first successful ingest until it is deleted)',
  },
  totalSizeOfStoredImages: {
    type: 'integer',
    description: 'Bytes of stored images: pyramids, AV outputs and kept originals (uploaded files included)',
  },
  totalSizeOfThumbnails: { type: 'integer', description: 'Bytes of pre-made thumbnails' },
  lastCalculated: {
    type: 'date-time',
    description: 'When the totals last changed (they are kept exact by deltas, never recalculated)',
    render: 'iso',
  },
  storagePolicy: {
    type: 'link',
    description: "The customer's storage policy (its quota)",
    render: (r, links) => links.storagePolicy(r.storagePolicy),
  },
});

/** `vocab:ImageStorage` (SPEC.md §3.3 "Storage", §8): `GET C/spaces/{s}/images/{id}/storage`. Read-only. */
export const IMAGE_STORAGE_FIELDS = defineFields<AssetStorageRow, Links>()('vocab:ImageStorage', {
  size: {
    type: 'integer',
    description: 'Bytes the asset occupies: pyramid or AV outputs, plus the kept original or uploaded file',
  },
  thumbnailSize: { type: 'integer', description: 'Bytes of its pre-made thumbnails' },
  checked: {
    type: 'date-time',
    description: 'When its sizes were last recorded (its last ingest)',
    render: 'iso',
  },
});

/**
 * `vocab:StoragePolicy` (SPEC.md §8): a quota. `GET /storagePolicies[/{id}]` (public), admin
 * `POST/PUT/DELETE`. Counts and bytes are bigint columns, rendered as JSON numbers (at most 2^53 - 1).
 */
export const STORAGE_POLICY_FIELDS = defineFields<StoragePolicy, Links>()(
  'vocab:StoragePolicy',
  {
    id: {
      type: 'string',
      description: 'Policy id: letters, digits, `.`, `_`, `-` (≤ 60 characters); `default` is seeded',
      write: true,
      order: true,
    },
    maximumNumberOfStoredImages: {
      type: 'integer',
      description: 'Most assets a customer under this policy may hold (creates beyond it → 507)',
      write: true,
      order: true,
    },
    maximumTotalSizeOfStoredImages: {
      type: 'integer',
      description:
        'Most bytes of stored images (see CustomerStorage.totalSizeOfStoredImages; beyond it → 507)',
      write: true,
      order: true,
    },
    created: { type: 'date-time', description: 'When the policy was created', render: 'iso', order: true },
    modified: { type: 'date-time', description: 'When the policy last changed', render: 'iso' },
  },
  ['id'],
);

/** Wire names of a storage policy body. */
export type StoragePolicyWritableField = (typeof STORAGE_POLICY_FIELDS.writable)[number];
