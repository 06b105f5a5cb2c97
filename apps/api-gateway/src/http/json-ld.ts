/** The JSON-LD context DLCS uses for its API resources (SPEC.md §3.1; seed 004). */
export const DLCS_CONTEXT = 'https://dlcs.github.io/vocab/context/future.json';

/** ISO 8601 UTC, or undefined. */
export function iso(d: Date | null | undefined): string | undefined {
  return d ? d.toISOString() : undefined;
}
