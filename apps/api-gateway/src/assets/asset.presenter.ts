import { Injectable } from '@nestjs/common';
import type { Asset } from '@vellum/db';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import type { ExistingAsset } from './asset-builder';
import { ASSET_DECIDED_COLUMNS, ASSET_FIELDS } from './asset.fields';
import { storedChannels } from './stored-channels';

export { storedChannels } from './stored-channels';

/**
 * The builder's view of a stored asset row: its {@link ASSET_DECIDED_COLUMNS} (`origin` '' when absent,
 * `deliveryChannels` parsed). Accepts a Prisma row or a raw SQL row of those columns.
 */
export function existingFields(a: Pick<Asset, (typeof ASSET_DECIDED_COLUMNS)[number]>): ExistingAsset {
  const out: Record<string, unknown> = {};
  for (const c of ASSET_DECIDED_COLUMNS) out[c] = a[c];
  const channels =
    typeof a.deliveryChannels === 'string' ? JSON.parse(a.deliveryChannels) : a.deliveryChannels;
  return {
    ...(out as unknown as ExistingAsset),
    origin: a.origin ?? '',
    deliveryChannels: storedChannels(channels),
    roles: a.roles ?? [],
    tags: a.tags ?? [],
    manifests: a.manifests ?? [],
  };
}

/**
 * Renders an asset as `vocab:Image` (SPEC.md §3.4; DLCS seed 004) from its field table: absent values omitted,
 * links only to routes that exist.
 */
@Injectable()
export class AssetPresenter {
  constructor(private readonly links: Links) {}

  render(a: Asset): Record<string, unknown> {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.image(a.customerId, a.spaceId, a.id),
      '@type': ASSET_FIELDS.type,
      ...ASSET_FIELDS.present(a, this.links),
    };
  }
}
