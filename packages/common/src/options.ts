import type { Type } from '@nestjs/common';
import type { DestinationStream } from 'pino';

/**
 * A dependency `/health/ready` waits on (SPEC §9: "ready only when its Postgres/RabbitMQ/object store
 * dependencies answer"). Implement it as a Nest provider; `check()` resolves when ready and rejects (with a
 * message saying why) when not.
 */
export interface ReadinessIndicator {
  /** Key under which the result appears in the `/health/ready` body, e.g. `database`, `rabbitmq`, `storage`. */
  readonly name: string;
  /** Resolves when the dependency answers; rejects when it does not. Should be quick (it is given a timeout). */
  check(): Promise<void>;
}

/** Options of `VellumCommonModule.forRoot`. */
export interface VellumCommonOptions {
  /** Service name: the `service` field of every log line and the `service` label of every metric. */
  serviceName: string;
  /**
   * Readiness indicator classes. Each is looked up among the app's providers (any module, e.g. `AmqpReadiness`
   * from MessagingModule); when no module provides it, VellumCommonModule instantiates it itself (then its
   * constructor dependencies must be global providers).
   */
  readiness?: Array<Type<ReadinessIndicator>>;
  /** Milliseconds one indicator may take before it counts as failed; default 5000. */
  readinessTimeoutMs?: number;
  /** pino level: pass the app's validated `env.LOG_LEVEL`; default `info`. */
  logLevel?: string;
  /** pino-pretty output: pass `env.LOG_PRETTY`; default false. */
  logPretty?: boolean;
  /** Level of access lines for requests answered below 400 (iiif-delivery's `LOG_HTTP_SUCCESS_LEVEL`); default `info`. */
  httpSuccessLogLevel?: string;
  /** Log destination (default stdout); tests pass a stream to capture JSON lines. */
  logDestination?: DestinationStream;
  /** Collect prom-client's default process metrics; default true. */
  defaultMetrics?: boolean;
}

/** Injection token of the {@link VellumCommonOptions} given to `forRoot`. */
export const VELLUM_COMMON_OPTIONS = Symbol('VELLUM_COMMON_OPTIONS');
