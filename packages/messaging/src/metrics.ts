import { Counter, Histogram, Registry } from 'prom-client';

/** How a consumed message ended. */
export type ConsumeOutcome =
  'success' | 'retry' | 'dead_letter' | 'invalid' | 'redelivered' | 'crashed' | 'held' | 'parked';

/** Where the transport reports consumed messages. */
export interface MessageMetricsSink {
  /** One handled delivery: its routing key, outcome and handler duration in seconds (0 for invalid ones). */
  observe(routingKey: string, outcome: ConsumeOutcome, seconds: number): void;
}

/**
 * Prometheus metrics of consumed messages, registered on the given registry (the app's `MetricsService.registry`):
 * - `vellum_messages_consumed_total{routing_key,outcome}` counter (outcome: success | retry | dead_letter | invalid |
 *   redelivered (moved to the suspect lane) | crashed (dead-lettered after `maxRedeliveries`) | held (a dependency
 *   outage paused it; it runs again) | parked (set aside in a parking lot by `ParkMessage`));
 * - `vellum_message_handler_duration_seconds{routing_key}` histogram of handler run time (s).
 * Re-uses metrics already registered under those names, so two transports can share one registry.
 */
export class PromMessageMetrics implements MessageMetricsSink {
  private readonly consumed: Counter<'routing_key' | 'outcome'>;
  private readonly duration: Histogram<'routing_key'>;

  constructor(registry: Registry) {
    this.consumed =
      (registry.getSingleMetric('vellum_messages_consumed_total') as
        Counter<'routing_key' | 'outcome'> | undefined) ??
      new Counter({
        name: 'vellum_messages_consumed_total',
        help: 'Messages consumed from RabbitMQ, by routing key and outcome (success, retry, dead_letter, invalid)',
        labelNames: ['routing_key', 'outcome'],
        registers: [registry],
      });
    this.duration =
      (registry.getSingleMetric('vellum_message_handler_duration_seconds') as
        Histogram<'routing_key'> | undefined) ??
      new Histogram({
        name: 'vellum_message_handler_duration_seconds',
        help: 'Run time of message handlers in seconds, by routing key',
        labelNames: ['routing_key'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
        registers: [registry],
      });
  }

  observe(routingKey: string, outcome: ConsumeOutcome, seconds: number): void {
    this.consumed.inc({ routing_key: routingKey, outcome });
    if (outcome !== 'invalid') this.duration.observe({ routing_key: routingKey }, seconds);
  }
}

/** Sinks registered by `MessagingModule` per service name, picked up by transports built outside Nest's container. */
const sinks = new Map<string, MessageMetricsSink>();

/** Registers where consumer metrics of `serviceName`'s transports go (set by MessagingModule when the app has a MetricsService). */
export function registerMetricsSink(serviceName: string, sink: MessageMetricsSink): void {
  sinks.set(serviceName, sink);
}

/** Removes a sink registered with {@link registerMetricsSink} (module teardown). */
export function unregisterMetricsSink(serviceName: string, sink: MessageMetricsSink): void {
  if (sinks.get(serviceName) === sink) sinks.delete(serviceName);
}

/** The metrics sink of `serviceName`, or undefined when none is registered. */
export function metricsSinkFor(serviceName: string): MessageMetricsSink | undefined {
  return sinks.get(serviceName);
}
