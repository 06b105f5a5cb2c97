import {
  integerRuleText,
  isNumberKey,
  NamedQueryError,
  parseNamedQueryTemplate,
  parseTemplateInteger,
  type NamedQueryConditionKey,
  type NamedQueryField,
  type NamedQueryTemplate,
  type NamedQueryTextKey,
  type TemplateValue,
} from './template';

/** An asset metadata column a bound query orders or groups by. */
export type AssetQueryField = 'string1' | 'string2' | 'string3' | 'number1' | 'number2' | 'number3';

/** The asset conditions of a bound query: every present member must hold (AND). */
export interface AssetQueryConditions {
  space?: number;
  /** A space name (the caller resolves it to a space of the customer). */
  spaceName?: string;
  string1?: string;
  string2?: string;
  string3?: string;
  number1?: number;
  number2?: number;
  number3?: number;
  /** Assets carrying this tag. */
  tag?: string;
  batch?: number;
}

/** A named query bound to the arguments of one request (SPEC.md §7): what the projections (issue 8) run. */
export interface BoundNamedQuery {
  conditions: AssetQueryConditions;
  /** The field that names the manifest (`manifest=`), as a column. */
  manifest?: AssetQueryField;
  /** Asset order (`assetOrder=` / `canvas=`), as columns; empty when the template orders nothing. */
  order: { field: AssetQueryField; direction: 'asc' | 'desc' }[];
  /** PDF/ZIP: `objectname=`. */
  objectName?: string;
  /** PDF: `coverpage=`. */
  coverPage?: string;
  /** PDF: `redactedmessage=`. */
  redactedMessage?: string;
}

const FIELD_COLUMN: Record<NamedQueryField, AssetQueryField> = {
  s1: 'string1',
  s2: 'string2',
  s3: 'string3',
  n1: 'number1',
  n2: 'number2',
  n3: 'number3',
};

const CONDITION_MEMBER: Record<NamedQueryConditionKey, keyof AssetQueryConditions> = {
  space: 'space',
  spacename: 'spaceName',
  s1: 'string1',
  s2: 'string2',
  s3: 'string3',
  n1: 'number1',
  n2: 'number2',
  n3: 'number3',
  tag: 'tag',
  batch: 'batch',
};

const TEXT_MEMBER: Record<NamedQueryTextKey, 'objectName' | 'coverPage' | 'redactedMessage'> = {
  objectname: 'objectName',
  coverpage: 'coverPage',
  redactedmessage: 'redactedMessage',
};

const quote = (s: string, max = 60) => JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

/**
 * Splits the argument part of a named-query URL (what follows `/{customer}/{query}/`) into its arguments:
 * split on `/`, empty segments dropped, each percent-decoded (SPEC.md §7: `%2F` matches `/`).
 * @param tail e.g. `b12345/5` or `a%2Fb/5/`; `''` or undefined for none.
 * @returns the decoded arguments, in order.
 * @throws NamedQueryError (400) for a segment that is not valid percent-encoding.
 */
export function parseNamedQueryArguments(tail: string | undefined): string[] {
  if (!tail) return [];
  const out: string[] = [];
  const segments = tail.split('/').filter(Boolean);
  for (const [i, seg] of segments.entries()) {
    try {
      out.push(decodeURIComponent(seg));
    } catch {
      throw new NamedQueryError([`argument ${i + 1} is not valid percent-encoding`]);
    }
  }
  return out;
}

/**
 * Binds a template to the (decoded) URL arguments of a request (SPEC.md §7):
 * - a literal is used as is; `pN` takes the N-th argument;
 * - trailing arguments may be omitted: a condition (or PDF/ZIP text) whose argument is missing is dropped;
 * - arguments beyond the template's arity are ignored;
 * - a template taking arguments given none → error;
 * - an argument for `space`, `batch` (positive integers) or `n1`..`n3` (integers) that is not one → error.
 * @param template a parsed template, or its text (parsed first).
 * @param args the decoded arguments ({@link parseNamedQueryArguments}).
 * @returns the typed query: conditions, manifest field, order, PDF/ZIP texts.
 * @throws NamedQueryError (status 400) for a bad template (when given as text), no arguments for a template that
 *   takes some, or non-numeric arguments for number keys (every one listed).
 */
export function bindNamedQuery(
  template: NamedQueryTemplate | string,
  args: readonly string[],
): BoundNamedQuery {
  const t = typeof template === 'string' ? parseNamedQueryTemplate(template) : template;
  if (t.arity > 0 && args.length === 0) {
    throw new NamedQueryError([
      `this named query takes ${t.arity === 1 ? 'an argument' : `up to ${t.arity} arguments`}; none given`,
    ]);
  }
  const problems: string[] = [];
  const resolve = (v: TemplateValue): string | number | undefined =>
    v.kind === 'literal' ? v.value : args[v.index - 1];

  const conditions: AssetQueryConditions = {};
  for (const c of t.conditions) {
    const raw = resolve(c.value);
    if (raw === undefined) continue;
    const member = CONDITION_MEMBER[c.key];
    if (isNumberKey(c.key) && typeof raw === 'string') {
      const rule = c.key === 'space' || c.key === 'batch' ? 'positive' : 'int';
      const n = parseTemplateInteger(raw, rule);
      if (n === undefined) {
        const index = c.value.kind === 'argument' ? c.value.index : 0;
        problems.push(`argument p${index} for ${c.key} must be ${integerRuleText(rule)}, not ${quote(raw)}`);
        continue;
      }
      (conditions as Record<string, unknown>)[member] = n;
    } else {
      (conditions as Record<string, unknown>)[member] = raw;
    }
  }
  if (problems.length) throw new NamedQueryError(problems);

  const bound: BoundNamedQuery = {
    conditions,
    order: t.assetOrder.map((o) => ({ field: FIELD_COLUMN[o.field], direction: o.direction })),
  };
  if (t.manifest) bound.manifest = FIELD_COLUMN[t.manifest];
  for (const [key, value] of Object.entries(t.text) as [NamedQueryTextKey, TemplateValue<string>][]) {
    const text = resolve(value);
    if (text !== undefined) bound[TEXT_MEMBER[key]] = String(text);
  }
  return bound;
}
