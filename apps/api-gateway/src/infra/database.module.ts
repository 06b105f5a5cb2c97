import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DatabaseReadiness } from '@vellum/common';
import { createPrismaClient, PRISMA, type PrismaClient } from '@vellum/db';

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
      providers: [
        { provide: PRISMA, useFactory: () => createPrismaClient(databaseUrl) },
        DatabaseReadiness,
        PrismaLifecycle,
      ],
      exports: [PRISMA, DatabaseReadiness],
    };
  }
}
