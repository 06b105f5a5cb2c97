import type { Prisma } from '@vellum/db';
import { QueryValidationError } from '../http/hydra';
import type { OrderBy } from '../resource/field-table';
import { ASSET_FIELDS } from './asset.fields';

/** Fields an asset list can be ordered by (SPEC.md §3.1 whitelist), from the asset field table. */
export const ASSET_ORDER = ASSET_FIELDS.orderFields;
export type AssetOrderField = (typeof ASSET_ORDER)[number];

/** The order of an asset list when none is asked: registration order, id as tie-breaker. */
export const ASSET_DEFAULT_ORDER: OrderBy = [{ created: 'asc' }];

/**
 * Asset list filters (SPEC.md §3.1) from the asset field table: `q` = JSON object and/or individual query
 * parameters: `string1..3`, `mediaType` (equality), `number1..3` (integer equality), `tags`/`manifests` (overlap;
 * arrays or comma lists), `space` (must match the route's space when given there).
 * @throws QueryValidationError naming every bad parameter.
 */
export function assetFilter(query: Record<string, unknown>, routeSpaceId?: number): Prisma.AssetWhereInput {
  return assetFilterOf(ASSET_FIELDS.filter(query), routeSpaceId);
}

/**
 * Checks a parsed asset filter (from {@link listPage}) against the route's space.
 * @throws QueryValidationError when `space` names another space than the route's.
 */
export function assetFilterOf(
  filter: Record<string, unknown>,
  routeSpaceId?: number,
): Prisma.AssetWhereInput {
  const where = filter as Prisma.AssetWhereInput;
  if (routeSpaceId !== undefined && where.spaceId !== undefined && where.spaceId !== routeSpaceId)
    throw new QueryValidationError([
      { field: 'space', message: `space must be ${routeSpaceId} on this route` },
    ]);
  return where;
}

/** Prisma orderBy for an asset list (id as tie-breaker). */
export function assetOrder(field: AssetOrderField | undefined, descending: boolean): OrderBy {
  return ASSET_FIELDS.orderBy(field, descending, ASSET_DEFAULT_ORDER);
}
