import { CustomerAccessControlChangedV1 } from '@vellum/contracts';
import { outboxRow } from '@vellum/messaging';
import { textProblem } from '@vellum/common';
import { ValidateBy } from 'class-validator';
import { SERVICE_NAME } from '../customers/customers.service';
import { QueryValidationError } from '../http/hydra';
import type { FieldError } from '../http/problems';
import type { Db } from '../resource/customer-scoped.repository';

/** Longest role, access service or role provider name (varchar(100)). */
export const ACCESS_NAME_MAX = 100;
/** A role, access service or role provider name (issue 10 contract): `^[a-z0-9][a-z0-9-]*$`, ≤ 100. */
export const ACCESS_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** The name of the defaults every customer gets (role, access service and role provider). */
export const CLICKTHROUGH = 'clickthrough';

/** Why `v` cannot be a role / access service / role provider name, or null. */
export function accessNameProblem(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return 'name must be a non-empty string';
  if (v.length > ACCESS_NAME_MAX || !ACCESS_NAME.test(v))
    return `name must be 1 to ${ACCESS_NAME_MAX} of a-z 0-9 - (starting with a letter or digit)`;
  return null;
}

/** Keys of a language map: `none` or a BCP 47-like tag (`en`, `en-GB`, `zh-Hant-TW`). */
const LANGUAGE = /^(none|[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8}){0,4})$/;
/** Bounds of a language map: languages, strings per language, characters per string. */
export const LANGUAGE_MAP_LIMITS = { languages: 20, values: 20, chars: 2000 } as const;

/**
 * Why `v` cannot be an IIIF language map (`{"en": ["Staff"]}`: keys `none` or BCP 47-like tags, values non-empty
 * arrays of non-empty strings; at most 20 languages × 20 strings × 2000 characters), or null.
 */
export function languageMapProblem(v: unknown): string | null {
  const { languages, values, chars } = LANGUAGE_MAP_LIMITS;
  const shape = `a language map like {"en": ["..."]} (≤ ${languages} languages, ≤ ${values} strings each, ≤ ${chars} characters)`;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return `must be ${shape}`;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0 || entries.length > languages) return `must be ${shape}`;
  for (const [k, list] of entries) {
    if (!LANGUAGE.test(k)) return `has the key "${k.slice(0, 40)}": a language tag (e.g. en, en-GB) or none`;
    if (!Array.isArray(list) || list.length === 0 || list.length > values)
      return `["${k}"] must be a non-empty array of strings (≤ ${values})`;
    for (const s of list)
      if (
        typeof s !== 'string' ||
        s.trim() === '' ||
        s.length > chars ||
        textProblem(s, { max: chars }) !== null
      )
        return `["${k}"] must hold non-empty strings of at most ${chars} characters, without U+0000 or lone surrogates`;
  }
  return null;
}

/** A class-validator rule from a "why not" function (the message is the function's, prefixed by the field). */
export function CheckedBy(
  name: string,
  problem: (v: unknown) => string | null,
  prefix = true,
): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (v: unknown) => problem(v) === null,
      defaultMessage: (args) => {
        const p = problem(args?.value) ?? 'is invalid';
        return prefix ? `${args?.property} ${p}` : p;
      },
    },
  });
}

/** The collection segment of each access-control resource under `C/`. */
export type AccessCollection = 'roles' | 'accessServices' | 'roleProviders';

/**
 * The name a reference to one of the customer's roles / access services / role providers stands for (issue 10
 * contract): a bare name, or a URL of any host whose path ends `/customers/{c}/{collection}/{name}`, `c` being
 * this customer's id or name. Null when `value` is neither (malformed, another customer's, another collection).
 */
export function refName(
  value: unknown,
  collection: AccessCollection,
  customer: { id: number; name: string },
): string | null {
  if (typeof value !== 'string') return null;
  if (accessNameProblem(value) === null) return value;
  let path: string;
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    path = u.pathname;
  } catch {
    return null;
  }
  const m = new RegExp(`/customers/([^/]+)/${collection}/([^/]+)$`).exec(path);
  if (!m) return null;
  let c: string;
  let name: string;
  try {
    c = decodeURIComponent(m[1]);
    name = decodeURIComponent(m[2]);
  } catch {
    return null;
  }
  if (c !== String(customer.id) && c !== customer.name) return null;
  return accessNameProblem(name) === null ? name : null;
}

/**
 * Writes, in the transaction `tx` of a change, the `customer.access-control.changed.v1` outbox row (issue 10
 * contract: on any create/update/delete of a role, access service or role provider), so iiif-delivery drops what
 * it cached.
 */
export async function accessControlChanged(customerId: number, tx: Db): Promise<void> {
  const event = Object.assign(new CustomerAccessControlChangedV1(), { customerId });
  await tx.outboxMessage.create({ data: outboxRow(event, { producer: SERVICE_NAME }) });
}

/** How a list filter of an access-control reference is written: one reference, or a list (an `overlap` filter). */
export interface RefFilter {
  collection: AccessCollection;
  list?: boolean;
}

/**
 * A list query with its reference filters (parameters and `q` members) turned into stored names: references are
 * stored by name and rendered as URLs (issue 10), so a client may filter by either. Also refuses a value outside
 * an enum filter (`enums`: field → allowed values) with 400, as the database would not compare it.
 * @throws QueryValidationError naming a bad enum value.
 */
export function filtersByName(
  query: Record<string, unknown>,
  customer: { id: number; name: string },
  refs: Record<string, RefFilter>,
  enums: Record<string, readonly string[]> = {},
): Record<string, unknown> {
  const errors: FieldError[] = [];
  const convert = (members: Record<string, unknown>, fromQueryString: boolean): Record<string, unknown> => {
    const out = { ...members };
    for (const [field, { collection, list }] of Object.entries(refs)) {
      const v = out[field];
      const one = (x: unknown) => (typeof x === 'string' ? (refName(x, collection, customer) ?? x) : x);
      if (list && typeof v === 'string' && fromQueryString)
        out[field] = v
          .split(',')
          .map((s) => one(s.trim()))
          .join(',');
      else if (list && Array.isArray(v)) out[field] = v.map(one);
      else out[field] = one(v);
      if (out[field] === undefined) delete out[field];
    }
    for (const [field, allowed] of Object.entries(enums)) {
      const v = out[field];
      if (v !== undefined && (typeof v !== 'string' || !allowed.includes(v)))
        errors.push({ field, message: `${field} must be one of ${allowed.join(', ')}` });
    }
    return out;
  };
  const out = convert(query, true);
  if (typeof out.q === 'string') {
    try {
      const q: unknown = JSON.parse(out.q);
      if (q && typeof q === 'object' && !Array.isArray(q))
        out.q = JSON.stringify(convert(q as Record<string, unknown>, false));
    } catch {
      // Not JSON: the field table's filter parsing reports it.
    }
  }
  if (errors.length) throw new QueryValidationError(errors);
  return out;
}
