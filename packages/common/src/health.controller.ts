import {
  type BeforeApplicationShutdown,
  Controller,
  Get,
  Inject,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  HealthCheckService,
  type HealthIndicatorFunction,
  type HealthCheckResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { VELLUM_COMMON_OPTIONS, type ReadinessIndicator, type VellumCommonOptions } from './options';

interface StatusSettable {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `GET /health/live` and `GET /health/ready` (SPEC §9). Liveness is 200 while the process serves HTTP.
 * Readiness runs every {@link ReadinessIndicator} concurrently (each with a timeout) and answers 200 when all
 * resolve, else 503; the body is terminus' format: `{ status: 'ok'|'error', info, error, details }` keyed by
 * indicator name, e.g. `{"status":"error","error":{"database":{"status":"down","message":"..."}},...}`.
 * Once shutdown starts (SIGTERM) readiness answers 503 with a `shutdown` entry so load balancers drain.
 */
@Controller('health')
export class HealthController implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly log = new Logger('Health');
  private indicators: ReadinessIndicator[] = [];
  private shuttingDown = false;
  private lastReady: boolean | undefined;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicatorService: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
    @Inject(VELLUM_COMMON_OPTIONS) private readonly options: VellumCommonOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const out: ReadinessIndicator[] = [];
    for (const cls of this.options.readiness ?? []) {
      let instance: ReadinessIndicator;
      try {
        instance = this.moduleRef.get(cls, { strict: false });
      } catch {
        instance = await this.moduleRef.create(cls);
      }
      out.push(instance);
    }
    this.indicators = out;
  }

  onModuleDestroy(): void {
    this.shuttingDown = true;
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  /** Always 200 `{ "status": "ok" }` while the process answers HTTP. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when every readiness indicator resolves; 503 naming the failing ones otherwise. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: StatusSettable): Promise<HealthCheckResult> {
    const timeoutMs = this.options.readinessTimeoutMs ?? 5000;
    const checks: HealthIndicatorFunction[] = this.indicators.map((ind) => async () => {
      const session = this.indicatorService.check(ind.name);
      try {
        await withTimeout(ind.check(), timeoutMs);
        return session.up();
      } catch (err) {
        return session.down({ message: err instanceof Error ? err.message : String(err) });
      }
    });
    if (this.shuttingDown) {
      checks.push(async () => this.indicatorService.check('shutdown').down({ message: 'shutting down' }));
    }
    res.setHeader('Cache-Control', 'no-store');
    try {
      const result = await this.health.check(checks);
      this.transition(true, result);
      return result;
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const body = err.getResponse() as HealthCheckResult;
      this.transition(false, body);
      res.status(503);
      return body;
    }
  }

  /** Logs readiness changes once (not every probe). */
  private transition(ready: boolean, result: HealthCheckResult): void {
    if (this.lastReady === ready) return;
    this.lastReady = ready;
    if (ready) this.log.log('ready');
    else this.log.warn({ error: result.error }, `not ready: ${Object.keys(result.error ?? {}).join(', ')}`);
  }
}
