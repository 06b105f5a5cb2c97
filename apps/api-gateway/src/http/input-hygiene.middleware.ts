import { findUnstorableStrings, problem, ProblemException, type FieldError } from '@vellum/common';
import type { NextFunction, Request, Response } from 'express';
import { validationProblem } from './problems';
import { RouteTable } from './route-table';

/**
 * Decodes one raw path parameter like Express does (`decodeURIComponent`), reporting instead of throwing.
 * @returns the decoded value, or the reason it cannot be one (malformed %-escape, bytes that are not UTF-8).
 */
export function decodePathParam(raw: string): { value: string } | { error: string } {
  try {
    return { value: decodeURIComponent(raw) };
  } catch {
    return { error: 'is not a valid %-encoded UTF-8 path segment' };
  }
}

/**
 * Checks the path parameters of a resolved route: each must decode (valid %-escapes, UTF-8) to a string a text
 * column can store (no U+0000, no unpaired surrogate).
 */
export function pathParamProblems(params: Record<string, string>): FieldError[] {
  const errors: FieldError[] = [];
  for (const [name, raw] of Object.entries(params)) {
    const decoded = decodePathParam(raw);
    if ('error' in decoded) errors.push({ field: name, message: `path parameter ${name} ${decoded.error}` });
    else
      errors.push(
        ...findUnstorableStrings(decoded.value, name).map((e) => ({
          ...e,
          message: `path parameter ${e.message}`,
        })),
      );
  }
  return errors;
}

/**
 * Express middleware run on every request after the body parser and before any guard or handler (SPEC.md §3.1:
 * bad input → 400 problem, never a 500):
 * 1. finds the route from the {@link RouteTable} (built once, lazily, from the router); a known path with a method
 *    no route serves → 405 with `Allow` (`OPTIONS` → 204 with `Allow`); an unknown path goes on to the 404;
 * 2. path parameters, query values and the parsed JSON body (object keys included) must be storable text: no
 *    U+0000 (Postgres refuses it), no unpaired UTF-16 surrogate, no malformed %-escape in the path → 400 problem
 *    naming each field (`customer`, `string1`, `member[2].tags[0]`).
 * Being global, it covers every route, present and future, before any code touches the database.
 */
export function inputHygieneMiddleware(): (req: Request, res: Response, next: NextFunction) => void {
  let table: RouteTable | undefined;
  return (req, res, next) => {
    table ??= RouteTable.fromExpress(req.app as unknown as Parameters<typeof RouteTable.fromExpress>[0]);
    const rawPath = (req.originalUrl ?? req.url).split('?', 1)[0];
    const found = table.resolve(req.method, rawPath);
    if (found.kind === 'method-not-allowed') {
      const allow = found.allow.join(', ');
      if (req.method === 'OPTIONS') {
        res.setHeader('Allow', [...found.allow, 'OPTIONS'].sort().join(', '));
        res.status(204).end();
        return;
      }
      throw new ProblemException(
        problem(
          405,
          'Method Not Allowed',
          `${req.method} is not allowed on this resource; allowed: ${allow}.`,
        ),
        { Allow: allow },
      );
    }
    const errors: FieldError[] = [];
    if (found.kind === 'route') errors.push(...pathParamProblems(found.params));
    errors.push(...findUnstorableStrings(req.query, ''));
    if (req.body !== undefined && req.body !== null && typeof req.body === 'object')
      errors.push(...findUnstorableStrings(req.body, ''));
    if (errors.length) throw validationProblem(errors);
    next();
  };
}
