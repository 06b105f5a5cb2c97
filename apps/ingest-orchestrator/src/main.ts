import 'reflect-metadata';
import { bootstrapService, runService, validateEnv } from '@vellum/common';
import { createTransport } from '@vellum/messaging';
import { AppModule } from './app.module';
import { OrchestratorEnv } from './orchestrator.env';
import { SERVICE_NAME } from './tokens';

/** Starts the ingest-orchestrator: env validated first (fail fast, naming the bad variable), then Nest. */
async function main(): Promise<void> {
  const env = validateEnv(OrchestratorEnv);
  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: env.AMQP_URL,
    exchange: env.AMQP_EXCHANGE,
  });
  await bootstrapService(AppModule.forRoot({ env }), {
    serviceName: SERVICE_NAME,
    env,
    port: env.PORT,
    transport,
  });
}

runService(SERVICE_NAME, main);
