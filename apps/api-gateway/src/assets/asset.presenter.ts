import { Injectable } from '@nestjs/common';
import type { AssetDeliveryChannel } from '@vellum/contracts';
import type { Asset } from '@vellum/db';
import { renderOrigin } from '@vellum/secrets';
import { compact } from '../http/hydra';
import { DLCS_CONTEXT, iso } from '../http/json-ld';
import { Links } from '../http/links.service';
import type { ExistingAsset } from './asset-builder';

/** `deliveryChannels` JSON column → typed array (tolerates junk: anything malformed is dropped). */
export function storedChannels(value: unknown): AssetDeliveryChannel[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter(
      (c): c is AssetDeliveryChannel =>
        !!c && typeof c === 'object' && typeof (c as AssetDeliveryChannel).channel === 'string',
    )
    .map((c) => ({ channel: c.channel, policy: typeof c.policy === 'string' ? c.policy : 'default' }));
}

/** The access-control sizes and roles (SPEC.md §6) and the user metadata fields (§1) of an asset row. */
export function accessAndMetadata(a: Asset) {
  return {
    roles: a.roles,
    maxWidth: a.maxWidth,
    openFullMax: a.openFullMax,
    openMaxWidth: a.openMaxWidth,
    tags: a.tags,
    string1: a.string1,
    string2: a.string2,
    string3: a.string3,
    number1: a.number1,
    number2: a.number2,
    number3: a.number3,
    manifests: a.manifests,
  };
}

/** The builder's view of a stored asset row. */
export function existingFields(a: Asset): ExistingAsset {
  return {
    origin: a.origin ?? '',
    mediaType: a.mediaType,
    family: a.family,
    deliveryChannels: storedChannels(a.deliveryChannels),
    ...accessAndMetadata(a),
  };
}

/**
 * Renders an asset as `vocab:Image` (SPEC.md §3.4; DLCS seed 004): absent values omitted, links only to routes
 * that exist (`batch` when it came from a batch; `imageService`/`thumbnailImageService` only with those
 * channels; `manifest`, `storage`, `metadata`, `adjuncts`, `reingest` are not advertised until their routes exist).
 */
@Injectable()
export class AssetPresenter {
  constructor(private readonly links: Links) {}

  render(a: Asset): Record<string, unknown> {
    const channels = storedChannels(a.deliveryChannels);
    const has = (ch: string) => channels.some((c) => c.channel === ch);
    return compact({
      '@context': DLCS_CONTEXT,
      '@id': this.links.image(a.customerId, a.spaceId, a.id),
      '@type': 'vocab:Image',
      id: a.id,
      space: a.spaceId,
      mediaType: a.mediaType,
      // Credentials in an origin are stored sealed and shown as `xxx` (SPEC.md §4.2: never returned).
      origin: a.origin ? renderOrigin(a.origin) : undefined,
      created: iso(a.created),
      batch: a.batchId ? this.links.batch(a.customerId, a.batchId) : undefined,
      ingesting: a.ingesting,
      finished: iso(a.finished),
      error: a.error || undefined,
      width: a.width,
      height: a.height,
      duration: a.duration,
      family: a.family,
      deliveryChannels: channels.map((c) => ({
        '@type': 'vocab:DeliveryChannel',
        channel: c.channel,
        policy: c.policy,
      })),
      imageService: has('iiif-img')
        ? this.links.delivery('iiif-img', a.customerId, a.spaceId, a.id)
        : undefined,
      thumbnailImageService: has('thumbs')
        ? this.links.delivery('thumbs', a.customerId, a.spaceId, a.id)
        : undefined,
      ...accessAndMetadata(a),
    });
  }
}
