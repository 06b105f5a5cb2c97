import { Injectable } from '@nestjs/common';
import { Envelope, validateEnvelope } from '@vellum/contracts';
import { AmqpConnectionManager } from './connection-manager';
import { buildEnvelope, checkPriority, PublishOptions } from './envelope-builder';
import { laneRoutingKey } from './options';

/**
 * Publishes registered messages to the topic exchange with publisher confirms (SPEC.md §2 "Bus").
 * Inject it anywhere once `MessagingModule.forRoot(...)` is imported (the module is global).
 */
@Injectable()
export class MessagePublisher {
  constructor(private readonly connection: AmqpConnectionManager) {}

  /**
   * Validates `message` (an instance of a registered message class) with `validatePayload`, wraps it in an
   * envelope (`producer` = serviceName, `correlationId` defaults to `correlation.getOrCreate()`, `causationId`
   * to the message being handled) and publishes it persistent, with `priority` (0–10, default 0) and the routing
   * key {@link laneRoutingKey} gives: the class's `routingKey`, plus `.priority` on the priority lane. Resolves
   * when the broker confirms.
   * @throws TypeError (unregistered class), InvalidMessageError (invalid payload), RangeError (bad priority),
   *   BrokerUnavailableError (not connected: rejects at once; retry later), Error (nacked / confirm timeout).
   */
  async publish(message: object, opts: PublishOptions = {}): Promise<void> {
    const { envelope, priority } = buildEnvelope(message, { ...opts, producer: this.connection.serviceName });
    await this.publishEnvelope(envelope, priority);
  }

  /**
   * Publishes a ready-made envelope (e.g. an outbox row's) to the exchange with routing key
   * `laneRoutingKey(envelope.type, priority)`.
   * The payload is not re-validated (it was validated when the envelope was built).
   * @throws InvalidMessageError (malformed envelope), RangeError, BrokerUnavailableError, Error (as `publish`).
   */
  async publishEnvelope(envelope: Envelope, priority = 0): Promise<void> {
    validateEnvelope(envelope);
    const p = checkPriority(priority);
    await this.connection.publish(
      this.connection.exchange,
      laneRoutingKey(envelope.type, p),
      Buffer.from(JSON.stringify(envelope)),
      {
        persistent: true,
        priority: p,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        messageId: envelope.id,
        correlationId: envelope.correlationId,
        type: envelope.type,
        appId: envelope.producer,
        timestamp: Math.floor(Date.parse(envelope.occurredAt) / 1000) || Math.floor(Date.now() / 1000),
      },
    );
  }
}
