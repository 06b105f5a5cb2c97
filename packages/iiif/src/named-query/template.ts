/**
 * Named-query templates (SPEC.md §7, template syntax): parsing and validation, with no framework and no I/O, so
 * the api-gateway (which validates a template when it is written) and iiif-delivery (which binds it to the URL
 * arguments of a request, see `bind.ts`) share one grammar.
 *
 * Grammar: `key=value` pairs separated by `&`. A value `pN` (N ≥ 1) is the N-th URL argument; any other value is
 * a literal. Keys (case-sensitive):
 *
 * | key | value |
 * |---|---|
 * | `space`, `batch` | a positive integer, or `pN` |
 * | `n1`, `n2`, `n3` | an integer, or `pN` |
 * | `spacename`, `s1`, `s2`, `s3`, `tag` | a string, or `pN` |
 * | `manifest` | a field: `s1`..`s3`, `n1`..`n3` (the field that names the manifest) |
 * | `assetOrder` (alias `canvas`) | `term;term;...`, each `field[ asc|desc]` (`+` also separates) |
 * | `objectname`, `coverpage`, `redactedmessage` | a string, or `pN` (PDF/ZIP projections) |
 */

/** A metadata field a template can order or group by. */
export type NamedQueryField = 's1' | 's2' | 's3' | 'n1' | 'n2' | 'n3';

/** The keys that select assets. */
export type NamedQueryConditionKey =
  'space' | 'spacename' | 's1' | 's2' | 's3' | 'n1' | 'n2' | 'n3' | 'tag' | 'batch';

/** The keys whose values are free text for the PDF/ZIP projections. */
export type NamedQueryTextKey = 'objectname' | 'coverpage' | 'redactedmessage';

/** Every key a template may use. */
export type NamedQueryKey = NamedQueryConditionKey | NamedQueryTextKey | 'manifest' | 'assetOrder' | 'canvas';

/** A template value: the N-th URL argument (1-based) or a literal (a number for the number keys). */
export type TemplateValue<T extends string | number = string | number> =
  { kind: 'argument'; index: number } | { kind: 'literal'; value: T };

/** One asset condition of a template, in template order. */
export interface TemplateCondition {
  key: NamedQueryConditionKey;
  value: TemplateValue;
}

/** One `assetOrder` term. */
export interface TemplateOrderTerm {
  field: NamedQueryField;
  direction: 'asc' | 'desc';
}

/** A parsed, valid template. */
export interface NamedQueryTemplate {
  /** The template text as written. */
  source: string;
  /** The asset conditions, in template order. */
  conditions: TemplateCondition[];
  /** The `manifest` field, when given. */
  manifest?: NamedQueryField;
  /** The `assetOrder` (or `canvas`) terms; empty when the template orders nothing. */
  assetOrder: TemplateOrderTerm[];
  /** `objectname`, `coverpage`, `redactedmessage`, when given. */
  text: Partial<Record<NamedQueryTextKey, TemplateValue<string>>>;
  /** The highest argument the template refers to (0 when it takes none). */
  arity: number;
}

/**
 * A template that does not parse, or arguments that do not fit it (SPEC.md §7: 400). `problems` lists every
 * problem found (a template is checked in full, not up to its first fault); `message` joins them.
 */
