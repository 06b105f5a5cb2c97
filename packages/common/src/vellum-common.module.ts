import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { correlationMiddleware } from './correlation';
import { HealthController } from './health.controller';
import { buildLoggerParams } from './logging';
import { MetricsController } from './metrics.controller';
import { httpMetricsMiddleware, MetricsService } from './metrics.service';
import { VELLUM_COMMON_OPTIONS, type VellumCommonOptions } from './options';

/**
 * Routes served by VellumCommonModule. Pass them to `app.setGlobalPrefix(prefix, { exclude: OPS_ROUTES })` so
 * probes and scrapes stay at the root whatever prefix an app uses.
 */
export const OPS_ROUTES = [
  { path: 'health/live', method: RequestMethod.GET },
  { path: 'health/ready', method: RequestMethod.GET },
  { path: 'metrics', method: RequestMethod.GET },
];

/**
 * The Nest glue every Vellum app imports once, in its root module (SPEC §9):
 *
 * ```ts
 * @Module({ imports: [VellumCommonModule.forRoot({ serviceName: 'api-gateway', readiness: [PrismaReadiness, AmqpReadiness] })] })
 * export class AppModule {}
 * ```
 *
 * - nestjs-pino `LoggerModule` (global): JSON lines with `level`, `time`, `service`, `correlationId`, `msg`;
 *   secrets redacted; one line per HTTP request except successful /health/* and /metrics.
 * - correlation middleware on every route (`X-Correlation-Id` / `X-Request-Id` in, `X-Correlation-Id` out).
 * - `GET /health/live`, `GET /health/ready` (@nestjs/terminus), `GET /metrics` (prom-client).
 * - `MetricsService` (global provider) and `vellum_http_request_duration_seconds` recorded for every other request.
 */
@Module({})
export class VellumCommonModule implements NestModule {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * @param options see {@link VellumCommonOptions}; `serviceName` is required.
   * @returns a global dynamic module exporting `MetricsService`, nestjs-pino's `Logger`/`PinoLogger` and the
   *   options under {@link VELLUM_COMMON_OPTIONS}.
   */
  static forRoot(options: VellumCommonOptions): DynamicModule {
    if (!options.serviceName) throw new Error('VellumCommonModule.forRoot: serviceName is required');
    return {
      module: VellumCommonModule,
      global: true,
      imports: [
        LoggerModule.forRoot(
          buildLoggerParams({
            serviceName: options.serviceName,
            level: options.logLevel,
            pretty: options.logPretty,
            destination: options.logDestination,
            successLevel: options.httpSuccessLogLevel,
          }),
        ),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [{ provide: VELLUM_COMMON_OPTIONS, useValue: options }, MetricsService],
      exports: [VELLUM_COMMON_OPTIONS, MetricsService, LoggerModule],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(correlationMiddleware, httpMetricsMiddleware(this.metrics))
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
