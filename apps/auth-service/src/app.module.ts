import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DatabaseReadiness, VellumCommonModule, validateEnv } from '@vellum/common';
import { PRISMA, createPrismaClient, type PrismaClient } from '@vellum/db';
import { AuthServiceEnv } from './auth-service.env';

/**
 * auth-service: the IIIF Authorization Flow 2.0 access, token and logout services (SPEC.md §6). This issue
 * ships the deployable shell (config, logs, health, metrics, database); the Auth 2.0 flows arrive with the
 * access-control issue.
 */
@Module({
  imports: [VellumCommonModule.forRoot({ serviceName: 'auth-service', readiness: [DatabaseReadiness] })],
  providers: [
    { provide: AuthServiceEnv, useFactory: () => validateEnv(AuthServiceEnv) },
    {
      provide: PRISMA,
      useFactory: (env: AuthServiceEnv) => createPrismaClient(env.DATABASE_URL),
      inject: [AuthServiceEnv],
    },
    DatabaseReadiness,
  ],
})
export class AppModule implements OnApplicationShutdown {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}
