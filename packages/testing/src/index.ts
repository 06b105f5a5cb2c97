/**
 * @vellum/testing: the test harness for integration and end-to-end tests ("we don't mock, we boot").
 * Real Postgres (a migrated template database cloned per test file), RabbitMQ (unique vhosts/names), an S3-protocol
 * server, fixture paths and polling helpers. Never import it from production code.
 */
export * from './fixtures';
export * from './wait';
export * from './database';
export * from './s3';
export * from './rabbitmq';
export * from './private-postgres';
export * from './private-rabbitmq';
export * from './daemon';
export * from './origin-servers';
export * from './presentation';
export * from './oidc-provider';
