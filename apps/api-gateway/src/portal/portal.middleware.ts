import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/** Content types of the files Vite emits. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * The built portal's directory (`packages/portal/dist` of `@vellum/portal`), or null when the package is not
 * installed or not built (the gateway then answers /portal/ with a 503 problem).
 */
export function portalDist(): string | null {
  try {
    const dir = path.join(path.dirname(require.resolve('@vellum/portal/package.json')), 'dist');
    return fs.existsSync(path.join(dir, 'index.html')) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * Serves the portal (issue 13) at `/portal/`: GET/HEAD only. A file under `dist/assets/` (content-hashed names)
 * is sent with `Cache-Control: public, max-age=31536000, immutable`; any other path under /portal/ (the app's
 * client-side routes, and `/portal/` itself) gets `index.html` with `no-cache`; `/portal` redirects to `/portal/`.
 * A missing asset file → 404 problem. The page's CSP allows only same-origin scripts and styles, images from
 * anywhere the API links (delivery), and connections to the gateway and delivery.
 */
export function portalMiddleware(dist: string | null = portalDist()) {
  const indexPath = dist ? path.join(dist, 'index.html') : null;
  let index: Buffer | null = null;
  return (req: Request, res: Response, next: NextFunction): void => {
    const url = req.originalUrl.split('?')[0];
    if (url !== '/portal' && !url.startsWith('/portal/')) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (url === '/portal') {
      res.redirect(301, '/portal/');
      return;
    }
    if (!dist || !indexPath) {
      res
        .status(503)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'about:blank',
            title: 'Portal not built',
            status: 503,
            detail: 'packages/portal has no dist/index.html: run `pnpm --filter @vellum/portal build`',
          }),
        );
      return;
    }
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; img-src * data: blob:; connect-src *; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    let rel: string;
    try {
      rel = decodeURIComponent(url.slice('/portal/'.length));
    } catch {
      rel = '';
    }
    if (rel.startsWith('assets/')) {
      const file = path.join(dist, rel);
      if (
        !file.startsWith(path.join(dist, 'assets') + path.sep) ||
        !fs.existsSync(file) ||
        !fs.statSync(file).isFile()
      ) {
        res
          .status(404)
          .type('application/problem+json')
          .send(
            JSON.stringify({
              type: 'about:blank',
              title: 'Not Found',
              status: 404,
              detail: `No portal file ${rel}`,
            }),
          );
        return;
      }
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.type(TYPES[path.extname(file)] ?? 'application/octet-stream');
      res.sendFile(file);
      return;
    }
    index ??= fs.readFileSync(indexPath);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('text/html; charset=utf-8');
    res.send(index);
  };
}
