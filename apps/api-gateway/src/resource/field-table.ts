import { findUnstorableStrings, isInt32, textProblem } from '@vellum/common';
import type { FieldError } from '../http/problems';
import { QueryValidationError } from '../http/hydra';
import { iso } from '../http/json-ld';

/**
 * One field of a resource, as the wire, the database and the OpenAPI document see it. A resource's
 * {@link FieldTable} is the single list its DTO keys, database columns, `orderBy` whitelist, list filters, Hydra
 * presenter and OpenAPI response schema are derived from (SPEC.md §3.1).
 */
export interface FieldDef<Row, Ctx = unknown> {
  /** The Prisma column (defaults to the wire name). */
  column?: keyof Row & string;
  /** OpenAPI type of the rendered value. */
  type: 'string' | 'integer' | 'boolean' | 'date-time' | 'string[]' | 'object' | 'object[]' | 'link';
  description: string;
  /** Accepted in request bodies (a writable field); otherwise read-only, set by the platform. */
  write?: boolean;
  /** Listed in the `orderBy` / `orderByDescending` whitelist. */
  order?: boolean;
  /**
   * A list filter (query parameter or `q` member): `equals` (a string, at most `max` characters), `int` (int4
   * equality), `overlap` (a list of strings; a row matches when it shares one), `boolean`.
   */
  filter?: 'equals' | 'int' | 'overlap' | 'boolean';
  /** Longest filter value (characters), for `equals`/`overlap` filters. */
  max?: number;
  /** The stored value an explicit `null` in a body stands for (SPEC.md §3.3: "an explicit empty value clears"). */
  empty?: unknown;
  /**
   * How the presenter renders the column: `value` (default: as stored, omitted when null), `iso` (a Date as ISO
   * 8601), `hidden` (never rendered: write-only or internal), or a function of the row (links, derived values).
   */
  render?: 'value' | 'iso' | 'hidden' | ((row: Row, ctx: Ctx) => unknown);
}

export type Fields<Row, K extends string = string, Ctx = unknown> = Record<K, FieldDef<Row, Ctx>>;

/** Prisma `orderBy` entries: the asked column, then the tie-breaker columns ascending. */
export type OrderBy = Record<string, 'asc' | 'desc'>[];

/** A JSON-schema object (OpenAPI 3.0 subset) describing a rendered resource. */
export interface SchemaObject {
  type?: string;
  format?: string;
  description?: string;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  additionalProperties?: boolean | SchemaObject;
  example?: unknown;
  enum?: unknown[];
  nullable?: boolean;
  $ref?: string;
  allOf?: SchemaObject[];
}

const TYPE_SCHEMA: Record<FieldDef<unknown>['type'], SchemaObject> = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  boolean: { type: 'boolean' },
  'date-time': { type: 'string', format: 'date-time' },
  'string[]': { type: 'array', items: { type: 'string' } },
  object: { type: 'object' },
  'object[]': { type: 'array', items: { type: 'object' } },
  link: { type: 'string', format: 'uri' },
};

/**
 * The field table of one resource (SPEC.md §3.1 wire conventions). Built once per resource at module load; the
 * repository, the DTO checks, the list query parsing, the presenter and the OpenAPI schema all read it, so a field
 * is added or renamed in one place.
 * @typeParam Row the Prisma row type.
 * @typeParam K the wire names.
 */
export class FieldTable<Row, K extends string = string, Ctx = unknown> {
  /** Wire names accepted in request bodies. */
  readonly writable: readonly K[];
  /** Wire names set by the platform (rendered, never written). */
  readonly readOnly: readonly K[];
  /** The `orderBy` whitelist. */
  readonly orderFields: readonly K[];
  /** Wire names that filter lists. */
  readonly filterFields: readonly K[];

  /**
   * @param type the JSON-LD `@type` of the resource (`vocab:Image`).
   * @param fields every field, in rendering order.
   * @param tieBreak columns appended (ascending) to every `orderBy`, so pages are stable.
   */
  constructor(
    readonly type: string,
    readonly fields: Fields<Row, K, Ctx>,
    readonly tieBreak: readonly (keyof Row & string)[] = [],
  ) {
    const keys = Object.keys(fields) as K[];
    this.writable = keys.filter((k) => fields[k].write);
    this.readOnly = keys.filter((k) => !fields[k].write);
    this.orderFields = keys.filter((k) => fields[k].order);
    this.filterFields = keys.filter((k) => fields[k].filter);
  }

  /** The column of a wire name. */
  column(key: K): keyof Row & string {
    return (this.fields[key].column ?? key) as keyof Row & string;
  }

  /** True when `key` is a field of this table. */
  has(key: string): key is K {
    return Object.prototype.hasOwnProperty.call(this.fields, key);
  }

  /**
   * Prisma `orderBy` for a whitelisted field (see `parsePaging`), or `fallback` when none was asked; the
   * tie-break columns follow.
   */
  orderBy(field: K | undefined, descending: boolean, fallback: OrderBy = []): OrderBy {
    const first: OrderBy = field ? [{ [this.column(field)]: descending ? 'desc' : 'asc' }] : fallback;
    const used = new Set(first.flatMap((o) => Object.keys(o)));
    return [...first, ...this.tieBreak.filter((c) => !used.has(c)).map((c) => ({ [c]: 'asc' as const }))];
  }

