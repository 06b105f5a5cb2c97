export {
  BaseEnv,
  EnvBoolean,
  EnvInt,
  EnvValidationError,
  IsListenHost,
  IsSecretsKeyList,
  IsPort,
  IsUrlLike,
  LOG_LEVELS,
  validateEnv,
} from './env';
export type { EnvProblem, LogLevel } from './env';
export { ObjectStoreEnv, StorageEnv } from './storage-env';
export {
  assignRequestCorrelationId,
  correlation,
  CORRELATION_HEADER,
  correlationIdFromHeaders,
  correlationMiddleware,
  newCorrelationId,
  REQUEST_ID_HEADER,
} from './correlation';
export { buildLoggerParams, buildPinoOptions, createLogger, isOpsPath, REDACT_PATHS } from './logging';
export type { LoggingOptions } from './logging';
export { VELLUM_COMMON_OPTIONS } from './options';
export type { ReadinessIndicator, VellumCommonOptions } from './options';
export { HTTP_DURATION_BUCKETS, httpMetricsMiddleware, MetricsService } from './metrics.service';
export { MetricsController } from './metrics.controller';
export { HealthController } from './health.controller';
export { OPS_ROUTES, VellumCommonModule } from './vellum-common.module';
export { bootstrapService, runService } from './bootstrap';
export { isClusterWorker, runClustered, workerCount } from './cluster';
export type { BootstrapOptions } from './bootstrap';
export {
  createValidationPipe,
  problem,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  ProblemException,
  ProblemExceptionFilter,
  problemSlugForStatus,
  problemType,
  toFieldErrors,
  toProblem,
  validationExceptionFactory,
} from './problem';
export type { FieldError, ProblemDetails, RenderedProblem } from './problem';
// Re-exported so apps inject the same logger classes VellumCommonModule registers.
export { InjectPinoLogger, Logger, PinoLogger } from 'nestjs-pino';
export { DatabaseReadiness, StorageReadiness } from './readiness';
export { DatabaseModule } from './database.module';
export { clientErrorResponse, installClientErrorHandler, requestPathOf } from './client-error';
export {
  DEFAULT_TRUSTED_PROXIES,
  formatHost,
  IsTrustedProxies,
  normaliseBaseUrl,
  parseHost,
  publicBaseUrl,
  requestOrigin,
  trustedProxies,
} from './public-url';
export type { HostPort, RequestLike, RequestOrigin, TrustProxy } from './public-url';
export {
  findUnstorableStrings,
  INT32_MAX,
  INT32_MIN,
  INT64_SAFE_MAX,
  INT64_SAFE_MIN,
  IsInt32,
  IsInt64,
  isInt32,
  IsList,
  IsText,
  jsonNestingDepth,
  textProblem,
  unstorableReason,
} from './validation';
export type { TextRule } from './validation';
