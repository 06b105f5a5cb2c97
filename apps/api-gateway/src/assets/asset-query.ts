import type { Prisma } from '@vellum/db';
import type { FieldError } from '../http/hydra';
import { QueryValidationError } from '../http/hydra';

/** Fields an asset list can be ordered by (SPEC.md §3.1 whitelist). */
export const ASSET_ORDER = [
  'id',
  'created',
  'finished',
  'mediaType',
  'width',
  'height',
  'string1',
  'string2',
  'string3',
  'number1',
  'number2',
  'number3',
] as const;
export type AssetOrderField = (typeof ASSET_ORDER)[number];

const STRING_FILTERS = ['string1', 'string2', 'string3', 'mediaType'] as const;
const NUMBER_FILTERS = ['number1', 'number2', 'number3'] as const;
const ARRAY_FILTERS = ['tags', 'manifests'] as const;
const KNOWN = new Set<string>([...STRING_FILTERS, ...NUMBER_FILTERS, ...ARRAY_FILTERS, 'space']);

/**
 * Asset list filters (SPEC.md §3.1): `q` = JSON object and/or individual query parameters: `string1..3`,
 * `mediaType` (equality), `number1..3` (integer equality), `tags`/`manifests` (overlap; arrays or comma lists),
 * `space` (must match the route's space when given there).
 * @throws QueryValidationError naming every bad parameter.
 */
export function assetFilter(query: Record<string, unknown>, routeSpaceId?: number): Prisma.AssetWhereInput {
  const errors: FieldError[] = [];
  const params: Record<string, unknown> = {};
  if (query.q !== undefined) {
    try {
      if (typeof query.q !== 'string') throw new Error('not a string');
      const q: unknown = JSON.parse(query.q);
      if (!q || typeof q !== 'object' || Array.isArray(q)) throw new Error('not an object');
      for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
        if (!KNOWN.has(k)) errors.push({ field: `q.${k}`, message: `cannot filter on "${k}"` });
        else params[k] = v;
      }
    } catch {
      errors.push({ field: 'q', message: 'q must be a JSON object' });
    }
  }
  for (const k of KNOWN) if (query[k] !== undefined) params[k] = query[k];

  const where: Prisma.AssetWhereInput = {};
  for (const k of STRING_FILTERS) {
    const v = params[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') errors.push({ field: k, message: `${k} must be a string` });
    else where[k] = v;
  }
  for (const k of NUMBER_FILTERS) {
    const v = params[k];
    if (v === undefined) continue;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) errors.push({ field: k, message: `${k} must be an integer` });
    else where[k] = n;
  }
  for (const k of ARRAY_FILTERS) {
    const v = params[k];
    if (v === undefined) continue;
    const list = Array.isArray(v)
      ? v.map(String)
      : typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : null;
    if (!list) errors.push({ field: k, message: `${k} must be a list of strings` });
    else where[k] = { hasSome: list };
  }
  if (params.space !== undefined) {
    const s = Number(params.space);
    if (!Number.isSafeInteger(s)) errors.push({ field: 'space', message: 'space must be an integer' });
    else if (routeSpaceId !== undefined && s !== routeSpaceId)
      errors.push({ field: 'space', message: `space must be ${routeSpaceId} on this route` });
    else where.spaceId = s;
  }
  if (errors.length) throw new QueryValidationError(errors);
  return where;
}

/** Prisma orderBy for an asset list (id as tie-breaker). */
export function assetOrder(
  field: AssetOrderField | undefined,
  descending: boolean,
): Prisma.AssetOrderByWithRelationInput[] {
  const dir = descending ? 'desc' : 'asc';
  if (!field) return [{ created: 'asc' }, { id: 'asc' }];
  if (field === 'id') return [{ id: dir }];
  return [{ [field]: dir }, { id: 'asc' }];
}
