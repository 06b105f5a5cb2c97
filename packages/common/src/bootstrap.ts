import type { Server } from 'node:http';
import { isIP } from 'node:net';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import { installClientErrorHandler } from './client-error';
import { type BaseEnv, EnvValidationError } from './env';

/** Options of {@link bootstrapService}. */
export interface BootstrapOptions {
  /** Service name (used in the "listening" line; logs and metrics take theirs from VellumCommonModule). */
  serviceName: string;
  /** TCP port; `0` picks a free one (read it back from `app.getHttpServer().address()`). */
  port: number;
  /**
   * The app's validated environment: `HOST` (interface to bind) and `SHUTDOWN_TIMEOUT_MS` come from it unless
   * `host` / `shutdownTimeoutMs` are given. Pass it from `main()`: `bootstrapService(Root, { env, port: env.PORT })`.
   */
  env?: Pick<BaseEnv, 'HOST' | 'SHUTDOWN_TIMEOUT_MS'>;
  /** Interface to bind; default `env.HOST`, else `0.0.0.0`. */
  host?: string;
  /**
   * Message transport (e.g. `VellumRmqTransport`) connected as a hybrid microservice with `inheritAppConfig`;
   * either the strategy itself or a factory given the created app (to build it from the app's providers,
   * e.g. `(app) => createTransport(app)`), called after `configure`.
   */
  transport?:
    | CustomTransportStrategy
    | ((app: INestApplication) => CustomTransportStrategy | Promise<CustomTransportStrategy>);
  /** Runs after the app is created and before it listens: global pipes, filters, prefix, body limits, swagger... */
  configure?: (app: INestApplication) => void | Promise<void>;
  /**
   * Milliseconds graceful shutdown may take before the process force-exits with code 1; default
   * `env.SHUTDOWN_TIMEOUT_MS`, else 25000 (fits Kubernetes' 30 s termination grace period).
   */
  shutdownTimeoutMs?: number;
  /** `server.keepAliveTimeout` in ms; default 65000 (longer than typical load-balancer idle timeouts of 60 s). */
  keepAliveTimeoutMs?: number;
  /**
   * Extra headers of the problem documents answered to requests Node's HTTP parser rejects before routing
   * (431 headers too large, 400 malformed, 408; see `installClientErrorHandler`), e.g.
   * `{ 'Access-Control-Allow-Origin': '*' }` for the public services.
   */
  clientErrorHeaders?: Record<string, string>;
}

const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Creates, wires and starts a Vellum app (SPEC §9):
 * 1. `NestFactory.create(module, { bufferLogs: true })`, then nestjs-pino's `Logger` as the app logger (the
 *    module must import `VellumCommonModule.forRoot(...)`);
 * 2. `enableShutdownHooks()` (SIGTERM/SIGINT) plus a guard that force-exits after `shutdownTimeoutMs`;
 * 3. `opts.configure(app)`;
 * 4. when `opts.transport` is given: `connectMicroservice({ strategy }, { inheritAppConfig: true })` and
 *    `startAllMicroservices()` (consumers start before HTTP accepts traffic);
 * 5. the `clientError` handler (requests Node's parser rejects, e.g. headers over 16 KiB → 431, get a problem
 *    document), `server.keepAliveTimeout`/`headersTimeout`, `listen(port, host)` (host from `env.HOST`, SPEC.md §9)
 *    and one `listening` log line with the URL.
 *
 * Shutdown order (Nest 11 `app.close()`): `onModuleDestroy` → `beforeApplicationShutdown` → HTTP server close
 * (stops accepting, waits for in-flight requests; idle keep-alive sockets are closed) and transport `close()`
 * (stop consuming, wait for in-flight handlers) → `onApplicationShutdown`. So close Prisma/AMQP connections in
 * `onApplicationShutdown`, not in `onModuleDestroy`, or in-flight work loses them. `/health/ready` answers 503
 * from the first hook on.
 *
 * @returns the listening app.
 * @throws whatever module construction or `listen` throws (e.g. EADDRINUSE); the caller should exit non-zero.
 */
export async function bootstrapService(
  module: Type | DynamicModule,
  opts: BootstrapOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  app.enableShutdownHooks(SHUTDOWN_SIGNALS);
  installShutdownGuard(opts.shutdownTimeoutMs ?? opts.env?.SHUTDOWN_TIMEOUT_MS ?? 25000, logger);

  if (opts.configure) await opts.configure(app);

  if (opts.transport) {
    const strategy = typeof opts.transport === 'function' ? await opts.transport(app) : opts.transport;
    app.connectMicroservice({ strategy }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }

  const server = app.getHttpServer() as Server;
  installClientErrorHandler(server, opts.clientErrorHeaders);
  const keepAlive = opts.keepAliveTimeoutMs ?? 65000;
  server.keepAliveTimeout = keepAlive;
  // headersTimeout must exceed keepAliveTimeout or Node may cut a reused connection mid-request.
  server.headersTimeout = Math.max(server.headersTimeout, keepAlive + 1000);

  const host = opts.host ?? opts.env?.HOST ?? '0.0.0.0';
  await app.listen(opts.port, host);
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : opts.port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : isIP(host) === 6 ? `[${host}]` : host;
  logger.log(`${opts.serviceName} listening on http://${shownHost}:${port}`, 'Bootstrap');
  return app;
}

let guardInstalled = false;

/**
 * On the first SIGTERM/SIGINT, starts an unref'd timer that exits the process with code 1 if Nest's graceful
 * close has not finished within `timeoutMs`. Uses `once`, so Nest's re-raised signal after close still
 * terminates the process normally.
 */
function installShutdownGuard(timeoutMs: number, logger: Logger): void {
  if (guardInstalled) return;
  guardInstalled = true;
  let started = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) return;
    started = true;
    logger.log(`${signal} received: shutting down (force exit after ${timeoutMs} ms)`, 'Bootstrap');
    setTimeout(() => {
      logger.error(
        `graceful shutdown did not finish within ${timeoutMs} ms; forcing exit`,
        undefined,
        'Bootstrap',
      );
      process.exit(1);
    }, timeoutMs).unref();
  };
  for (const signal of SHUTDOWN_SIGNALS) process.once(signal, onSignal);
}

/**
 * Runs a service's `main()` (validate the environment, then {@link bootstrapService}) and exits the process with
 * status 1 when it rejects: an `EnvValidationError` is printed as `<service>: Invalid environment: …` (it names
 * every bad variable; no stack trace), anything else as `<service>: failed to start: <stack>`.
 */
export function runService(serviceName: string, main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    const detail =
      err instanceof EnvValidationError
        ? err.message
        : `failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    process.stderr.write(`${serviceName}: ${detail}\n`);
    process.exit(1);
  });
}