export class NamedQueryError extends Error {
  override readonly name = 'NamedQueryError';
  /** The HTTP status a server answers with: always 400 (bad template, bad or missing arguments). */
  readonly status = 400;

  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Longest template accepted (characters). */
export const TEMPLATE_MAX_LENGTH = 2000;
/** Highest argument number a template may refer to (`p1`..`p99`). */
export const MAX_ARGUMENTS = 99;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

export const NAMED_QUERY_FIELDS: readonly NamedQueryField[] = ['s1', 's2', 's3', 'n1', 'n2', 'n3'];
const CONDITION_KEYS: readonly NamedQueryConditionKey[] = [
  'space',
  'spacename',
  's1',
  's2',
  's3',
  'n1',
  'n2',
  'n3',
  'tag',
  'batch',
];
const TEXT_KEYS: readonly NamedQueryTextKey[] = ['objectname', 'coverpage', 'redactedmessage'];
/** Every key, in the order the error message lists them. */
export const NAMED_QUERY_KEYS: readonly NamedQueryKey[] = [
  ...CONDITION_KEYS,
  'manifest',
  'assetOrder',
  'canvas',
  ...TEXT_KEYS,
];

/** The keys whose values are integers: `space` and `batch` positive, `n1`..`n3` any int4. */
const NUMBER_KEYS: Readonly<Record<string, 'positive' | 'int'>> = {
  space: 'positive',
  batch: 'positive',
  n1: 'int',
  n2: 'int',
  n3: 'int',
};

/** True when `key` takes an integer (`space`, `batch`, `n1`..`n3`). */
export function isNumberKey(key: string): boolean {
  return key in NUMBER_KEYS;
}

const quote = (s: string, max = 60) => JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

/**
 * The integer a string stands for under a number key's rule, or undefined: `positive` = 1..2147483647,
 * `int` = -2147483648..2147483647; decimal digits only (no `+`, no spaces, no exponent).
 */
export function parseTemplateInteger(text: string, rule: 'positive' | 'int'): number | undefined {
  if (!/^-?\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  if (n < (rule === 'positive' ? 1 : INT32_MIN) || n > INT32_MAX) return undefined;
  return n;
}

/** The rule of a number key, for messages. */
export function integerRuleText(rule: 'positive' | 'int'): string {
  return rule === 'positive' ? 'a positive integer' : 'an integer';
}

/**
 * Classifies a value: an argument reference, a literal, or a malformed reference.
 *
 * A value is an argument reference when it is `p` followed by anything but a lower-case letter (`p1`, `p0`,
 * `p-1`, `pX`, `p1a`); it must then be `p1`..`p99` (no leading zero). `p` alone and values like `paris` or `pdf`
 * are literals.
 */
function classify(value: string): { index: number } | { literal: string } | { bad: string } {
  if (value.length < 2 || value[0] !== 'p' || /^[a-z]$/.test(value[1])) return { literal: value };
  const m = /^p([1-9]\d?)$/.exec(value);
  if (!m) return { bad: `${quote(value)} is not an argument reference: use p1 to p${MAX_ARGUMENTS}` };
  return { index: Number(m[1]) };
}

function parseOrder(value: string, problems: string[], key: string): TemplateOrderTerm[] {
  const terms: TemplateOrderTerm[] = [];
  for (const raw of value.split(';')) {
    const parts = raw.replace(/\+/g, ' ').split(' ').filter(Boolean);
    const field = parts[0] as NamedQueryField | undefined;
    const dir = parts[1]?.toLowerCase();
    if (
      parts.length < 1 ||
      parts.length > 2 ||
      !NAMED_QUERY_FIELDS.includes(field!) ||
      (dir !== undefined && dir !== 'asc' && dir !== 'desc')
    ) {
      problems.push(
        `${key} term ${quote(raw)} must be <field>[ asc|desc] with <field> one of ${NAMED_QUERY_FIELDS.join(', ')}`,
      );
      continue;
    }
    terms.push({ field: field!, direction: dir === 'desc' ? 'desc' : 'asc' });
  }
  return terms;
}

/**
 * Parses and validates a named-query template (SPEC.md §7).
 *
 * Rules beyond the grammar above: empty pairs (`a=1&&b=2`, a trailing `&`) are ignored; a pair is split at its
 * first `=` (a literal may contain `=`); a key may appear once (`canvas` and `assetOrder` are the same key): a
 * repeated key is an error rather than "last one wins", so a template means one thing.
 * @param template the stored template text, e.g. `manifest=s1&canvas=n2&s1=p1&space=p2`.
 * @returns the parsed template.
 * @throws NamedQueryError (status 400) listing every problem: empty or over-long template, a pair without `=`,
 *   an unknown key (named, with the known ones), an empty value, a malformed argument reference (`p0`, `p-1`,
 *   `pX`), a literal that is not an integer for `space`, `batch`, `n1`..`n3`, a `manifest` that is not a field, a
 *   bad `assetOrder` term, a repeated key, no pair at all.
 */
export function parseNamedQueryTemplate(template: string): NamedQueryTemplate {
  const problems: string[] = [];
  if (typeof template !== 'string' || template.trim() === '')
    throw new NamedQueryError(['template is empty']);
  if (template.length > TEMPLATE_MAX_LENGTH)
    throw new NamedQueryError([`template is longer than ${TEMPLATE_MAX_LENGTH} characters`]);

  const result: NamedQueryTemplate = { source: template, conditions: [], assetOrder: [], text: {}, arity: 0 };
  const seen = new Map<string, string>();
  for (const pair of template.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) {
      problems.push(`${quote(pair)} is not key=value`);
      continue;
    }
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!(NAMED_QUERY_KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown key ${quote(key)} (known keys: ${NAMED_QUERY_KEYS.join(', ')})`);
      continue;
    }
    const canonical = key === 'canvas' ? 'assetOrder' : key;
    const earlier = seen.get(canonical);
    if (earlier !== undefined) {
      problems.push(
        earlier === key ? `key ${quote(key)} is given twice` : `${quote(key)} repeats ${quote(earlier)}`,
      );
      continue;
    }
    seen.set(canonical, key);
    if (value === '') {
      problems.push(`${key} has an empty value`);
      continue;
    }

    if (key === 'manifest') {
      if (NAMED_QUERY_FIELDS.includes(value as NamedQueryField)) result.manifest = value as NamedQueryField;
      else problems.push(`manifest must be one of ${NAMED_QUERY_FIELDS.join(', ')}, not ${quote(value)}`);
      continue;
    }
    if (key === 'assetOrder' || key === 'canvas') {
      result.assetOrder = parseOrder(value, problems, key);
      continue;
    }

    const v = classify(value);
    if ('bad' in v) {
      problems.push(`${key}: ${v.bad}`);
      continue;
    }
    let parsed: TemplateValue;
    if ('index' in v) {
      parsed = { kind: 'argument', index: v.index };
      result.arity = Math.max(result.arity, v.index);
    } else {
      const rule = NUMBER_KEYS[key];
      if (rule) {
        const n = parseTemplateInteger(v.literal, rule);
        if (n === undefined) {
          problems.push(
            `${key} must be ${integerRuleText(rule)} or an argument (pN), not ${quote(v.literal)}`,
          );
          continue;
        }
        parsed = { kind: 'literal', value: n };
      } else {
        parsed = { kind: 'literal', value: v.literal };
      }
    }
    if ((TEXT_KEYS as readonly string[]).includes(key))
      result.text[key as NamedQueryTextKey] = parsed as TemplateValue<string>;
    else result.conditions.push({ key: key as NamedQueryConditionKey, value: parsed });
  }
  if (!problems.length && seen.size === 0) problems.push('template has no key=value pair');
  if (problems.length) throw new NamedQueryError(problems);
  return result;
}
