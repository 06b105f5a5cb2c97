import { type DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule, DatabaseReadiness, VellumCommonModule } from '@vellum/common';
import { AuthServiceEnv } from './auth-service.env';

/** Service name in logs and metrics. */
export const SERVICE_NAME = 'auth-service';

/**
 * auth-service: the IIIF Authorization Flow 2.0 access, token and logout services (SPEC.md §6). This issue
 * ships the deployable shell (config, logs, health, metrics, database); the Auth 2.0 flows arrive with the
 * access-control issue.
 */
@Module({})
export class AppModule {
  /** The module for a validated environment (built by `main.ts` and the integration tests). */
  static forRoot(env: AuthServiceEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [
        VellumCommonModule.forRoot({
          serviceName: SERVICE_NAME,
          logLevel: env.LOG_LEVEL,
          logPretty: env.LOG_PRETTY,
          readiness: [DatabaseReadiness],
        }),
        DatabaseModule.forRoot(env.DATABASE_URL),
      ],
      providers: [{ provide: AuthServiceEnv, useValue: env }],
    };
  }
}
