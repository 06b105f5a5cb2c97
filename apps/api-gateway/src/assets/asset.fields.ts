import type { Asset } from '@vellum/db';
import { renderOrigin } from '@vellum/secrets';
import { LIMITS } from '../http/limits';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';
import type { AssetFields } from './asset-builder';
import { storedChannels } from './stored-channels';

const hasChannel = (a: Asset, channel: string) =>
  storedChannels(a.deliveryChannels).some((c) => c.channel === channel);

/** The channels whose assets iiif-delivery serves a manifest for (`/iiif-manifest/...`, SPEC.md §3.4, §5). */
const MANIFEST_CHANNELS = ['iiif-img', 'thumbs', 'iiif-av', 'file'];

/**
 * The asset resource (`vocab:Image`, SPEC.md §3.4), field by field: the single list from which the body keys,
 * the columns the queue's bulk SQL writes, the `orderBy` whitelist, the list filters, the presenter's plain fields
 * and the OpenAPI schema are derived. Links and values needing the request (`@id`, `imageService`, `batch`,
 * are rendered by functions of the row and the request's {@link Links}.
 */
export const ASSET_FIELDS = defineFields<Asset, Links>()(
  'vocab:Image',
  {
    id: {
      type: 'string',
      description: 'Asset id: one URL path segment, ≤ 200 characters',
      write: true,
      order: true,
    },
    space: {
      column: 'spaceId',
      type: 'integer',
      description: 'Space id (matches the URL)',
      write: true,
      filter: 'int',
    },
    mediaType: {
      type: 'string',
      description: 'Media type (required on create)',
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.mediaType,
    },
    origin: {
      type: 'string',
      description: 'URI of the master file; credentials in it are stored sealed and rendered as xxx',
      write: true,
      // SPEC.md §4.2: credentials are never returned.
      render: (a) => (a.origin ? renderOrigin(a.origin) : undefined),
    },
    created: { type: 'date-time', description: 'When the asset was registered', render: 'iso', order: true },
    batch: {
      column: 'batchId',
      type: 'link',
      description: 'The batch it was last submitted in',
      render: (a, links) => (a.batchId ? links.batch(a.customerId, a.batchId) : undefined),
    },
    ingesting: { type: 'boolean', description: 'True while an ingest is running' },
    finished: { type: 'date-time', description: 'When the last ingest ended', render: 'iso', order: true },
    error: { type: 'string', description: 'The last processing error (cleared on reprocess)' },
    width: { type: 'integer', description: 'Width in pixels', order: true },
    height: { type: 'integer', description: 'Height in pixels', order: true },
    duration: { type: 'integer', description: 'Duration in milliseconds (audio/video)' },
    family: { type: 'string', description: 'I image, T time-based, F file (derived)' },
    deliveryChannels: {
      type: 'object[]',
      description: 'Delivery channels: [{channel, policy}] (or plain channel names on write)',
      write: true,
      render: (a) =>
        storedChannels(a.deliveryChannels).map((c) => ({
          '@type': 'vocab:DeliveryChannel',
          channel: c.channel,
          policy: c.policy,
        })),
    },
    imageService: {
      type: 'link',
      description: 'The IIIF Image API service (iiif-img channel)',
      render: (a, links) =>
        hasChannel(a, 'iiif-img') ? links.delivery('iiif-img', a.customerId, a.spaceId, a.id) : undefined,
    },
    thumbnailImageService: {
      type: 'link',
      description: 'The level-0 thumbnail service (thumbs channel)',
      render: (a, links) =>
        hasChannel(a, 'thumbs') ? links.delivery('thumbs', a.customerId, a.spaceId, a.id) : undefined,
    },
    manifest: {
      type: 'link',
      description:
        'The single-asset IIIF Presentation manifest (3.0; 2.1 at /iiif-manifest/v2/... for images): every asset ' +
        'delivered on a channel a manifest shows (iiif-img, thumbs, iiif-av, file)',
      render: (a, links) =>
        MANIFEST_CHANNELS.some((c) => hasChannel(a, c))
          ? links.delivery('iiif-manifest', a.customerId, a.spaceId, a.id)
          : undefined,
    },
    roles: {
      type: 'string[]',
      description: `Roles needed to access the asset: role URIs {api}/customers/{c}/roles/{name} (input: URIs or names of the customer's roles; ≤ ${LIMITS.roles})`,
      write: true,
      empty: [],
      render: (a, links) => (a.roles ?? []).map((r) => links.role(a.customerId, r)),
    },
    maxWidth: {
      type: 'integer',
      description: 'Largest pixel size served (≤ 0 = unlimited)',
      write: true,
      empty: 0,
    },
    openFullMax: {
      type: 'integer',
      description: 'Open /full/ size bound for assets with roles (≤ 0 = unset)',
      write: true,
      empty: 0,
    },
    openMaxWidth: {
      type: 'integer',
      description: 'Open substitute maxWidth for assets with roles (≤ 0 = unset)',
      write: true,
      empty: 0,
    },
    tags: {
      type: 'string[]',
      description: `Tags (≤ ${LIMITS.tags})`,
      write: true,
      filter: 'overlap',
      max: LIMITS.tag,
      empty: [],
    },
    string1: {
      type: 'string',
      description: 'Metadata string 1',
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.metadataString,
    },
    string2: {
      type: 'string',
      description: 'Metadata string 2',
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.metadataString,
    },
    string3: {
      type: 'string',
      description: 'Metadata string 3',
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.metadataString,
    },
    number1: { type: 'integer', description: 'Metadata integer 1', write: true, order: true, filter: 'int' },
    number2: { type: 'integer', description: 'Metadata integer 2', write: true, order: true, filter: 'int' },
    number3: { type: 'integer', description: 'Metadata integer 3', write: true, order: true, filter: 'int' },
    manifests: {
      type: 'string[]',
      description: `Ids of manifests the asset belongs to (≤ ${LIMITS.manifests})`,
      write: true,
      filter: 'overlap',
      max: LIMITS.manifest,
      empty: [],
    },
    storage: {
      type: 'link',
      description: "The asset's storage record (vocab:ImageStorage: size, thumbnailSize)",
      render: (a, links) => links.imageStorage(a.customerId, a.spaceId, a.id),
    },
    metadata: {
      type: 'link',
      description: 'Processing details: thumbnail sizes, pyramid, transcodes (GET)',
      render: (a, links) => links.imageMetadata(a.customerId, a.spaceId, a.id),
    },
    adjuncts: {
      type: 'link',
      description: 'Adjuncts of the asset (a Hydra collection; empty until adjuncts exist)',
      render: (a, links) => links.imageAdjuncts(a.customerId, a.spaceId, a.id),
    },
    reingest: {
      type: 'link',
      description: 'POST here (no body) to process the asset again; GET describes the operation',
      render: (a, links) => links.imageReingest(a.customerId, a.spaceId, a.id),
    },
  },
  ['id'],
);

/** Wire names of the asset body (SPEC.md §3.4 "Writable"). */
export type AssetWritableField = (typeof ASSET_FIELDS.writable)[number];

/**
 * The columns of an asset row the gateway decides on every write: the body's writable fields less the key
 * (`id`, `space`), plus the derived `family`. What {@link AssetFields} holds, what the queue's bulk upsert writes and
 * what a replace or patch compares (a unit test checks they agree).
 */
export const ASSET_DECIDED_COLUMNS = [
  ...ASSET_FIELDS.writable.filter((k) => k !== 'id' && k !== 'space'),
  'family',
] as (keyof AssetFields)[];

/** Links of an asset to its sub-resources (`C/spaces/{s}/images/{id}/{link}`), read-only on the wire. */
export const ASSET_LINK_FIELDS = [
  'manifest',
  'storage',
  'metadata',
  'adjuncts',
  'reingest',
  'usedBy',
] as const;
