import { Logger } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import { isObservable, lastValueFrom } from 'rxjs';
import { correlation } from '@vellum/common';
import {
  BusMessageDeadLetteredV1,
  type DeadLetterReason,
  Envelope,
  InvalidMessageError,
  messageClassFor,
  validateEnvelope,
  validatePayload,
} from '@vellum/contracts';
import { DEFAULT_RETRY_JITTER, jitteredDelayMs } from './backoff';
import { buildEnvelope } from './envelope-builder';
import { MessagePublisher } from './publisher';
import { AmqpConnectionManager } from './connection-manager';
import { installHandlerErrorCapture } from './error-capture';
import { errorMessage, isBrokerUnavailable, isPermanentError, parkingLotOf } from './errors';
import { runInMessageScope, MessageScope } from './message-scope';
import { ConsumeOutcome, MessageMetricsSink, metricsSinkFor } from './metrics';
import {
  DEFAULT_EXCHANGE,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_MAX_REDELIVERIES,
  DEFAULT_PREFETCH,
  DEFAULT_RETRY_DELAYS_MS,
  defaultInstanceId,
  HEADERS,
  laneRoutingKey,
  MAX_PRIORITY,
  PRIORITY_LANE,
  queueNames,
  TransportOptions,
  UNPARKED_PRIORITY,
} from './options';

/** Extras accepted by `@EventPattern(routingKey, extras)` on a Vellum handler. */
export interface VellumEventExtras {
  /** Unacked deliveries this queue's consumer may hold (Nest handler concurrency). Default 10 (`defaultPrefetch`). */
  prefetch?: number;
  /**
   * Give the priority lane a queue of its own, `${queue}.priority`, consumed with this prefetch: priority work
   * (`priority >= PRIORITY_LANE`, published with routing key `<type>.priority`) then has capacity that a
   * backlog of ordinary work cannot take (SPEC.md §2 "Bus"). Without it, one queue carries both lanes and the
   * priority lane only overtakes queued work (`x-max-priority`).
   */
  priorityPrefetch?: number;
  /**
   * Handler deadline of this pattern, ms (0 = none): overrides the transport's `handlerTimeoutMs`
   * (`TransportOptions.consumers[key].timeoutMs` wins over this).
   */
  timeoutMs?: number;
  /**
   * Consume from a per-instance exclusive, auto-delete queue `${service}.${instance}.${key}` instead of the shared
   * durable `${service}.${key}`: every instance receives every message (e.g. the gateway hearing
   * `asset.ingest.finished.v1`). Retries of such messages are delayed in memory, not in retry queues.
   */
  exclusive?: boolean;
}

/** Delivery facts carried by {@link VellumRmqContext}. */
export interface VellumDelivery {
  /** 1-based delivery attempt (header `x-vellum-attempt`; absent = 1). */
  attempt: number;
  /** Attempts in all: retries + 1. */
  maxAttempts: number;
  /** The queue the message was consumed from. */
  queue: string;
  /** Times the broker redelivered it after its consumer died before acking it. */
  redeliveries: number;
  /** The consumer channel (acks are the transport's job; do not ack yourself). */
  channel: Channel;
  /** Aborted when the handler's deadline passes (the transport has then given up on this delivery). */
  signal: AbortSignal;
}

/**
 * The context passed as the second argument to Vellum handlers (`@Ctx() ctx: VellumRmqContext`, or simply the
 * second parameter): the validated envelope, the raw AMQP message and the attempt counters.
 */
export class VellumRmqContext extends BaseRpcContext<[Envelope, ConsumeMessage, VellumDelivery]> {
  /** The envelope `{ id, type, occurredAt, correlationId, causationId, producer, data }` (data = the raw JSON). */
  get envelope(): Envelope {
    return this.args[0];
  }

  /** The raw amqplib message (properties, headers, fields). */
  get message(): ConsumeMessage {
    return this.args[1];
  }

  /** The routing key (message type) of this message. */
  get routingKey(): string {
    return this.args[0].type;
  }

  /** The queue the message was consumed from. */
  get queue(): string {
    return this.args[2].queue;
  }

  /** 1-based delivery attempt: 1 on first delivery, 2 on the first retry, ... */
  get attempt(): number {
    return this.args[2].attempt;
  }

  /** Attempts in all (retries + 1). */
  get maxAttempts(): number {
    return this.args[2].maxAttempts;
  }

  /** Times the broker redelivered this message because its consumer died before acking it (0 normally). */
  get redeliveries(): number {
    return this.args[2].redeliveries;
  }

  /**
   * Aborted (reason: a {@link HandlerTimeoutError}) when the handler outlives its deadline
   * (`handlerTimeoutMs`): the transport has then counted the attempt as failed and moved on, so long work should
   * stop (pass it to fetches, child processes, ...). Never aborted when there is no deadline.
   */
  get signal(): AbortSignal {
    return this.args[2].signal;
  }

  /** True when this message came through the priority lane (AMQP priority ≥ `PRIORITY_LANE`). */
  get isPriorityLane(): boolean {
    const p = this.args[1].properties.priority as unknown;
    return typeof p === 'number' && p >= PRIORITY_LANE;
  }

  /**
   * True when throwing now dead-letters the message instead of retrying it: a handler can then turn a final
   * retryable failure into a failure reply (e.g. `ImageDerivativesFailedV1`) and return normally.
   */
  get isLastAttempt(): boolean {
    return this.args[2].attempt >= this.args[2].maxAttempts;
  }
}

/**
 * One consumer (one channel): `main` is the queue of a routing key, `priority` its priority-lane queue when it has
 * one, `suspect` the prefetch-1 lane where redelivered messages of a durable queue are handled one at a time.
 */
