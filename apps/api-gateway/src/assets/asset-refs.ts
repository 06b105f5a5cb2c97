import { DELETE_FROM_VALUES, type DeleteFrom } from '@vellum/contracts';
import type { CustomerRef } from '../auth/principal';
import { QueryValidationError, type FieldError } from '../http/hydra';
import { validationProblem } from '../http/problems';
import type { AssetKey } from '../storage/storage-accounting';
import { assetIdProblem } from './asset-id';

/** Most members one bulk request (`PATCH`/`POST C/allImages`, `POST C/deleteImages`, `PATCH .../images`) may carry. */
export const MAX_BULK_MEMBERS = 500;

/** Hydra Collection members a client may echo in a bulk body (besides `@context`, `@id`, `@type`). */
export const COLLECTION_ECHO = ['totalItems', 'pageSize', 'view'] as const;

/**
 * Parses `?deleteFrom=` of `DELETE .../images/{id}` and `POST C/deleteImages` (SPEC.md §3.3): a comma-separated
 * list (the parameter may also be repeated) of `cdn` and `internalCache`; empty or absent → `[]`; duplicates
 * dropped.
 * @throws QueryValidationError (400) naming `deleteFrom` for any other value.
 */
export function parseDeleteFrom(value: unknown): DeleteFrom[] {
  if (value === undefined) return [];
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) =>
    typeof v === 'string' ? v.split(',') : [null],
  );
  const out: DeleteFrom[] = [];
  for (const raw of parts) {
    const v = typeof raw === 'string' ? raw.trim() : raw;
    if (v === '') continue;
    if (typeof v !== 'string' || !(DELETE_FROM_VALUES as readonly string[]).includes(v)) {
      const shown = typeof v === 'string' ? `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"` : 'a non-string';
      throw new QueryValidationError([
        {
          field: 'deleteFrom',
          message: `deleteFrom must be a comma-separated list of ${DELETE_FROM_VALUES.join(', ')}; got ${shown}`,
        },
      ]);
    }
    if (!out.includes(v as DeleteFrom)) out.push(v as DeleteFrom);
  }
  return out;
}

/**
 * Parses one `{customer}/{space}/{id}` asset reference of an `allImages`/`deleteImages` body (SPEC.md §3.3: "each
 * member names its asset as the reference does"): `customer` the integer id (or the name) of `customer`, `space` a
 * positive integer, `id` a valid asset id (SPEC.md §1: one path segment, so the reference has exactly two `/`).
 * @returns the key, or the reason it is refused (another customer's asset, malformed).
 */
export function parseAssetRef(raw: unknown, customer: CustomerRef): AssetKey | string {
  if (typeof raw !== 'string') return 'id must be a string "{customer}/{space}/{id}"';
  const parts = raw.split('/');
  if (parts.length !== 3) return `id "${shorten(raw)}" must be "{customer}/{space}/{id}" (exactly two "/")`;
  const [c, s, id] = parts;
  if (c !== String(customer.id) && c !== customer.name)
    return `id "${shorten(raw)}" names customer "${shorten(c)}": only assets of customer ${customer.id} can be named here`;
  if (!/^\d{1,9}$/.test(s) || Number(s) < 1) return `id "${shorten(raw)}": space must be a positive integer`;
  const problem = assetIdProblem(id);
  if (problem) return `id "${shorten(raw)}": ${problem}`;
  return { spaceId: Number(s), id };
}

function shorten(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/**
 * The `member` array of a Hydra Collection body (SPEC.md §3.1), checked: an object body, `@type` (when sent)
 * `Collection`, `member` an array of 1..{@link MAX_BULK_MEMBERS} entries.
 * @param errors where problems are added (field `body`, `@type`, `member`).
 */
export function collectionMembers(body: unknown, errors: FieldError[], what = 'assets'): unknown[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    errors.push({
      field: 'body',
      message: 'the body must be a Hydra Collection: {"@type": "Collection", "member": [...]}',
    });
    return [];
  }
  const b = body as Record<string, unknown>;
  const type = b['@type'];
  if (type !== undefined && type !== 'Collection' && type !== 'hydra:Collection')
    errors.push({ field: '@type', message: '@type must be "Collection"' });
  const member = b.member;
  if (!Array.isArray(member)) {
    errors.push({ field: 'member', message: `member must be an array of ${what}` });
    return [];
  }
  if (member.length === 0)
    errors.push({ field: 'member', message: `member must hold at least one of the ${what}` });
  else if (member.length > MAX_BULK_MEMBERS)
    errors.push({
      field: 'member',
      message: `member may hold at most ${MAX_BULK_MEMBERS} entries (got ${member.length}); split the request`,
    });
  return member.length > MAX_BULK_MEMBERS ? [] : member;
}

/** Members of a `{"id": "c/s/id"}` entry a client may send (JSON-LD keys are echoes and ignored). */
const REF_MEMBER_KEYS = new Set(['id', '@id', '@type', '@context']);

/**
 * The asset keys of a Hydra Collection of `{"id": "{customer}/{space}/{id}"}` (`POST C/allImages`,
 * `POST C/deleteImages`, the `member` of `PATCH C/allImages`): every entry checked, duplicates dropped (first kept),
 * in request order.
 * @throws 400 naming every bad entry (`member[3].id`: another customer's, malformed; `member[3].x`: unknown field)
 *   and `member` itself (missing, empty, over {@link MAX_BULK_MEMBERS}).
 */
export function parseRefCollection(
  body: unknown,
  customer: CustomerRef,
  extra: FieldError[] = [],
): AssetKey[] {
  const errors: FieldError[] = [...extra];
  const members = collectionMembers(body, errors, 'asset references {"id": "{customer}/{space}/{id}"}');
  const keys = parseRefMembers(members, customer, errors);
  if (errors.length) throw validationProblem(errors);
  return keys;
}

/** Parses `{"id": "c/s/id"}` entries into keys (deduplicated, request order), adding problems to `errors`. */
export function parseRefMembers(members: unknown[], customer: CustomerRef, errors: FieldError[]): AssetKey[] {
  const keys: AssetKey[] = [];
  const seen = new Set<string>();
  members.forEach((m, i) => {
    const field = `member[${i}]`;
    if (!m || typeof m !== 'object' || Array.isArray(m)) {
      errors.push({ field, message: 'each member must be an object {"id": "{customer}/{space}/{id}"}' });
      return;
    }
    for (const k of Object.keys(m)) {
      if (!REF_MEMBER_KEYS.has(k))
        errors.push({
          field: `${field}.${k}`,
          message: `unknown field "${k}": a member names its asset with "id" only`,
        });
    }
    const ref = parseAssetRef((m as { id?: unknown }).id, customer);
    if (typeof ref === 'string') {
      errors.push({ field: `${field}.id`, message: ref });
      return;
    }
    const key = `${ref.spaceId}/${ref.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    keys.push(ref);
  });
  return keys;
}
