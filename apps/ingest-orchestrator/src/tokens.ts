/** Nest injection tokens of the ingest-orchestrator (see app.module.ts). */

/** The validated {@link OrchestratorEnv}. */
export const ORCHESTRATOR_ENV = Symbol('ORCHESTRATOR_ENV');
/** The bucket names (`VellumBuckets` from @vellum/storage). */
export const BUCKETS = Symbol('VELLUM_BUCKETS');
/** The {@link OriginStager}. */
export const ORIGIN_STAGER = Symbol('ORIGIN_STAGER');
/** The {@link StagingScheduler} shared by every ingest request of this replica. */
export const STAGING_SCHEDULER = Symbol('STAGING_SCHEDULER');
/** The `SecretBox` (@vellum/secrets) that opens origin credentials sealed by the api-gateway. */
export const SECRET_BOX = Symbol('SECRET_BOX');
/** The {@link Clock}. */
export const CLOCK = Symbol('CLOCK');

/** The service name: envelope `producer`, queue prefix, log/metric label. */
export const SERVICE_NAME = 'ingest-orchestrator';

/** The clock seam (STYLE.md: "the clock: one injectable class"), so the sweeper and finaliser are testable. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
