import { isDatabaseUnavailable, pingDatabase, type PrismaClient } from '@vellum/db';
import { transportEnvOptions, type TransportOptions } from '@vellum/messaging';
import { ingestConsumerOptions } from './asset-ingest-requested.handler';
import type { OrchestratorEnv } from './orchestrator.env';

/**
 * The orchestrator's transport settings beyond the connection (used by `main.ts` and the integration tests): staging
 * lanes and prefetch from the env, the crash bound, and PostgreSQL as the outage gate (SPEC.md §10 "Reliability":
 * while the database is down, consumers pause and messages keep their retry budget).
 */
export function orchestratorTransportOptions(
  env: OrchestratorEnv,
  prisma: PrismaClient,
): Partial<TransportOptions> {
  return {
    ...transportEnvOptions(env),
    consumers: ingestConsumerOptions(env),
    outage: { name: 'PostgreSQL', isOutage: isDatabaseUnavailable, probe: () => pingDatabase(prisma) },
  };
}
