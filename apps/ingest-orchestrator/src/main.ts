import 'reflect-metadata';
import { bootstrapService, EnvValidationError, validateEnv } from '@vellum/common';
import { createTransport } from '@vellum/messaging';
import { AppModule } from './app.module';
import { OrchestratorEnv } from './orchestrator.env';
import { SERVICE_NAME } from './tokens';

/** Starts the ingest-orchestrator: env validated first (fail fast, naming the bad variable), then Nest. */
async function main(): Promise<void> {
  let env: OrchestratorEnv;
  try {
    env = validateEnv(OrchestratorEnv);
  } catch (err) {
    if (err instanceof EnvValidationError) {
      process.stderr.write(`${SERVICE_NAME}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: env.AMQP_URL,
    exchange: env.AMQP_EXCHANGE,
  });
  await bootstrapService(AppModule.forRoot({ env }), {
    serviceName: SERVICE_NAME,
    port: env.PORT,
    transport,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${SERVICE_NAME}: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
