import { Module } from '@nestjs/common';
import { DatabaseModule, DatabaseReadiness, VellumCommonModule, validateEnv } from '@vellum/common';
import { AuthServiceEnv } from './auth-service.env';

const env = validateEnv(AuthServiceEnv);

/**
 * auth-service: the IIIF Authorization Flow 2.0 access, token and logout services (SPEC.md §6). This issue
 * ships the deployable shell (config, logs, health, metrics, database); the Auth 2.0 flows arrive with the
 * access-control issue.
 */
@Module({
  imports: [
    VellumCommonModule.forRoot({
      serviceName: 'auth-service',
      logLevel: env.LOG_LEVEL,
      logPretty: env.LOG_PRETTY,
      readiness: [DatabaseReadiness],
    }),
    DatabaseModule.forRoot(env.DATABASE_URL),
  ],
  providers: [{ provide: AuthServiceEnv, useValue: env }],
})
export class AppModule {}
