import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { clusterMetrics, shareMetricsRegistry } from './cluster';
import { isOpsPath } from './logging';
import { VELLUM_COMMON_OPTIONS, type VellumCommonOptions } from './options';

/** Buckets (seconds) of `vellum_http_request_duration_seconds`: 1 ms to 10 s. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type MetricCtor = typeof Counter | typeof Gauge | typeof Histogram;

/**
 * The Prometheus registry of one Vellum app (SPEC §9: `/metrics`). One registry per `VellumCommonModule`
 * instance (not prom-client's global one), so several apps can live in one process (tests). It holds:
 * - prom-client's default process metrics (CPU, RSS, heap, event-loop lag, GC), every series labelled
 *   `service="<serviceName>"`;
 * - `vellum_http_request_duration_seconds{method,route,status_code}` (route = the route template, e.g.
 *   `/customers/:customerId/spaces`; `UNMATCHED` for requests no route handled);
 * - whatever the app adds through {@link MetricsService.counter}, {@link MetricsService.histogram},
 *   {@link MetricsService.gauge} or `registry` directly.
 */
@Injectable()
export class MetricsService {
  /** The app's registry; served at `GET /metrics`. */
  readonly registry = new Registry();
  /** Request latency in seconds by method, route template and status code. */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(@Inject(VELLUM_COMMON_OPTIONS) options: VellumCommonOptions) {
    this.registry.setDefaultLabels({ service: options.serviceName });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    shareMetricsRegistry(this.registry);
    this.httpRequestDuration = this.histogram(
      'vellum_http_request_duration_seconds',
      'HTTP request duration in seconds, by method, route template and status code',
      ['method', 'route', 'status_code'],
      HTTP_DURATION_BUCKETS,
    );
  }

  /**
   * A counter named `name` in this registry; returns the existing one when called again with the same name.
   * @throws Error when a metric of that name exists with another type.
   */
  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.getOrCreate(
      Counter,
      name,
      () => new Counter<L>({ name, help, labelNames, registers: [this.registry] }),
    );
  }

  /**
   * A histogram named `name` (observations in the unit its name says, seconds or bytes by convention);
   * `buckets` default to prom-client's defaults (5 ms to 10 s). Idempotent like {@link counter}.
   */
  histogram<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: number[],
  ): Histogram<L> {
    return this.getOrCreate(
      Histogram,
      name,
      () =>
        new Histogram<L>({
          name,
          help,
          labelNames,
          registers: [this.registry],
          ...(buckets ? { buckets } : {}),
        }),
    );
  }

  /** A gauge named `name`. Idempotent like {@link counter}. */
  gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.getOrCreate(
      Gauge,
      name,
      () => new Gauge<L>({ name, help, labelNames, registers: [this.registry] }),
    );
  }

  /** The exposition text (Prometheus text format 0.0.4) of every metric in the registry. */
  async render(): Promise<string> {
    // A clustered worker answers for the whole replica (every worker's series summed by the primary).
    return (await clusterMetrics()) ?? this.registry.metrics();
  }

  /** Content type of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private getOrCreate<M extends Metric>(ctor: MetricCtor, name: string, create: () => M): M {
    const existing = this.registry.getSingleMetric(name);
    if (existing) {
      if (!(existing instanceof ctor)) throw new Error(`metric ${name} already exists with another type`);
      return existing as unknown as M;
    }
    return create();
  }
}

/**
 * Paths Nest gives middleware registered for every route (`{*path}`, legacy `*` converted to `{*path}`), possibly
 * behind a global prefix (`/api/{*path}`). Controllers should not name a catch-all parameter `path`.
 */
function isMiddlewareCatchAll(routePath: string): boolean {
  return routePath.endsWith('{*path}') || routePath.endsWith('*') || routePath.endsWith('*path');
}

type ExpressLikeReq = IncomingMessage & {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
};

/**
 * Middleware factory recording `vellum_http_request_duration_seconds` for every request except /health/* and /metrics.
 * The route label comes from Express' matched route (`req.route.path`), so ids never explode the cardinality.
 */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const r = req as ExpressLikeReq;
    if (isOpsPath(r.originalUrl ?? req.url)) return next();
    const end = metrics.httpRequestDuration.startTimer();
    // Nest registers middleware as Express routes, so `req.route` is the middleware's own catch-all until a
    // controller route matches; a request no controller handled keeps a catch-all (or none) → UNMATCHED.
    const middlewareRoute = r.route;
    let done = false;
    const record = (): void => {
      if (done) return;
      done = true;
      const routePath = r.route?.path;
      const matched =
        r.route !== middlewareRoute && typeof routePath === 'string' && !isMiddlewareCatchAll(routePath);
      const route = matched ? `${r.baseUrl ?? ''}${routePath}` : 'UNMATCHED';
      // A client that goes away before the response completes is recorded as status 499 (nginx' convention).
      const status = res.writableFinished ? res.statusCode : 499;
      end({ method: req.method ?? 'UNKNOWN', route, status_code: String(status) });
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
