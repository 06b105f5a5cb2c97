import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createPrismaClient, PRISMA, type PrismaClient } from '@vellum/db';
import { DatabaseReadiness } from './readiness';

/** Closes the pool after in-flight requests and messages finished (Nest's shutdown order, see bootstrapService). */
@Injectable()
class PrismaLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

/**
 * The app's one PrismaClient (JS engine over node-postgres, see @vellum/db), provided globally under `PRISMA`
 * with the `database` readiness indicator, and disconnected on shutdown after in-flight work (SPEC.md §9).
 */
@Global()
@Module({})
export class DatabaseModule {
  /** @param databaseUrl `postgresql://…` of the metadata store. */
  static forRoot(databaseUrl: string): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: PRISMA, useFactory: () => createPrismaClient(databaseUrl) },
        DatabaseReadiness,
        PrismaLifecycle,
      ],
      exports: [PRISMA, DatabaseReadiness],
    };
  }
}
