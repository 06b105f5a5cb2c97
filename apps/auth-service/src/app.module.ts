import { type DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule, DatabaseReadiness, VellumCommonModule } from '@vellum/common';
import { AmqpReadiness, MessagingModule } from '@vellum/messaging';
import { AccessController } from './access/access.controller';
import { AccessServicesRepository } from './access/access-services.repository';
import { AuthServiceEnv } from './auth-service.env';
import { keyProviders, RequestContext } from './config/providers';
import { LogoutController } from './logout/logout.controller';
import { LoginLimiter } from './providers/login-limiter';
import { OidcService } from './providers/oidc.service';
import { SessionsService } from './sessions/sessions.service';
import { TokenController } from './token/token.controller';

/** Service name in logs and metrics. */
export const SERVICE_NAME = 'auth-service';

/**
 * auth-service: the IIIF Authorization Flow 2.0 access, token and logout services (SPEC.md §6; issue 10
 * contract): Postgres (access services, role providers, built-in users, sessions, outbox), the bus (the outbox
 * relay publishing `auth.session.ended.v1`), logs, health and metrics.
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
          readiness: [DatabaseReadiness, AmqpReadiness],
        }),
        DatabaseModule.forRoot(env.DATABASE_URL),
        MessagingModule.forRoot({
          serviceName: SERVICE_NAME,
          amqpUrl: env.AMQP_URL,
          exchange: env.AMQP_EXCHANGE,
          outbox: true,
        }),
      ],
      controllers: [AccessController, TokenController, LogoutController],
      providers: [
        { provide: AuthServiceEnv, useValue: env },
        ...keyProviders(env),
        RequestContext,
        AccessServicesRepository,
        SessionsService,
        LoginLimiter,
        OidcService,
      ],
    };
  }
}
