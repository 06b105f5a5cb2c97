import type { ProjectionKind } from '@vellum/contracts';
import { badRequest, notFound } from '../delivery-errors';

/**
 * The URLs of the stored named-query projections (SPEC.md §5, §7): `/pdf/{c}/{query}/{args...}` and
 * `/zip/{c}/{query}/{args...}` (the object), `/pdf-control/...` and `/zip-control/...` (its control document).
 */
export const PROJECTION_PREFIXES = ['pdf', 'zip', 'pdf-control', 'zip-control'] as const;
export type ProjectionPrefix = (typeof PROJECTION_PREFIXES)[number];

/** A parsed projection path. */
export interface ProjectionPath {
  kind: ProjectionKind;
  /** True for `/pdf-control/...`, `/zip-control/...`. */
  control: boolean;
  /** Customer segment, decoded: integer id or name (SPEC.md §1). */
  customer: string;
  /** The named query's name, decoded. */
  query: string;
  /** The argument part, still percent-encoded (`parseNamedQueryArguments` of @vellum/iiif decodes it). */
  argsTail: string;
}

/**
 * Splits a raw (percent-encoded) request path such as `req.path`: `/{prefix}/{customer}/{query}[/{args...}]`.
 * Trailing and doubled slashes between arguments are dropped later (SPEC.md §7: trailing arguments may be omitted).
 * @throws ProblemException 404 without a customer and a query name; 400 for a malformed percent-escape in either.
 */
export function parseProjectionPath(rawPath: string): ProjectionPath {
  const [, prefix, customer, query, ...rest] = rawPath.split('/');
  const known = (PROJECTION_PREFIXES as readonly string[]).includes(prefix);
  if (!known || !customer || !query) {
    const p = known ? prefix : 'pdf';
    throw notFound(
      `No such resource: ${rawPath}; a named-query ${p} is at /${p}/{customer}/{namedQuery}/{args...}`,
    );
  }
  let c: string;
  let q: string;
  try {
    c = decodeURIComponent(customer);
    q = decodeURIComponent(query);
  } catch {
    throw badRequest(`Malformed percent-escape in path ${rawPath}`);
  }
  return {
    kind: prefix.startsWith('pdf') ? 'pdf' : 'zip',
    control: prefix.endsWith('-control'),
    customer: c,
    query: q,
    argsTail: rest.join('/'),
  };
}
