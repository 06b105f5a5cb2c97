import { Injectable } from '@nestjs/common';
import type { ReadinessIndicator } from '@vellum/common';
import { AmqpConnectionManager } from './connection-manager';
import { BrokerUnavailableError } from './errors';
import { transportsFor } from './transport';

/**
 * Readiness of the broker connection for `GET /health/ready` (register it with
 * `VellumCommonModule.forRoot({ readiness: [AmqpReadiness] })`). Ready when the publisher's connection is up
 * and every `VellumRmqTransport` of this service listening in the process is connected and subscribed.
 */
@Injectable()
export class AmqpReadiness implements ReadinessIndicator {
  readonly name = 'rabbitmq';

  constructor(private readonly connection: AmqpConnectionManager) {}

  /** @throws BrokerUnavailableError naming which connection is down. */
  async check(): Promise<void> {
    if (!this.connection.isConnected) {
      throw new BrokerUnavailableError(`publisher ${this.connection.lastConnectionError ?? 'not connected'}`);
    }
    for (const t of transportsFor(this.connection.serviceName)) {
      if (!t.isConnected) {
        throw new BrokerUnavailableError(`consumer ${t.connection.lastConnectionError ?? 'not connected'}`);
      }
    }
  }
}
