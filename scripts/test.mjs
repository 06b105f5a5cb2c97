#!/usr/bin/env node
// `npm test`: set up (if needed), check PostgreSQL and RabbitMQ, then run every package's tests
// (unit, integration against real Postgres/RabbitMQ/S3 server, and the end-to-end suite) plus lint
// and typecheck, through Turborepo.
import { setup } from './setup.mjs';
import { DEFAULTS, checkInfrastructure, run, bold, green } from './lib.mjs';

const started = Date.now();
await setup({ quiet: true });
await checkInfrastructure({
  DATABASE_URL: process.env.TEST_DATABASE_URL ?? DEFAULTS.DATABASE_URL,
  AMQP_URL: process.env.TEST_AMQP_URL ?? DEFAULTS.AMQP_URL,
});
console.log(bold('Running lint, typecheck and every test (unit, integration, end-to-end)'));
try {
  await run('pnpm', ['exec', 'turbo', 'run', 'lint', 'typecheck', 'test', '--concurrency=2', '--log-order=grouped', ...process.argv.slice(2)]);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
console.log(green(`✓ All tests passed in ${((Date.now() - started) / 1000).toFixed(1)} s`));