interface ConsumerSpec {
  routingKey: string;
  kind: 'main' | 'priority' | 'suspect';
  queue: string;
  /** The queue a suspect-lane message came from (its retries and replays go back there); else `queue`. */
  homeQueue: string;
  /** AMQP routing keys bound to `queue` on the exchange (none for suspect lanes). */
  bindings: string[];
  /**
   * Routing keys removed from `queue`: the priority key from a main queue once the priority lane has a queue of its
   * own (a queue declared before that holds both bindings, and would otherwise get every priority message twice).
   */
  unbindings?: string[];
  exclusive: boolean;
  prefetch: number;
  /** Handler deadline in ms; 0 = none. */
  timeoutMs: number;
  handler: MessageHandler;
}

interface LiveConsumer {
  spec: ConsumerSpec;
  conn: ChannelModel;
  channel: Channel;
  consumerTag?: string;
}

/** Thrown inside the outage wait when the transport closes meanwhile: the held message goes back to the broker. */
class ClosingError extends Error {}

/**
 * A handler did not settle within its deadline (`handlerTimeoutMs`): the delivery counts as a failed attempt
 * (retried while attempts remain, then dead-lettered with reason `timeout`), and `ctx.signal` aborts with this.
 */
export class HandlerTimeoutError extends Error {
  override readonly name = 'HandlerTimeoutError';
  constructor(
    readonly routingKey: string,
    readonly timeoutMs: number,
  ) {
    super(`the ${routingKey} handler did not finish within ${timeoutMs} ms (handler deadline); abandoned`);
  }
}

type TransportEvents = {
  connected: () => void;
  disconnected: () => void;
};
type TransportStatus = 'connected' | 'disconnected';

const liveTransports = new Set<VellumRmqTransport>();

/** Transports currently listening in this process for `serviceName` (used by `AmqpReadiness`). */
export function transportsFor(serviceName: string): VellumRmqTransport[] {
  return [...liveTransports].filter((t) => t.serviceName === serviceName);
}

/**
 * The Vellum RabbitMQ consumer: a Nest custom transport strategy (SPEC.md §2 "Bus"; README "Topology").
 *
 * For each `@EventPattern(routingKey, { prefetch?, priorityPrefetch?, exclusive? })` handler it asserts
 * (idempotently, on every (re)connect) the queue `${service}.${routingKey}` (`x-max-priority: 10`) bound to the
 * topic exchange (keys `<type>` and `<type>.priority`, or only `<type>` when the priority lane has its own queue
 * `${queue}.priority`), their retry queues `${queue}.retry.${delayMs}`, suspect lanes `${queue}.suspect` and the
 * service's `${service}.dead-letter`, then consumes with manual acks and the given prefetch. Each delivery:
 * - redelivered by the broker (its consumer died before acking) → moved to the suspect lane, where messages run
 *   one at a time; one redelivered there `maxRedeliveries` times in all is dead-lettered (`crashed`), not run;
 * - envelope + payload validated (invalid → dead-letter at once);
 * - the handler runs inside `correlation.run(envelope.correlationId)` with `(payload, ctx)`; resolve → ack;
 *   throw → next retry queue while attempts remain, else dead-letter (`PermanentMessageError` → at once); an error
 *   the `outage` gate recognises spends no attempt: consumers pause and the message runs again once it is over.
 * Every dead letter is announced as `bus.message.dead-lettered.v1`.
 *
 * It owns its own connection (consumer traffic separate from the publisher's). Wire it with
 * `bootstrapService(AppModule, { transport: createTransport({...}) })` or
 * `app.connectMicroservice({ strategy: new VellumRmqTransport({...}) })`.
 */