  /**
   * Maps the supplied writable wire fields of `values` to columns (omitted keys stay omitted; `null` becomes the
   * field's `empty` value when it has one).
   */
  toColumns(values: Partial<Record<K, unknown>>): Partial<Record<keyof Row & string, unknown>> {
    const out: Partial<Record<keyof Row & string, unknown>> = {};
    for (const k of this.writable) {
      if (!(k in values)) continue;
      const v = values[k];
      if (v === undefined) continue;
      out[this.column(k)] = v === null && 'empty' in this.fields[k] ? this.fields[k].empty : v;
    }
    return out;
  }

  /**
   * The rendered fields of a row, in table order; null/undefined values omitted (SPEC.md §3.1).
   * @param ctx what the fields' render functions need (the request's link builder).
   */
  present(row: Row, ctx: Ctx): Partial<Record<K, unknown>> {
    const out: Partial<Record<K, unknown>> = {};
    for (const k of Object.keys(this.fields) as K[]) {
      const f = this.fields[k];
      if (f.render === 'hidden') continue;
      let v: unknown;
      if (typeof f.render === 'function') v = f.render(row, ctx);
      else {
        v = row[this.column(k)];
        if (f.render === 'iso') v = iso(v as Date | null);
        else if (typeof v === 'bigint') v = Number(v);
      }
      if (v !== undefined && v !== null) out[k] = v;
    }
    return out;
  }

  /**
   * Parses the list filters of a query (SPEC.md §3.1): each filter field as a query parameter and/or as a member
   * of the JSON object `q`. Returns the Prisma `where` over columns.
   * @param extra names of other accepted parameters (paging, route-specific ones), ignored here.
   * @throws QueryValidationError naming every bad value and every unknown `q` member.
   */
  filter(query: Record<string, unknown>): Record<string, unknown> {
    const errors: FieldError[] = [];
    const params: Record<string, unknown> = {};
    if (query.q !== undefined) {
      let q: unknown;
      try {
        if (typeof query.q !== 'string') throw new Error();
        q = JSON.parse(query.q);
      } catch {
        q = undefined;
      }
      if (!q || typeof q !== 'object' || Array.isArray(q)) {
        errors.push({ field: 'q', message: 'q must be a JSON object' });
      } else if (findUnstorableStrings(q, 'q').length) {
        errors.push(...findUnstorableStrings(q, 'q'));
      } else {
        for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
          if (this.has(k) && this.fields[k].filter) params[k] = v;
          else errors.push({ field: `q.${k}`, message: `cannot filter on "${k}"` });
        }
      }
    }
    for (const k of this.filterFields) if (query[k] !== undefined) params[k] = query[k];
    const where: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params) as [K, unknown][]) {
      const f = this.fields[k];
      const column = this.column(k);
      switch (f.filter) {
        case 'equals': {
          const problem = typeof v === 'string' ? textProblem(v, { max: f.max ?? 1000 }) : 'must be a string';
          if (problem) errors.push({ field: k, message: `${k} ${problem}` });
          else where[column] = v;
          break;
        }
        case 'int': {
          const n =
            typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,10}$/.test(v) ? Number(v) : NaN;
          if (!isInt32(n))
            errors.push({ field: k, message: `${k} must be an integer from -2147483648 to 2147483647` });
          else where[column] = n;
          break;
        }
        case 'boolean': {
          if (v === true || v === 'true') where[column] = true;
          else if (v === false || v === 'false') where[column] = false;
          else errors.push({ field: k, message: `${k} must be true or false` });
          break;
        }
        case 'overlap': {
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
          const max = f.max ?? 1000;
          if (!list) errors.push({ field: k, message: `${k} must be a list of strings` });
          else if (list.length > 100 || list.some((x) => textProblem(x, { max }) !== null))
            errors.push({
              field: k,
              message: `${k} must be at most 100 values of at most ${max} characters`,
            });
          else where[column] = { hasSome: list };
          break;
        }
      }
    }
    if (errors.length) throw new QueryValidationError(errors);
    return where;
  }

  /**
   * The OpenAPI schema of the rendered resource: `@context`, `@id`, `@type` and every rendered field, with its
   * type, description and whether it is read-only.
   */
  schema(description?: string): SchemaObject {
    const properties: Record<string, SchemaObject> = {
      '@context': { type: 'string', description: 'JSON-LD context' },
      '@id': { type: 'string', format: 'uri', description: 'Absolute URL of this resource' },
      '@type': { type: 'string', enum: [this.type] },
    };
    for (const k of Object.keys(this.fields) as K[]) {
      const f = this.fields[k];
      if (f.render === 'hidden') continue;
      properties[k] = {
        ...TYPE_SCHEMA[f.type],
        description: f.write ? f.description : `${f.description} (read-only)`,
      };
    }
    return { type: 'object', description, properties, required: ['@id', '@type'] };
  }
}

/**
 * Declares a resource's field table, inferring the wire names from `fields`:
 * `defineFields<Asset, Links>()('vocab:Image', {...}, ['id'])`.
 */
export function defineFields<Row, Ctx = unknown>() {
  return <K extends string>(
    type: string,
    fields: Fields<Row, K, Ctx>,
    tieBreak: readonly (keyof Row & string)[] = [],
  ): FieldTable<Row, K, Ctx> => new FieldTable<Row, K, Ctx>(type, fields, tieBreak);
}
