import { METHODS } from 'node:http';
import { match, type MatchFunction } from 'path-to-regexp';

/** One routed path template and the methods registered for it, e.g. `/customers/:customer/keys` → GET, POST. */
interface RouteEntry {
  template: string;
  methods: Set<string>;
  matches: MatchFunction<Partial<Record<string, string | string[]>>>;
}

/** What {@link RouteTable.resolve} finds for a request. */
export type RouteResolution =
  | { kind: 'route'; template: string; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'none' };

/** The parts of an Express 5 router layer the table reads. */
interface RouterLayer {
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
}

/**
 * The gateway's routes (method + path template), built once from the Express router after Nest registered them,
 * so that every route is covered without listing it: answers "which route would serve this request, with which
 * raw (still %-encoded) path parameters", and "which methods does this path allow" for 405 + `Allow`
 * (RFC 9110 §15.5.6). Matching follows Express 5's defaults: case-insensitive, optional trailing slash; a GET
 * route also serves HEAD.
 */
export class RouteTable {
  private readonly entries: RouteEntry[];

  constructor(routes: readonly { method: string; path: string }[]) {
    const byTemplate = new Map<string, RouteEntry>();
    const order: RouteEntry[] = [];
    for (const r of routes) {
      let entry = byTemplate.get(r.path);
      if (!entry) {
        const loose = r.path === '/' ? r.path : r.path.replace(/\/+$/, '');
        entry = {
          template: r.path,
          methods: new Set(),
          matches: match(loose, { decode: false, sensitive: false, end: true, trailing: true }),
        };
        byTemplate.set(r.path, entry);
        order.push(entry);
      }
      entry.methods.add(r.method.toUpperCase());
    }
    this.entries = order;
  }

  /**
   * Reads the route layers of an Express 5 app (`app.router.stack`). Middleware layers are skipped, and so are
   * route layers registered for every HTTP method: that is how Nest mounts module middleware
   * (`forRoutes({ path: '{*path}', method: RequestMethod.ALL })`), not a handler.
   */
  static fromExpress(app: { router?: { stack?: readonly RouterLayer[] } }): RouteTable {
    const routes: { method: string; path: string }[] = [];
    for (const layer of app.router?.stack ?? []) {
      const route = layer.route;
      if (!route || typeof route.path !== 'string') continue;
      const methods = Object.entries(route.methods).flatMap(([m, on]) => (on ? [m.toUpperCase()] : []));
      if (methods.includes('_ALL') || METHODS.every((m) => methods.includes(m))) continue;
      for (const method of methods) routes.push({ method, path: route.path });
    }
    return new RouteTable(routes);
  }

  /** Methods of an entry as `Allow` lists them: sorted, HEAD with GET. */
  private static allowOf(methods: Set<string>): string[] {
    const all = new Set(methods);
    if (all.has('GET')) all.add('HEAD');
    return [...all].sort();
  }

  /**
   * Finds the first route (in registration order, as Express dispatches) for `method` and the raw request path
   * (`/customers/2%00/keys`, without the query).
   * @returns `route` with the raw parameters, `method-not-allowed` with the methods of every template matching the
   *   path, or `none` when no template matches (a 404).
   */
  resolve(method: string, rawPath: string): RouteResolution {
    const m = method.toUpperCase();
    const allow = new Set<string>();
    for (const e of this.entries) {
      const found = e.matches(rawPath);
      if (!found) continue;
      if (e.methods.has('*') || e.methods.has(m) || (m === 'HEAD' && e.methods.has('GET'))) {
        const params: Record<string, string> = {};
        for (const [k, v] of Object.entries(found.params)) {
          if (v !== undefined) params[k] = Array.isArray(v) ? v.join('/') : v;
        }
        return { kind: 'route', template: e.template, params };
      }
      for (const a of RouteTable.allowOf(e.methods)) allow.add(a);
    }
    return allow.size ? { kind: 'method-not-allowed', allow: [...allow].sort() } : { kind: 'none' };
  }
}
