import { customHeaderNameProblem, customHeaderValueProblem } from '@vellum/contracts';

/** A custom header rule as stored (SPEC.md §3.3 "Custom headers"): `space`/`role` null = any. */
export interface CustomHeaderRule {
  key: string;
  value: string;
  space: number | null;
  role: string | null;
}

/** Resolved custom headers of one asset: header name (as its winning rule spells it) → value. */
export type CustomHeaders = Readonly<Record<string, string>>;

/** No custom headers (shared, so assets without any cost nothing per response). */
export const NO_CUSTOM_HEADERS: CustomHeaders = Object.freeze({});

/** Precedence tier of a rule (SPEC.md §5): customer-wide 0 → space 1 → role 2 → space+role 3. */
function tierOf(r: CustomHeaderRule): number {
  if (r.space === null) return r.role === null ? 0 : 2;
  return r.role === null ? 1 : 3;
}

/**
 * The custom headers of an asset in space `spaceId` with `roles` (SPEC.md §5 "Custom headers ... by
 * precedence: customer-wide → space → role → space+role"): the rules that apply (no space or this space; no role
 * or one of the asset's roles), a later tier overriding an earlier one for the same header name
 * (case-insensitive). Within one tier, a rule of a role listed earlier on the asset wins. Rules the management API
 * would refuse (a hop-by-hop or delivery-owned name, a value with CR/LF...) are skipped, whatever the database
 * holds.
 * @param rules the customer's rules (any order; those of other spaces are ignored).
 */
export function resolveCustomHeaders(
  rules: readonly CustomHeaderRule[],
  spaceId: number,
  roles: readonly string[],
): CustomHeaders {
  const roleRank = (r: CustomHeaderRule) => (r.role === null ? 0 : roles.indexOf(r.role));
  const applicable = rules
    .filter((r) => (r.space === null || r.space === spaceId) && (r.role === null || roles.includes(r.role)))
    .filter((r) => customHeaderNameProblem(r.key) === null && customHeaderValueProblem(r.value) === null)
    // Applied in order, later ones overwriting: by tier, and within a tier the asset's first role last.
    .sort((a, b) => tierOf(a) - tierOf(b) || roleRank(b) - roleRank(a));
  if (!applicable.length) return NO_CUSTOM_HEADERS;
  const byName = new Map<string, [string, string]>();
  for (const r of applicable) byName.set(r.key.toLowerCase(), [r.key, r.value]);
  return Object.freeze(Object.fromEntries(byName.values()));
}

/**
 * `Cache-Control` directives that keep a whole response out of shared caches: unqualified `private` or `no-store`
 * (`private="field"` only keeps that field out, RFC 9111 §5.2.2.7).
 */
const PRIVATE_CACHE = /(^|[\s,])(private|no-store)\s*(,|$)/i;

/**
 * The custom headers to send on one response. On a response delivery caches `private` (an asset with roles,
 * SPEC.md §5), a custom `Cache-Control` that would let shared caches keep it (neither `private` nor `no-store`)
 * is dropped: a header must never make an access-controlled image public.
 * @param privateResponse true when the response's own `Cache-Control` is `private`.
 */
export function customHeadersFor(headers: CustomHeaders, privateResponse: boolean): Record<string, string> {
  if (headers === NO_CUSTOM_HEADERS || !privateResponse) return headers;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'cache-control' && !PRIVATE_CACHE.test(v)) continue;
    out[k] = v;
  }
  return out;
}
