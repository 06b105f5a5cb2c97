import type { NextFunction, Request, Response } from 'express';

/** The header the portal sends on every API call (packages/portal/src/api.ts). */
export const PORTAL_CLIENT_HEADER = 'x-vellum-client';

/**
 * A browser answering a 401 with `WWW-Authenticate: Basic` opens its own credentials dialog over the page (and
 * a script's fetch waits for it), so for requests marked `X-Vellum-Client: portal` the challenge is sent as
 * `WWW-Authenticate: VellumBasic realm="Vellum"` instead: same status and problem body, no native dialog, the
 * portal shows the problem's title and detail. Every other client gets the standard challenge (SPEC.md §3.2).
 */
export function portalChallengeMiddleware() {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.headers[PORTAL_CLIENT_HEADER] !== 'portal') return next();
    const setHeader = res.setHeader.bind(res);
    res.setHeader = ((name: string, value: number | string | readonly string[]) => {
      if (name.toLowerCase() === 'www-authenticate' && typeof value === 'string')
        value = value.replace(/^Basic\b/i, 'VellumBasic');
      return setHeader(name, value);
    }) as typeof res.setHeader;
    next();
  };
}
