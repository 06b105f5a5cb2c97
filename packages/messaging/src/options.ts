import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** Options shared by {@link MessagingModule.forRoot}, the publisher and {@link VellumRmqTransport}. */
export interface MessagingOptions {
  /** The service name (`api-gateway`, `ingest-orchestrator`, ...): envelope `producer` and queue-name prefix. */
  serviceName: string;
  /** AMQP URL, e.g. `amqp://guest:guest@127.0.0.1:5672` (env `AMQP_URL`). A `heartbeat=15` is added when absent. */
  amqpUrl: string;
  /** The durable topic exchange every message is published to (env `AMQP_EXCHANGE`). Default `vellum`. */
  exchange?: string;
  /** Reconnect backoff: first delay in ms (doubles per failed attempt, ±20 % jitter). Default 250. */
  reconnectMinDelayMs?: number;
  /** Reconnect backoff cap in ms. Default 10000. */
  reconnectMaxDelayMs?: number;
  /** Socket connect timeout in ms (a black-holed broker fails the attempt after this). Default 10000. */
  connectTimeoutMs?: number;
  /** How long a publish waits for the broker's confirm before rejecting, in ms. Default 10000. */
  publishTimeoutMs?: number;
}

/** Options of the consumer side ({@link VellumRmqTransport}). */
export interface TransportOptions extends MessagingOptions {
  /**
   * Delays (ms) of the retry queues, one per retry: a handler that throws on delivery attempt `n` is retried after
   * `retryDelaysMs[n-1]`; when they are used up the message is dead-lettered. Default `[1000, 5000, 30000]`
   * (3 retries, 4 attempts in all). `[]` disables retries.
   */
  retryDelaysMs?: number[];
  /** Default prefetch (unacked deliveries per queue) for patterns that do not set `prefetch`. Default 10. */
  defaultPrefetch?: number;
  /** Bound on how long `close()` waits for in-flight handlers, in ms. Default 10000. */
  closeTimeoutMs?: number;
  /**
   * Names this process in exclusive queues (`${service}.${instanceId}.${key}`). Default
   * `${SERVICE_INSTANCE ?? hostname-pid}-${6 random hex}` (the suffix keeps two transports in one process apart).
   */
  instanceId?: string;
}

/** Nest token of the {@link MessagingOptions} given to `MessagingModule.forRoot`. */
export const MESSAGING_OPTIONS = Symbol('VELLUM_MESSAGING_OPTIONS');

export const DEFAULT_EXCHANGE = 'vellum';
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1000, 5000, 30000];
export const DEFAULT_PREFETCH = 10;
/** Maximum AMQP priority declared on every consumer queue (`x-max-priority`). */
export const MAX_PRIORITY = 10;
/** Priority used by the priority lane (immediate registrations, the priority queue). */
export const PRIORITY_LANE = 5;

/** Headers Vellum sets on messages (all lower-case, `x-vellum-*`). */
export const HEADERS = {
  /** 1-based delivery attempt (absent on the first delivery). */
  attempt: 'x-vellum-attempt',
  /** Dead-letter only: the error message (truncated to 1000 chars) or validation problems. */
  error: 'x-vellum-error',
  /** Dead-letter only: the original routing key (the message type). */
  routingKey: 'x-vellum-routing-key',
  /** Dead-letter only: the queue the message was consumed from. */
  queue: 'x-vellum-queue',
  /** Dead-letter only: `invalid` (failed validation), `permanent` (PermanentMessageError) or `exhausted` (retries used up). */
  reason: 'x-vellum-dead-letter-reason',
} as const;

/** `amqpUrl` with `heartbeat=15` added when the URL sets none, so a dead broker is noticed within ~30 s. */
export function withHeartbeat(url: string): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return url + (url.includes('?') ? '&' : '?') + 'heartbeat=15';
}

/** The URL with its password masked, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}

/** This replica's id for per-instance queue names: `SERVICE_INSTANCE` (else `<hostname>-<pid>`) plus a random suffix. */
export function defaultInstanceId(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.SERVICE_INSTANCE || `${hostname()}-${process.pid}`;
  return `${base}-${randomBytes(3).toString('hex')}`;
}

/** Queue-name helpers (SPEC.md §2 "Bus"; README "Topology"). */
export const queueNames = {
  /** Durable main queue of one service for one routing key: `${service}.${routingKey}`. */
  main: (service: string, routingKey: string): string => `${service}.${routingKey}`,
  /** Per-instance exclusive, auto-delete queue: `${service}.${instance}.${routingKey}`. */
  exclusive: (service: string, instance: string, routingKey: string): string =>
    `${service}.${instance}.${routingKey}`,
  /** Retry queue with a per-queue TTL: `${queue}.retry.${delayMs}`. */
  retry: (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`,
  /** The service's dead-letter queue: `${service}.dead-letter`. */
  deadLetter: (service: string): string => `${service}.dead-letter`,
};
