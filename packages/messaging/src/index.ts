/**
 * @vellum/messaging: the Vellum bus on RabbitMQ (SPEC.md §2 "Bus", "Outbox"; §4.1; §10 "Reliability").
 * Topology, publisher confirms, a Nest custom transport with retry queues and a dead-letter queue per service,
 * the priority lane, and the transactional outbox relay. See README.md.
 */
export * from './options';
export * from './backoff';
export * from './failure-text';
export * from './errors';
export * from './connection-manager';
export * from './envelope-builder';
export * from './publisher';
export { currentMessage } from './message-scope';
export * from './metrics';
export * from './transport';
export * from './readiness';
export * from './outbox';
export * from './dead-letters';
export * from './messaging.module';
export { PRISMA } from '@vellum/db';
