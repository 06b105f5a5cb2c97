import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_RETRY_POLICY, retryCeilingsMs } from './backoff';

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
   * Delay ceilings (ms) of the retry queues, one per retry: a handler that throws on delivery attempt `n` is retried
   * after at most `retryDelaysMs[n-1]` (jittered, see `retryJitter`); when they are used up the message is
   * dead-lettered. Default `DEFAULT_RETRY_DELAYS_MS` = `[1000, 4000, 16000, 60000]` (4 retries, 5 attempts in all;
   * services derive theirs from `VELLUM_RETRY_*` with `retryCeilingsMs`). `[]` disables retries.
   */
  retryDelaysMs?: number[];
  /**
   * Jitter of the retry delays, 0…1: a retry after `retryDelaysMs[n]` = `d` waits a random delay in
   * `[d − ⌊d × jitter⌋, d]` (per-message TTL in the retry queue, whose own TTL stays `d`), so messages that failed
   * together do not return together. Default 0.5 (`DEFAULT_RETRY_JITTER`); 0 waits exactly `d`.
   */
  retryJitter?: number;
  /**
   * Handler deadline, ms: a handler that has not settled this long after it started is abandoned (its `ctx.signal`
   * aborts) and the delivery counts as a failed attempt, retried while attempts remain, then dead-lettered with
   * reason `timeout`; so a message that hangs its consumer cannot hold a slot forever. Default 1500000 (25 min,
   * below RabbitMQ's 30-min `consumer_timeout`, which would otherwise close the channel and redeliver all its
   * messages); 0 disables. Per routing key: `consumers[key].timeoutMs` or the `timeoutMs` extra of `@EventPattern`.
   */
  handlerTimeoutMs?: number;
  /** Default prefetch (unacked deliveries per queue) for patterns that do not set `prefetch`. Default 10. */
  defaultPrefetch?: number;
  /** Bound on how long `close()` waits for in-flight handlers, in ms. Default 10000. */
  closeTimeoutMs?: number;
  /**
   * A message the broker redelivers because its consumer died (or its channel closed) before acking it is moved
   * to the queue's suspect lane `${queue}.suspect` (prefetch 1, so a redelivery there means that message was the
   * one being handled). Once it has been redelivered this many times it is dead-lettered with reason `crashed`
   * instead of being handled again, so an input that kills its consumer cannot loop forever. Default 3.
   */
  maxRedeliveries?: number;
  /**
   * Prefetch overrides per routing key, from the app's validated environment (decorator extras are evaluated
   * when the handler's file loads, before the environment is validated). They win over the `@EventPattern` extras.
   */
  consumers?: Record<string, ConsumerOverrides>;
  /**
   * A dependency whose outage is not the message's fault (the database). When a handler throws an error that
   * `isOutage` recognises and `probe` confirms the dependency is down (it rejects), the attempt is not spent: every consumer of this transport stops taking new work, the
   * message is held, `probe` is polled with backoff (0.5 s doubling to `maxDelayMs`), and once it resolves
   * consumption resumes and the held messages run again. SPEC.md §10 "Reliability".
   */
  outage?: OutageGate;
  /**
   * Publish `bus.message.dead-lettered.v1` for every message this transport dead-letters (so the owner of the
   * state can close it, e.g. fail the asset attempt). Default true.
   */
  deadLetterEvents?: boolean;
  /**
   * This replica's name (`SERVICE_INSTANCE` of `BaseEnv`, e.g. the pod name): the base of the default `instanceId`.
   * Default `<hostname>-<pid>`.
   */
  serviceInstance?: string;
  /**
   * Names this process in exclusive queues (`${service}.${instanceId}.${key}`). Default
   * `${serviceInstance ?? hostname-pid}-${6 random hex}` (the suffix keeps two transports in one process apart).
   */
  instanceId?: string;
}

/** Per routing key settings given to the transport at construction (see {@link TransportOptions.consumers}). */
export interface ConsumerOverrides {
  /** Unacked deliveries of the (batch-lane) queue: the handler's concurrency for ordinary work. */
  prefetch?: number;
  /** Unacked deliveries of the priority-lane queue; when set, the priority lane has a queue of its own. */
  priorityPrefetch?: number;
  /** Handler deadline of this routing key, ms (0 = none); wins over `handlerTimeoutMs`. */
  timeoutMs?: number;
}

/** See {@link TransportOptions.outage}. */
export interface OutageGate {
  /** What is down, for logs (e.g. `database`). */
  name: string;
  /** True when `err` means the dependency is unavailable (not that the message is bad). */
  isOutage(err: unknown): boolean;
  /** Resolves when the dependency answers again; rejects while it is down. */
  probe(): Promise<unknown>;
  /** Longest pause between probes, ms. Default 5000. */
  maxDelayMs?: number;
}

/** Nest token of the {@link MessagingOptions} given to `MessagingModule.forRoot`. */
export const MESSAGING_OPTIONS = Symbol('VELLUM_MESSAGING_OPTIONS');

export const DEFAULT_EXCHANGE = 'vellum';
/** Default `retryDelaysMs`: the ceilings of `DEFAULT_RETRY_POLICY` (`[1000, 4000, 16000, 60000]`, 5 attempts). */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = retryCeilingsMs(DEFAULT_RETRY_POLICY);
/** Default `handlerTimeoutMs`: 25 minutes. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 25 * 60 * 1000;
export const DEFAULT_PREFETCH = 10;
/** Maximum AMQP priority declared on every consumer queue (`x-max-priority`). */
export const MAX_PRIORITY = 10;
/** Priority used by the priority lane (immediate registrations, the priority queue). */
export const PRIORITY_LANE = 5;

