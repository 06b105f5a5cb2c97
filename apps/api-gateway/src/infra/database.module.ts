import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { ReadinessIndicator } from '@vellum/common';
import { createPrismaClient, pingDatabase, PRISMA, type PrismaClient } from '@vellum/db';

/** `/health/ready` indicator: Postgres answers `SELECT 1`. */
@Injectable()
export class PostgresReadiness implements ReadinessIndicator {
  readonly name = 'database';
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  check(): Promise<void> {
    return pingDatabase(this.prisma);
  }
}

/** Disconnects the pool after in-flight requests finished (Nest's shutdown order, see bootstrapService). */
@Injectable()
class PrismaLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

/** Provides the shared PrismaClient under `PRISMA` (global) and the Postgres readiness indicator. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(databaseUrl: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [{ provide: PRISMA, useFactory: () => createPrismaClient(databaseUrl) }, PostgresReadiness, PrismaLifecycle],
      exports: [PRISMA, PostgresReadiness],
    };
  }
}
