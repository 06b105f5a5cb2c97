import { findUnstorableStrings, isInt32, textProblem } from '@vellum/common';
import type { Prisma } from '@vellum/db';
import { LIMITS } from '../http/limits';
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
/** Longest value of each string filter: the field's own maximum (a longer value can match nothing). */
const STRING_FILTER_MAX: Record<(typeof STRING_FILTERS)[number], number> = {
  string1: LIMITS.metadataString,
  string2: LIMITS.metadataString,
  string3: LIMITS.metadataString,
  mediaType: LIMITS.mediaType,
};
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
      const unstorable = findUnstorableStrings(q, 'q');
      if (unstorable.length) {
        errors.push(...unstorable);
        throw new QueryValidationError(errors);
      }
      for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
        if (!KNOWN.has(k)) errors.push({ field: `q.${k}`, message: `cannot filter on "${k}"` });
        else params[k] = v;
      }
    } catch (err) {
      if (err instanceof QueryValidationError) throw err;
      errors.push({ field: 'q', message: 'q must be a JSON object' });
    }
  }
  for (const k of KNOWN) if (query[k] !== undefined) params[k] = query[k];

  const where: Prisma.AssetWhereInput = {};
  for (const k of STRING_FILTERS) {
    const v = params[k];
    if (v === undefined) continue;
    const problem =
      typeof v === 'string' ? textProblem(v, { max: STRING_FILTER_MAX[k] }) : 'must be a string';
    if (problem) errors.push({ field: k, message: `${k} ${problem}` });
    else where[k] = v as string;
  }
  for (const k of NUMBER_FILTERS) {
    const v = params[k];
    if (v === undefined) continue;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    if (!isInt32(n))
      errors.push({ field: k, message: `${k} must be an integer from -2147483648 to 2147483647` });
    else where[k] = n;
  }
  for (const k of ARRAY_FILTERS) {
    const v = params[k];
    if (v === undefined) continue;
    const list = Array.isArray(v)
      ? v.every((x) => typeof x === 'string')
        ? v
        : null
      : typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : null;
    const max = k === 'tags' ? LIMITS.tag : LIMITS.manifest;
    if (!list) errors.push({ field: k, message: `${k} must be a list of strings` });
    else if (list.length > LIMITS.tags || list.some((x) => x.length > max))
      errors.push({
        field: k,
        message: `${k} must be at most ${LIMITS.tags} values of at most ${max} characters`,
      });
    else where[k] = { hasSome: list };
  }
  if (params.space !== undefined) {
    const raw = params.space;
    const s =
      typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!isInt32(s)) errors.push({ field: 'space', message: 'space must be an integer' });
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