/**
 * AMQP priority of a message moved back from a parking lot (`VellumRmqTransport.unpark`): above fresh batch work
 * (0), below the priority lane, so a message that waited its turn runs before those that have not waited yet.
 */
export const UNPARKED_PRIORITY = 1;
/** Default {@link TransportOptions.maxRedeliveries}. */
export const DEFAULT_MAX_REDELIVERIES = 3;
/** Suffix of the AMQP routing key of priority-lane messages (`<type>.priority`); the envelope `type` is unchanged. */
export const PRIORITY_ROUTING_SUFFIX = '.priority';

/**
 * The AMQP routing key a message of `type` is published with: the type itself, or `<type>.priority` for the
 * priority lane (`priority >= PRIORITY_LANE`), so that consumers with a priority queue of their own receive
 * priority work there while every other queue binds both keys.
 */
export function laneRoutingKey(type: string, priority = 0): string {
  return priority >= PRIORITY_LANE ? `${type}${PRIORITY_ROUTING_SUFFIX}` : type;
}

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
  /**
   * Dead-letter only: `invalid` (failed validation), `permanent` (PermanentMessageError), `exhausted` (retries used
   * up), `timeout` (retries used up, the last attempt past its handler deadline) or `crashed` (redelivered
   * `maxRedeliveries` times: it kept killing its consumer).
   */
  reason: 'x-vellum-dead-letter-reason',
  /** Times the broker redelivered the message after its consumer died before acking it (absent = 0). */
  redeliveries: 'x-vellum-redeliveries',
  /** Set by `replayDeadLetters`: when the message was replayed from the dead-letter queue (ISO 8601). */
  replayed: 'x-vellum-replayed',
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

/** This replica's id for per-instance queue names: `serviceInstance` (else `<hostname>-<pid>`) plus a random suffix. */
export function defaultInstanceId(serviceInstance?: string): string {
  const base = serviceInstance || `${hostname()}-${process.pid}`;
  return `${base}-${randomBytes(3).toString('hex')}`;
}

/** Queue-name helpers (SPEC.md §2 "Bus"; README "Topology"). */
export const queueNames = {
  /** Durable main queue of one service for one routing key: `${service}.${routingKey}`. */
  main: (service: string, routingKey: string): string => `${service}.${routingKey}`,
  /** Per-instance exclusive, auto-delete queue: `${service}.${instance}.${routingKey}`. */
  exclusive: (service: string, instance: string, routingKey: string): string =>
    `${service}.${instance}.${routingKey}`,
  /** The priority-lane queue of a consumer that has one: `${queue}.priority`. */
  priority: (queue: string): string => `${queue}.priority`,
  /** The suspect lane of a durable queue (redelivered messages, handled one at a time): `${queue}.suspect`. */
  suspect: (queue: string): string => `${queue}.suspect`,
  /** Retry queue with a per-queue TTL: `${queue}.retry.${delayMs}`. */
  retry: (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`,
  /** A parking lot of a durable queue (messages set aside by `ParkMessage`, unconsumed): `${queue}.parked.${lot}`. */
  parked: (queue: string, lot: string): string => `${queue}.parked.${lot}`,
  /** The service's dead-letter queue: `${service}.dead-letter`. */
  deadLetter: (service: string): string => `${service}.dead-letter`,
};

/** The `BaseEnv` variables (@vellum/common) that {@link transportEnvOptions} reads. */
export interface TransportEnv {
  SERVICE_INSTANCE: string;
  VELLUM_MAX_REDELIVERIES: number;
  VELLUM_RETRY_ATTEMPTS: number;
  VELLUM_RETRY_INITIAL_DELAY_MS: number;
  VELLUM_RETRY_MULTIPLIER: number;
  VELLUM_RETRY_MAX_DELAY_MS: number;
  VELLUM_RETRY_JITTER: number;
  VELLUM_HANDLER_TIMEOUT_MS: number;
}

/**
 * The transport options every service takes from `BaseEnv` (@vellum/common): its replica name, the crash bound
 * (`SERVICE_INSTANCE`, `VELLUM_MAX_REDELIVERIES`), the retry schedule (`VELLUM_RETRY_ATTEMPTS`,
 * `VELLUM_RETRY_INITIAL_DELAY_MS`, `VELLUM_RETRY_MULTIPLIER`, `VELLUM_RETRY_MAX_DELAY_MS` → `retryDelaysMs`;
 * `VELLUM_RETRY_JITTER`) and the handler deadline (`VELLUM_HANDLER_TIMEOUT_MS`). Spread it into
 * `createTransport({...})`.
 *
 * @throws RangeError when the retry variables do not make a schedule (e.g. maximum below the initial delay).
 */
export function transportEnvOptions(
  env: TransportEnv,
): Pick<
  TransportOptions,
  'serviceInstance' | 'maxRedeliveries' | 'retryDelaysMs' | 'retryJitter' | 'handlerTimeoutMs'
> {
  return {
    serviceInstance: env.SERVICE_INSTANCE,
    maxRedeliveries: env.VELLUM_MAX_REDELIVERIES,
    retryDelaysMs: retryCeilingsMs({
      attempts: env.VELLUM_RETRY_ATTEMPTS,
      initialDelayMs: env.VELLUM_RETRY_INITIAL_DELAY_MS,
      multiplier: env.VELLUM_RETRY_MULTIPLIER,
      maxDelayMs: env.VELLUM_RETRY_MAX_DELAY_MS,
    }),
    retryJitter: env.VELLUM_RETRY_JITTER,
    handlerTimeoutMs: env.VELLUM_HANDLER_TIMEOUT_MS,
  };
}
