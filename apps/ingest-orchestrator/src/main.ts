import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { bootstrapService, runService, validateEnv } from '@vellum/common';
import { PRISMA, type PrismaClient } from '@vellum/db';
import { createTransport } from '@vellum/messaging';
import { AppModule } from './app.module';
import { OrchestratorEnv } from './orchestrator.env';
import { SERVICE_NAME } from './tokens';
import { orchestratorTransportOptions } from './transport-options';

/** Starts the ingest-orchestrator: env validated first (fail fast, naming the bad variable), then Nest. */
async function main(): Promise<void> {
  const env = validateEnv(OrchestratorEnv);
  await bootstrapService(AppModule.forRoot({ env }), {
    serviceName: SERVICE_NAME,
    env,
    port: env.PORT,
    transport: (app: INestApplicationContext) =>
      createTransport(app, orchestratorTransportOptions(env, app.get<PrismaClient>(PRISMA))),
  });
}

runService(SERVICE_NAME, main);
