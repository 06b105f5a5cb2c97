import { ValidateBy, type ValidationOptions } from 'class-validator';
import type { FieldError } from './problem';

/**
 * Validation rules shared by every HTTP edge (SPEC.md §3.1 "bad input → 400", §10 "every bad input answered with
 * a 4xx problem document"): the limits of the Postgres columns behind the fields, so that no value that the
 * database would refuse (and answer with a 500) passes validation.
 */

/** Range of a Postgres `integer` (int4) column, the type of every Prisma `Int` in `packages/db`. */
export const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;

/** Range of a Postgres `bigint` (int8) column that JavaScript numbers can carry exactly (`Number.MAX_SAFE_INTEGER`). */
export const INT64_SAFE_MIN = Number.MIN_SAFE_INTEGER;
export const INT64_SAFE_MAX = Number.MAX_SAFE_INTEGER;

/** True for an integer that fits an int4 column (rejects floats, `1e308`, NaN, ±Infinity). */
export function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

/**
 * Property decorator for a field stored in an int4 column: an integer in `[min, INT32_MAX]` (`min` defaults to
 * `INT32_MIN`). `1e308` and `3000000000` fail with `$property must be an integer from <min> to 2147483647`.
 */
export function IsInt32(opts: { min?: number } = {}, options?: ValidationOptions): PropertyDecorator {
  const min = Math.max(opts.min ?? INT32_MIN, INT32_MIN);
  return ValidateBy(
    {
      name: 'isInt32',
      constraints: [min, INT32_MAX],
      validator: {
        validate: (value: unknown) => isInt32(value) && value >= min,
        defaultMessage: () => `$property must be an integer from ${min} to ${INT32_MAX}`,
      },
    },
    options,
  );
}

/**
 * Property decorator for a field stored in an int8 column: an integer in `[min, Number.MAX_SAFE_INTEGER]`
 * (the largest a JSON number carries exactly).
 */
export function IsInt64(opts: { min?: number } = {}, options?: ValidationOptions): PropertyDecorator {
  const min = Math.max(opts.min ?? INT64_SAFE_MIN, INT64_SAFE_MIN);
  return ValidateBy(
    {
      name: 'isInt64',
      constraints: [min, INT64_SAFE_MAX],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' && Number.isSafeInteger(value) && value >= min,
        defaultMessage: () => `$property must be an integer from ${min} to ${INT64_SAFE_MAX}`,
      },
    },
    options,
  );
}

/** An unpaired high or low surrogate (`String.prototype.isWellFormed` is ES2024). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot be stored in a Postgres `text` column, or null: U+0000 (Postgres refuses NUL in text and
 * jsonb) and unpaired UTF-16 surrogates (they have no UTF-8 encoding; SPEC.md §3.1 asks for a 400, not a silent
 * U+FFFD).
 */
export function unstorableReason(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain U+0000 (NUL)';
  if (LONE_SURROGATE.test(s)) return 'must not contain an unpaired UTF-16 surrogate';
  return null;
}

/** Options of {@link IsText}. */
export interface TextRule {
  /** Most characters (UTF-16 code units, as `String.length` counts). */
  max: number;
  /** Most bytes in UTF-8, for columns under a btree index (Postgres refuses index rows over 2,704 bytes). */
  maxBytes?: number;
  /** Fewest characters; default 0. */
  min?: number;
}

/** The message of a {@link TextRule} violation, or null when `s` satisfies it. */
export function textProblem(s: string, rule: TextRule): string | null {
  const bad = unstorableReason(s);
  if (bad) return bad;
  if (rule.min !== undefined && s.length < rule.min)
    return rule.min === 1 ? 'must not be empty' : `must be at least ${rule.min} characters`;
  if (s.length > rule.max) return `must be at most ${rule.max} characters`;
  if (rule.maxBytes !== undefined && Buffer.byteLength(s, 'utf8') > rule.maxBytes)
    return `must be at most ${rule.maxBytes} bytes in UTF-8`;
  return null;
}

/**
 * Property decorator for a string stored in a `text`/`varchar` column (or each element of a `text[]` column with
 * `{ each: true }`): a string of at most `max` characters (and `maxBytes` UTF-8 bytes when given), without U+0000
 * or unpaired surrogates. Messages: `$property must be at most 1000 characters`, `$property must be a string`...
 */
export function IsText(rule: TextRule, options?: ValidationOptions): PropertyDecorator {
  const problemOf = (v: unknown): string | null =>
    typeof v === 'string' ? textProblem(v, rule) : 'must be a string';
  return ValidateBy(
    {
      name: 'isText',
      constraints: [rule.max, rule.maxBytes],
      validator: {
        validate: (value: unknown) => problemOf(value) === null,
        defaultMessage: (args) => {
          const v: unknown = args?.value;
          if (options?.each && Array.isArray(v)) {
            const i = v.findIndex((x) => problemOf(x) !== null);
            return `$property[${i}] ${problemOf(v[i]) ?? 'is invalid'}`;
          }
          return `$property ${problemOf(v) ?? 'is invalid'}`;
        },
      },
    },
    options,
  );
}

/**
 * Property decorator for a list field: an array of at most `max` entries.
 * Message: `$property must be an array of at most 100 entries`.
 */
export function IsList(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isList',
      constraints: [max],
      validator: {
        validate: (value: unknown) => Array.isArray(value) && value.length <= max,
        defaultMessage: () => `$property must be an array of at most ${max} entries`,
      },
    },
    options,
  );
}

function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * Every string (object keys included) in a parsed JSON value or query object that a Postgres text column would
 * refuse ({@link unstorableReason}), as `[{ field, message }]` with paths like `member[2].tags[0]`.
 * Iterative, so any depth is safe; stops after `limit` findings.
 * @param root the path prefix of `value` (`''` for a body, the parameter name for a query value).
 */
export function findUnstorableStrings(value: unknown, root = '', limit = 50): FieldError[] {
  const out: FieldError[] = [];
  // Depth-first in document order; a bad object key is pushed as a ready finding so the order is kept.
  const stack: Array<{ v: unknown; path: string; found?: FieldError }> = [{ v: value, path: root }];
  while (stack.length && out.length < limit) {
    const { v, path, found } = stack.pop()!;
    if (found) out.push(found);
    else if (typeof v === 'string') {
      const reason = unstorableReason(v);
      if (reason) out.push({ field: path || 'body', message: `${path || 'value'} ${reason}` });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: fieldPath(path, i) });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i];
        const reason = unstorableReason(k);
        if (reason) {
          const shown = JSON.stringify(k);
          const field = fieldPath(path, shown);
          stack.push({
            v: undefined,
            path: field,
            found: { field, message: `field name ${shown} ${reason}` },
          });
        } else stack.push({ v: child, path: fieldPath(path, k) });
      }
    }
  }
  return out;
}

/**
 * The nesting depth of a JSON text (arrays and objects), computed on the raw UTF-8 bytes without parsing:
 * brackets inside strings (escapes included) do not count. Stops counting once `limit` is exceeded, so a hostile
 * body costs one linear scan.
 * @returns the maximum depth reached (at most `limit + 1`).
 */
export function jsonNestingDepth(bytes: Uint8Array, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return max;
}