export class VellumRmqTransport
  extends Server<TransportEvents, TransportStatus>
  implements CustomTransportStrategy
{
  readonly connection: AmqpConnectionManager;
  readonly serviceName: string;
  readonly instanceId: string;
  readonly retryDelaysMs: readonly number[];
  /** Jitter fraction of the retry delays (0…1). */
  readonly retryJitter: number;
  private readonly log = new Logger('VellumRmqTransport');
  private readonly exchange: string;
  private readonly options: TransportOptions;
  private metrics?: MessageMetricsSink;
  private specs: ConsumerSpec[] = [];
  private readonly live = new Set<LiveConsumer>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing = false;
  private listening = false;
  private setupRegistered = false;
  /** While a dependency outage lasts: resolves when it is over (consumers are paused meanwhile). */
  private outageWait?: Promise<void>;
  /** Ends the current pause between outage probes at once (used by `close()`). */
  private wakeOutage?: () => void;
  private readonly maxRedeliveries: number;
  /** Publishes the dead-letter announcements on this transport's own connection. */
  private readonly announcer: MessagePublisher;
  /** Parking-lot queues already declared, per channel (see `assertLot`). */
  private readonly lotsAsserted = new WeakMap<Channel, Set<string>>();
  /** The channel `unpark` reads parking lots with (see `lotChannel`). */
  private unparkChannel?: Promise<Channel>;
  /** Exclusive (broadcast) patterns: routing key → when its current per-instance queue was bound and consumed. */
  private readonly broadcastLive = new Map<string, { consumer: LiveConsumer; since: number }>();

  constructor(
    options: TransportOptions,
    deps: { metrics?: MessageMetricsSink; connection?: AmqpConnectionManager } = {},
  ) {
    super();
    const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    for (const d of delays) {
      if (!Number.isInteger(d) || d < 1)
        throw new RangeError(`retryDelaysMs must be positive integers (ms), got ${d}`);
    }
    this.options = options;
    this.serviceName = options.serviceName;
    this.exchange = options.exchange ?? DEFAULT_EXCHANGE;
    this.instanceId = options.instanceId ?? defaultInstanceId(options.serviceInstance);
    this.retryDelaysMs = [...delays];
    this.retryJitter = options.retryJitter ?? DEFAULT_RETRY_JITTER;
    if (!Number.isFinite(this.retryJitter) || this.retryJitter < 0 || this.retryJitter > 1)
      throw new RangeError(`retryJitter must be between 0 and 1, got ${this.retryJitter}`);
    const timeout = options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout < 0)
      throw new RangeError(`handlerTimeoutMs must be a non-negative integer (ms), got ${timeout}`);
    this.maxRedeliveries = options.maxRedeliveries ?? DEFAULT_MAX_REDELIVERIES;
    if (!Number.isInteger(this.maxRedeliveries) || this.maxRedeliveries < 1)
      throw new RangeError(`maxRedeliveries must be a positive integer, got ${this.maxRedeliveries}`);
    this.metrics = deps.metrics;
    this.connection = deps.connection ?? new AmqpConnectionManager(options);
    this.announcer = new MessagePublisher(this.connection);
    this.connection.on('connected', () => this._status$.next('connected'));
    this.connection.on('disconnected', () => {
      // The per-instance queues die with the connection: what is published from now on is not heard.
      this.broadcastLive.clear();
      this._status$.next('disconnected');
    });
    installHandlerErrorCapture();
  }

  /** Attempts in all per message: `retryDelaysMs.length + 1`. */
  get maxAttempts(): number {
    return this.retryDelaysMs.length + 1;
  }

  /** True while consuming (connected and subscribed). */
  get isConnected(): boolean {
    return this.connection.isConnected;
  }

  /** Overrides the metrics sink (default: the one `MessagingModule` registered for this service, if any). */
  setMetrics(metrics: MessageMetricsSink | undefined): void {
    this.metrics = metrics;
  }

  /** The queue names this transport consumes from (after `listen`), suspect lanes included. */
  get queues(): string[] {
    return this.specs.map((s) => s.queue);
  }

  /** True while consumers are paused because a dependency (the `outage` gate) is down. */
  get isPausedForOutage(): boolean {
    return this.outageWait !== undefined;
  }

  /**
   * For an `exclusive: true` (broadcast) pattern: the time (epoch ms) since which this instance's current queue
   * `${service}.${instance}.${key}` has been bound and consumed, i.e. every message published from then on reaches
   * this instance; `undefined` while it has no such queue (broker down, channel lost, consumers paused: an
   * auto-delete queue goes with its last consumer) or when `routingKey` is not a broadcast pattern here.
   *
   * Per-instance queues are not durable, so messages published while there is none are never delivered here.
   * A consumer that caches state and relies on broadcast invalidations (the gateway's verified API keys) uses this
   * to tell whether it may have missed one: state checked before the current value, or while it is `undefined`,
   * must be re-checked at the source.
   */
  broadcastSince(routingKey: string): number | undefined {
    return this.broadcastLive.get(routingKey)?.since;
  }

  /** Subscribes to `connected` / `disconnected` of the underlying connection. */
  on<
    EventKey extends keyof TransportEvents = keyof TransportEvents,
    EventCallback extends TransportEvents[EventKey] = TransportEvents[EventKey],
  >(event: EventKey, callback: EventCallback): this {
    this.connection.on(event, callback);
    return this;
  }

  /** The amqplib connection (`ChannelModel`). @throws BrokerUnavailableError when not connected. */
  unwrap<T>(): T {
    return this.connection.connection as T;
  }

  /**
   * Validates the registered handlers, then connects, asserts topology and starts consuming. Calls
   * `callback()` after the first connect attempt (a broker that is down does not fail boot: consumers subscribe
   * when it comes back) or `callback(err)` when a handler is mis-declared (unknown routing key, `@MessagePattern`
   * instead of `@EventPattern`, two handlers for one key, bad extras).
   */
  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      this.specs = this.buildSpecs();
      this.closing = false;
      this.listening = true;
      liveTransports.add(this);
      if (!this.setupRegistered) {
        this.setupRegistered = true;
        await this.connection.onSetup((conn) => this.setup(conn));
      }
      const ok = await this.connection.start();
      if (!ok) {
        this.log.warn(
          `RabbitMQ unreachable at start-up; ${this.specs.length} consumer(s) will subscribe when it is back`,
        );
      } else {
        this.log.log(`Consuming ${this.specs.map((s) => s.queue).join(', ') || '(no handlers)'}`);
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /**
   * Graceful stop: cancels every consumer, waits for in-flight handlers (at most `closeTimeoutMs`, default
   * 10000 ms), then closes channels and the connection. Unacked messages are requeued by the broker.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.broadcastLive.clear();
    liveTransports.delete(this);
    this.wakeOutage?.();
    for (const c of this.live) {
      if (c.consumerTag) await c.channel.cancel(c.consumerTag).catch(() => undefined);
    }
    const timeoutMs = this.options.closeTimeoutMs ?? 10_000;
    if (this.inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), timeoutMs);
      });
      const res = await Promise.race([
        Promise.allSettled([...this.inflight]).then(() => 'done' as const),
        timedOut,
      ]);
      if (timer) clearTimeout(timer);
      if (res === 'timeout')
        this.log.warn(
          `${this.inflight.size} handler(s) still running after ${timeoutMs} ms; closing (their messages will be redelivered)`,
        );
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.live) await c.channel.close().catch(() => undefined);
    this.live.clear();
    const unparking = this.unparkChannel;
    this.unparkChannel = undefined;
    if (unparking) await unparking.then((ch) => ch.close()).catch(() => undefined);
    this.listening = false;
    await this.connection.close();
  }

  private buildSpecs(): ConsumerSpec[] {
    const specs: ConsumerSpec[] = [];
    for (const [pattern, handler] of this.messageHandlers) {
      if (!messageClassFor(pattern)) {
        throw new Error(
          `@EventPattern('${pattern}'): no message registered under that routing key in @vellum/contracts`,
        );
      }
      if (!handler.isEventHandler)
        throw new Error(`'${pattern}': Vellum handlers must use @EventPattern, not @MessagePattern`);
      if (handler.next)
        throw new Error(
          `'${pattern}': more than one handler registered; a routing key has one handler per service`,
        );
      const extras = (handler.extras ?? {}) as VellumEventExtras;
      const override = this.options.consumers?.[pattern] ?? {};
      const prefetch =
        override.prefetch ?? extras.prefetch ?? this.options.defaultPrefetch ?? DEFAULT_PREFETCH;
      if (!Number.isInteger(prefetch) || prefetch < 1)
        throw new Error(`'${pattern}': prefetch must be a positive integer, got ${String(prefetch)}`);
      const priorityPrefetch = override.priorityPrefetch ?? extras.priorityPrefetch;
      if (priorityPrefetch !== undefined && (!Number.isInteger(priorityPrefetch) || priorityPrefetch < 1))
        throw new Error(
          `'${pattern}': priorityPrefetch must be a positive integer, got ${String(priorityPrefetch)}`,
        );
      const timeoutMs =
        override.timeoutMs ?? extras.timeoutMs ?? this.options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
      if (!Number.isInteger(timeoutMs) || timeoutMs < 0)
        throw new Error(`'${pattern}': timeoutMs must be a non-negative integer, got ${String(timeoutMs)}`);
      const exclusive = extras.exclusive === true;
      const lanes = [pattern, laneRoutingKey(pattern, PRIORITY_LANE)];
      if (exclusive) {
        if (priorityPrefetch !== undefined)
          throw new Error(`'${pattern}': an exclusive queue cannot have a priority lane of its own`);
        const queue = queueNames.exclusive(this.serviceName, this.instanceId, pattern);
        specs.push({
          routingKey: pattern,
          kind: 'main',
          queue,
          homeQueue: queue,
          bindings: lanes,
          exclusive,
          prefetch,
          timeoutMs,
          handler,
        });
        continue;
      }
      const main = queueNames.main(this.serviceName, pattern);
      const durable: Array<{
        kind: 'main' | 'priority';
        queue: string;
        bindings: string[];
        unbindings?: string[];
        prefetch: number;
      }> =
        priorityPrefetch === undefined
          ? [{ kind: 'main', queue: main, bindings: lanes, prefetch }]
          : [
              { kind: 'main', queue: main, bindings: [lanes[0]], unbindings: [lanes[1]], prefetch },
              {
                kind: 'priority',
                queue: queueNames.priority(main),
                bindings: [lanes[1]],
                prefetch: priorityPrefetch,
              },
            ];
      for (const d of durable) {
        specs.push({ routingKey: pattern, ...d, homeQueue: d.queue, exclusive: false, timeoutMs, handler });
        // The suspect lane: prefetch 1, so a message redelivered there was the one being handled.
        specs.push({
          routingKey: pattern,
          kind: 'suspect',
          queue: queueNames.suspect(d.queue),
          homeQueue: d.queue,
          bindings: [],
          exclusive: false,
          prefetch: 1,
          timeoutMs,
          handler,
        });
      }
    }
    return specs;
  }

  /** Runs on every (re)connect: drops consumers of a dead connection, asserts topology, subscribes. */
  private async setup(conn: ChannelModel): Promise<void> {
    if (this.closing || !this.listening) return;
    for (const c of this.live) if (c.conn !== conn) this.live.delete(c);
    const admin = await conn.createChannel();
    try {
      await admin.assertExchange(this.exchange, 'topic', { durable: true });
      await admin.assertQueue(queueNames.deadLetter(this.serviceName), { durable: true });
    } finally {
      await admin.close().catch(() => undefined);
    }
    for (const spec of this.specs) await this.subscribe(conn, spec);
  }

  private async subscribe(conn: ChannelModel, spec: ConsumerSpec): Promise<void> {
    const channel = await conn.createChannel();
    const consumer: LiveConsumer = { spec, conn, channel };
    channel.on('error', (err: unknown) =>
      this.log.warn(`Channel of ${spec.queue} failed: ${errorMessage(err)}`),
    );
    channel.on('close', () => {
      this.live.delete(consumer);
      this.forgetBroadcast(consumer);
      // The channel alone died (e.g. a precondition error) while the connection lives on: resubscribe it.
      if (!this.closing && this.listening && this.connection.isConnected && this.unwrapSafe() === conn) {
        this.later(1000, () => {
          if (!this.closing && this.unwrapSafe() === conn) {
            this.subscribe(conn, spec).catch((err: unknown) =>
              this.log.error(`Resubscribing ${spec.queue} failed: ${errorMessage(err)}`),
            );
          }
        });
      }
    });
    await this.assertQueues(channel, spec);
    await channel.prefetch(spec.prefetch);
    this.live.add(consumer);
    // During a dependency outage consumers stay paused; the end of the outage starts them.
    if (!this.outageWait) await this.startConsuming(consumer, true);
  }

  /**
   * `basic.consume` on the consumer's channel (again after a pause). An exclusive queue is auto-delete, so it went
   * with its consumer when paused: it is declared and bound again first (unless `asserted` just now), and
   * {@link broadcastSince} restarts from the moment it is bound again.
   */
  private async startConsuming(consumer: LiveConsumer, asserted = false): Promise<void> {
    const { spec, channel } = consumer;
    if (consumer.consumerTag) return;
    if (spec.exclusive && !asserted) await this.assertQueues(channel, spec);
    const boundAt = Date.now();
    const { consumerTag } = await channel.consume(
      spec.queue,
      (msg) => {
        if (msg === null) {
          this.log.warn(`Consumer of ${spec.queue} cancelled by the broker`);
          void channel.close().catch(() => undefined);
          return;
        }
        this.track(this.onMessage(consumer, msg));
      },
      { noAck: false },
    );
    consumer.consumerTag = consumerTag;
    if (spec.exclusive) this.broadcastLive.set(spec.routingKey, { consumer, since: boundAt });
  }

  /** The consumer's per-instance queue is gone (or going): its pattern is no longer heard (unless re-subscribed). */
  private forgetBroadcast(consumer: LiveConsumer): void {
    if (this.broadcastLive.get(consumer.spec.routingKey)?.consumer === consumer)
      this.broadcastLive.delete(consumer.spec.routingKey);
  }

  /** `basic.cancel`: no new deliveries; unacked ones stay with the channel (held, not requeued). */
  private async stopConsuming(consumer: LiveConsumer): Promise<void> {
    const tag = consumer.consumerTag;
    if (!tag) return;
    consumer.consumerTag = undefined;
    this.forgetBroadcast(consumer);
    await consumer.channel.cancel(tag).catch(() => undefined);
  }

  private async assertQueues(channel: Channel, spec: ConsumerSpec): Promise<void> {
    const priorityArgs = { 'x-max-priority': MAX_PRIORITY };
    if (spec.exclusive) {
      await channel.assertQueue(spec.queue, {
        exclusive: true,
        autoDelete: true,
        durable: false,
        arguments: priorityArgs,
      });
    } else {
      await channel.assertQueue(spec.queue, { durable: true, arguments: priorityArgs });
      if (spec.kind !== 'suspect') {
        for (const delay of this.retryDelaysMs) {
          await channel.assertQueue(queueNames.retry(spec.queue, delay), {
            durable: true,
            arguments: {
              'x-message-ttl': delay,
              'x-dead-letter-exchange': '',
              'x-dead-letter-routing-key': spec.queue,
            },
          });
        }
      }
    }
    for (const key of spec.bindings) await channel.bindQueue(spec.queue, this.exchange, key);
    // Unbinding a binding that does not exist is a no-op for RabbitMQ.
    for (const key of spec.unbindings ?? []) await channel.unbindQueue(spec.queue, this.exchange, key);
  }

  private unwrapSafe(): ChannelModel | undefined {
    try {
      return this.connection.connection;
    } catch {
      return undefined;
    }
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private observe(routingKey: string, outcome: ConsumeOutcome, startedAt: bigint): void {
    const sink = this.metrics ?? metricsSinkFor(this.serviceName);
    if (!sink) return;
    try {
      sink.observe(routingKey, outcome, Number(process.hrtime.bigint() - startedAt) / 1e9);
    } catch (err) {
      this.log.warn(`metrics failed: ${errorMessage(err)}`);
    }
  }

  private async onMessage(consumer: LiveConsumer, msg: ConsumeMessage): Promise<void> {
    const { spec, channel } = consumer;
    if (this.closing) {
      // Arrived after cancel: leave it to the broker (requeued when the channel closes).
      this.settle(channel, msg, 'requeue');
      return;
    }
    const startedAt = process.hrtime.bigint();
    const attempt = attemptOf(msg);
    const redeliveries = redeliveriesOf(msg) + (msg.fields.redelivered && !spec.exclusive ? 1 : 0);
    if (msg.fields.redelivered && !spec.exclusive) {
      if (spec.kind !== 'suspect' || redeliveries < this.maxRedeliveries) {
        // Its consumer died (or its channel closed) before acking it: it may be what killed it. Count it and let
        // the suspect lane run it alone, where a further redelivery can only mean this message was in hand.
        await this.moveToSuspectLane(consumer, msg, redeliveries);
        this.observe(spec.routingKey, 'redelivered', startedAt);
        return;
      }
      const reason = `redelivered ${redeliveries} times: it was being handled each time its consumer died (crash, OOM kill or hang)`;
      this.log.error(
        `Message ${String(msg.properties.messageId)} on ${spec.queue} ${reason}; dead-lettered (crashed)`,
      );
      await this.deadLetterAndAck(consumer, msg, 'crashed', reason, attempt, redeliveries);
      this.observe(spec.routingKey, 'crashed', startedAt);
      return;
    }

    let envelope: Envelope;
    let payload: object;
    try {
      const raw: unknown = JSON.parse(msg.content.toString('utf8'));
      envelope = validateEnvelope(raw);
      if (envelope.type !== spec.routingKey) {
        throw new InvalidMessageError(spec.routingKey, [
          `type: expected ${spec.routingKey}, got ${envelope.type}`,
        ]);
      }
      payload = validatePayload<object>(spec.routingKey, envelope.data);
    } catch (err) {
      const reason = err instanceof SyntaxError ? `body is not JSON: ${err.message}` : errorMessage(err);
      this.log.error(
        `Invalid message on ${spec.queue} (messageId ${String(msg.properties.messageId)}): ${reason}; dead-lettered`,
      );
      await this.deadLetterAndAck(consumer, msg, 'invalid', reason, attempt, redeliveries);
      this.observe(spec.routingKey, 'invalid', startedAt);
      return;
    }

    for (;;) {
      const scope: MessageScope = { envelope };
      const abort = new AbortController();
      const ctx = new VellumRmqContext([
        envelope,
        msg,
        {
          attempt,
          maxAttempts: this.maxAttempts,
          queue: spec.queue,
          redeliveries,
          channel,
          signal: abort.signal,
        },
      ]);
      try {
        const run = correlation.run(envelope.correlationId, () =>
          runInMessageScope(scope, async () => {
            const result: unknown = await spec.handler(payload, ctx);
            if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
          }),
        );
        await this.withDeadline(run, spec, abort);
        break;
      } catch (thrown) {
        const original = thrown instanceof HandlerTimeoutError ? thrown : (scope.error ?? thrown);
        const lot = parkingLotOf(original) ?? parkingLotOf(thrown);
        if (lot !== undefined && !spec.exclusive) {
          await this.parkAndAck(consumer, msg, lot);
          this.observe(spec.routingKey, 'parked', startedAt);
          return;
        }
        const gate = this.options.outage;
        if (gate && (gate.isOutage(original) || gate.isOutage(thrown)) && !(await this.answers(gate))) {
          // The dependency is down, not the message bad: spend no attempt, hold it until the outage is over.
          try {
            await this.waitOutOutage(gate, errorMessage(original));
          } catch (err) {
            if (!(err instanceof ClosingError)) throw err;
            this.settle(channel, msg, 'requeue');
            return;
          }
          this.observe(spec.routingKey, 'held', startedAt);
          continue;
        }
        await this.onHandlerFailure(
          consumer,
          msg,
          envelope,
          thrown,
          original,
          attempt,
          redeliveries,
          startedAt,
        );
        return;
      }
    }
    this.settle(channel, msg, 'ack');
    this.observe(spec.routingKey, 'success', startedAt);
  }

  /**
   * Waits for `run` at most `spec.timeoutMs` (0 = no deadline). Past it, `abort` aborts with a
   * {@link HandlerTimeoutError}, which is thrown; the abandoned handler may still settle later, unobserved.
   */
  private async withDeadline(
    run: Promise<unknown>,
    spec: ConsumerSpec,
    abort: AbortController,
  ): Promise<void> {
    if (spec.timeoutMs <= 0) {
      await run;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new HandlerTimeoutError(spec.routingKey, spec.timeoutMs);
        abort.abort(err);
        reject(err);
      }, spec.timeoutMs);
    });
    try {
      await Promise.race([run, deadline]);
    } finally {
      if (timer) clearTimeout(timer);
      // An abandoned handler that fails later must not become an unhandled rejection.
      run.catch(() => undefined);
    }
  }

  /** A handler threw (not an outage): retry while attempts remain, else dead-letter. */
  private async onHandlerFailure(
    consumer: LiveConsumer,
    msg: ConsumeMessage,
    envelope: Envelope,
    thrown: unknown,
    original: unknown,
    attempt: number,
    redeliveries: number,
    startedAt: bigint,
  ): Promise<void> {
    const { spec } = consumer;
    const permanent = isPermanentError(thrown) || isPermanentError(original);
    const message = errorMessage(original);
    const where = `${spec.routingKey} ${envelope.id} (attempt ${attempt}/${this.maxAttempts}, correlationId ${envelope.correlationId})`;
    if (!permanent && (isBrokerUnavailable(original) || isBrokerUnavailable(thrown))) {
      // The handler could not publish (the broker, or this process's publishing connection, is down): not the
      // message's fault. It runs again after the first retry delay, without spending an attempt.
      const ceiling = this.retryDelaysMs[0] ?? 1000;
      const delay = jitteredDelayMs(ceiling, this.retryJitter);
      this.log.warn(
        `Handler for ${where} could not publish: ${message}; again in ${delay} ms (no attempt spent)`,
      );
      await this.retryAndAck(consumer, msg, attempt - 1, ceiling, delay);
      this.observe(spec.routingKey, 'held', startedAt);
      return;
    }
    if (!permanent && attempt < this.maxAttempts) {
      const ceiling = this.retryDelaysMs[attempt - 1];
      const delay = jitteredDelayMs(ceiling, this.retryJitter);
      this.log.warn(`Handler failed for ${where}: ${message}; retrying in ${delay} ms`);
      await this.retryAndAck(consumer, msg, attempt, ceiling, delay);
      this.observe(spec.routingKey, 'retry', startedAt);
      return;
    }
    const reason: DeadLetterReason = permanent
      ? 'permanent'
      : original instanceof HandlerTimeoutError
        ? 'timeout'
        : 'exhausted';
    this.log.error(
      `Handler failed for ${where}: ${message}; dead-lettered (${reason})`,
      original instanceof Error ? original.stack : undefined,
    );
    await this.deadLetterAndAck(consumer, msg, reason, message, attempt, redeliveries);
    this.observe(spec.routingKey, 'dead_letter', startedAt);
  }

  /** True when the gated dependency answers now (then the error was the message's own, not an outage). */
  private async answers(gate: NonNullable<TransportOptions['outage']>): Promise<boolean> {
    if (this.outageWait) return false;
    return gate.probe().then(
      () => true,
      () => false,
    );
  }

  /**
   * Pauses every consumer of this transport until `gate.probe()` resolves (polled from 500 ms doubling to
   * `maxDelayMs`); concurrent callers share one wait. @throws ClosingError when the transport closes meanwhile.
   */
  private async waitOutOutage(gate: NonNullable<TransportOptions['outage']>, cause: string): Promise<void> {
    if (!this.outageWait) {
      this.log.warn(
        `${gate.name} unavailable (${cause}): consumers paused, held messages keep their attempts`,
      );
      const started = Date.now();
      const wait = (async () => {
        for (const c of this.live) await this.stopConsuming(c);
        let delay = 500;
        const max = gate.maxDelayMs ?? 5000;
        for (;;) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, delay);
            this.wakeOutage = () => {
              clearTimeout(t);
              resolve();
            };
          });
          this.wakeOutage = undefined;
          if (this.closing) return;
          try {
            await gate.probe();
            return;
          } catch {
            delay = Math.min(max, delay * 2);
          }
        }
      })();
      this.outageWait = wait.finally(() => {
        this.outageWait = undefined;
        if (this.closing) return;
        this.log.log(`${gate.name} answers again after ${Date.now() - started} ms: consumers resumed`);
        for (const c of this.live) {
          this.startConsuming(c).catch((err: unknown) =>
            this.log.warn(`Resuming ${c.spec.queue} failed: ${errorMessage(err)}`),
          );
        }
      });
    }
    await this.outageWait;
    if (this.closing) throw new ClosingError('transport closing');
  }

  private settle(channel: Channel, msg: ConsumeMessage, how: 'ack' | 'requeue'): void {
    try {
      if (how === 'ack') channel.ack(msg);
      else channel.nack(msg, false, true);
    } catch (err) {
      // The channel is gone: the broker redelivers the message to the next consumer.
      this.log.warn(`Could not ${how} message on a closed channel: ${errorMessage(err)}`);
    }
  }

  private forwardProperties(
    msg: Pick<ConsumeMessage, 'properties'>,
    headers: Record<string, unknown>,
  ): Options.Publish {
    const p = msg.properties;
    const inherited: Record<string, unknown> = { ...(p.headers ?? {}) };
    for (const k of Object.keys(inherited))
      if (k === 'x-death' || k.startsWith('x-first-death') || k.startsWith('x-last-death'))
        delete inherited[k];
    return {
      persistent: true,
      priority: typeof p.priority === 'number' ? p.priority : undefined,
      contentType: p.contentType ?? 'application/json',
      contentEncoding: p.contentEncoding,
      messageId: p.messageId,
      correlationId: p.correlationId,
      type: p.type,
      appId: p.appId,
      timestamp: p.timestamp,
      headers: { ...inherited, ...headers },
    };
  }

  /** Publishes the message to the suspect lane of its home queue with its redelivery count, then acks it. */
  private async moveToSuspectLane(
    consumer: LiveConsumer,
    msg: ConsumeMessage,
    redeliveries: number,
  ): Promise<void> {
    const { spec, channel } = consumer;
    const target = queueNames.suspect(spec.homeQueue);
    this.log.warn(
      `Message ${String(msg.properties.messageId)} on ${spec.queue} was redelivered (its consumer died before acking it; ${redeliveries}/${this.maxRedeliveries}): handling it alone on ${target}`,
    );
    try {
      await this.connection.publish(
        '',
        target,
        msg.content,
        this.forwardProperties(msg, { [HEADERS.redeliveries]: redeliveries }),
      );
      this.settle(channel, msg, 'ack');
    } catch (err) {
      this.log.warn(`Could not move ${spec.routingKey} to ${target}: ${errorMessage(err)}; requeueing`);
      this.settle(channel, msg, 'requeue');
    }
  }

  /**
   * Moves the message to the parking lot `lot` of its home queue (asserted first: the default exchange drops a
   * message for a queue that does not exist), headers kept, then acks it; requeued when the broker refuses.
   */
  private async parkAndAck(consumer: LiveConsumer, msg: ConsumeMessage, lot: string): Promise<void> {
    const { spec, channel } = consumer;
    const target = queueNames.parked(spec.homeQueue, lot);
    try {
      await this.assertLot(channel, target);
      await this.connection.publish('', target, msg.content, this.forwardProperties(msg, {}));
      this.settle(channel, msg, 'ack');
    } catch (err) {
      this.log.warn(`Could not park ${spec.routingKey} in ${target}: ${errorMessage(err)}; requeueing`);
      this.settle(channel, msg, 'requeue');
    }
  }

  /** Declares the lot queue once per channel (durable, no consumer, no TTL: parked messages wait indefinitely). */
  private async assertLot(channel: Channel, queue: string): Promise<void> {
    let known = this.lotsAsserted.get(channel);
    if (!known) {
      known = new Set();
      this.lotsAsserted.set(channel, known);
    }
    if (known.has(queue)) return;
    await channel.assertQueue(queue, { durable: true });
    known.add(queue);
  }

  /**
   * Moves up to `max` messages of the parking lot `lot` of `routingKey`'s main queue back onto that queue, oldest
   * first, with AMQP priority {@link UNPARKED_PRIORITY} (ahead of fresh batch work, behind the priority lane); each
   * one is acked in the lot only once the broker has confirmed it on the queue, so none is lost (one may run twice
   * if this process dies in between, which handlers tolerate as a redelivery).
   * @param max messages to move at most (≥ 1).
   * @returns how many were moved (fewer than `max` when the lot ran out; 0 for an empty or unknown lot).
   * @throws Error when `routingKey` has no durable consumer here; BrokerUnavailableError while the broker is down.
   */
  async unpark(routingKey: string, lot: string, max: number): Promise<number> {
    const spec = this.specs.find((s) => s.routingKey === routingKey && s.kind === 'main' && !s.exclusive);
    if (!spec) throw new Error(`unpark: no durable consumer of ${routingKey} in ${this.serviceName}`);
    if (!Number.isInteger(max) || max < 1) return 0;
    const lotQueue = queueNames.parked(spec.queue, lot);
    const channel = await this.lotChannel();
    await this.assertLot(channel, lotQueue);
    let moved = 0;
    while (moved < max) {
      const msg = await channel.get(lotQueue, { noAck: false });
      if (!msg) break;
      try {
        await this.connection.publish('', spec.queue, msg.content, {
          ...this.forwardProperties(msg, {}),
          priority: UNPARKED_PRIORITY,
        });
      } catch (err) {
        channel.nack(msg, false, true);
        throw err;
      }
      channel.ack(msg);
      moved++;
    }
    return moved;
  }

  /** The channel `unpark` reads lots with: opened on first use, again after it (or the connection) closed. */
  private lotChannel(): Promise<Channel> {
    if (!this.unparkChannel) {
      const opening: Promise<Channel> = this.connection.createChannel().then((channel) => {
        const forget = () => {
          if (this.unparkChannel === opening) this.unparkChannel = undefined;
        };
        channel.on('close', forget);
        channel.on('error', forget);
        return channel;
      });
      opening.catch(() => {
        if (this.unparkChannel === opening) this.unparkChannel = undefined;
      });
      this.unparkChannel = opening;
    }
    return this.unparkChannel;
  }

  /**
   * Schedules the next attempt after `delay` ms (≤ `ceiling`, the TTL of the retry queue `${queue}.retry.${ceiling}`;
   * a shorter delay is the message's own `expiration`), then acks this delivery.
   */
  private async retryAndAck(
    consumer: LiveConsumer,
    msg: ConsumeMessage,
    attempt: number,
    ceiling: number,
    delay: number,
  ): Promise<void> {
    const { spec, channel } = consumer;
    const props = this.forwardProperties(msg, { [HEADERS.attempt]: attempt + 1 });
    if (spec.exclusive) {
      // Exclusive queues die with this instance: delay in memory, then put the message back on the same queue.
      this.settle(channel, msg, 'ack');
      this.later(delay, () => {
        this.connection.publish('', spec.queue, msg.content, props).catch((err: unknown) => {
          this.log.error(`Retry of ${spec.routingKey} on ${spec.queue} lost: ${errorMessage(err)}`);
        });
      });
      return;
    }
    // RabbitMQ expires messages only at the head of a queue, so a shorter TTL behind a longer one waits for it:
    // every delay in this queue is ≤ its TTL, hence the wait stays within [delay, ceiling].
    if (delay < ceiling) props.expiration = String(delay);
    try {
      await this.connection.publish('', queueNames.retry(spec.homeQueue, ceiling), msg.content, props);
      this.settle(channel, msg, 'ack');
    } catch (err) {
      this.log.warn(`Could not schedule retry of ${spec.routingKey}: ${errorMessage(err)}; requeueing`);
      this.settle(channel, msg, 'requeue');
    }
  }

  /**
   * Moves the message to `${service}.dead-letter` (headers: error, routing key, home queue, reason, attempt,
   * redeliveries) and announces it as `bus.message.dead-lettered.v1`, then acks it. If the broker refuses either
   * publication the message is requeued instead: it is never lost.
   */
  private async deadLetterAndAck(
    consumer: LiveConsumer,
    msg: ConsumeMessage,
    reason: DeadLetterReason,
    error: string,
    attempt: number,
    redeliveries: number,
  ): Promise<void> {
    const { spec, channel } = consumer;
    const shortError = error.length > 1000 ? `${error.slice(0, 997)}...` : error;
    const props = this.forwardProperties(msg, {
      [HEADERS.error]: shortError,
      [HEADERS.routingKey]: spec.routingKey,
      [HEADERS.queue]: spec.homeQueue,
      [HEADERS.reason]: reason,
      [HEADERS.attempt]: attempt,
      [HEADERS.redeliveries]: redeliveries,
    });
    try {
      await this.announceDeadLetter(spec, msg, reason, shortError, attempt, redeliveries);
      await this.connection.publish('', queueNames.deadLetter(this.serviceName), msg.content, props);
      this.settle(channel, msg, 'ack');
    } catch (err) {
      this.log.warn(`Could not dead-letter ${spec.routingKey}: ${errorMessage(err)}; requeueing`);
      this.settle(channel, msg, 'requeue');
    }
  }

  /** Publishes `bus.message.dead-lettered.v1` (not for dead-lettered announcements themselves). */
  private async announceDeadLetter(
    spec: ConsumerSpec,
    msg: ConsumeMessage,
    reason: DeadLetterReason,
    error: string,
    attempt: number,
    redeliveries: number,
  ): Promise<void> {
    if (this.options.deadLetterEvents === false) return;
    if (spec.routingKey === BusMessageDeadLetteredV1.routingKey) return;
    let data: Record<string, unknown> | undefined;
    let correlationId: string | undefined;
    let causationId: string | undefined;
    try {
      const raw = JSON.parse(msg.content.toString('utf8')) as Partial<Envelope>;
      if (raw && typeof raw.data === 'object' && raw.data !== null && !Array.isArray(raw.data))
        data = raw.data as Record<string, unknown>;
      if (typeof raw?.correlationId === 'string' && raw.correlationId) correlationId = raw.correlationId;
      if (typeof raw?.id === 'string' && raw.id) causationId = raw.id;
    } catch {
      /* not JSON: announced without data */
    }
    const event = Object.assign(new BusMessageDeadLetteredV1(), {
      service: this.serviceName,
      queue: spec.homeQueue,
      messageType: spec.routingKey,
      ...(typeof msg.properties.messageId === 'string' ? { messageId: msg.properties.messageId } : {}),
      reason,
      error,
      attempts: attempt,
      crashes: redeliveries,
      ...(data ? { data } : {}),
    });
    const priority = Math.min(
      typeof msg.properties.priority === 'number' ? msg.properties.priority : 0,
      MAX_PRIORITY,
    );
    const { envelope } = buildEnvelope(event, {
      producer: this.serviceName,
      correlationId,
      causationId,
      priority,
    });
    await this.announcer.publishEnvelope(envelope, priority);
  }
}

/** The 1-based attempt of a delivery from its `x-vellum-attempt` header (absent or malformed → 1). */
export function attemptOf(msg: Pick<ConsumeMessage, 'properties'>): number {
  const raw: unknown = msg.properties.headers?.[HEADERS.attempt];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Redeliveries counted so far, from the `x-vellum-redeliveries` header (absent or malformed → 0). */
export function redeliveriesOf(msg: Pick<ConsumeMessage, 'properties'>): number {
  const raw: unknown = msg.properties.headers?.[HEADERS.redeliveries];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
