import { Inject, Injectable } from '@nestjs/common';
import type { ReadinessIndicator } from '@vellum/common';
import { PRISMA, pingDatabase, type PrismaClient } from '@vellum/db';
import { OBJECT_STORE, type ObjectStore } from '@vellum/storage';

/** `/health/ready`: Postgres answers `SELECT 1`. */
@Injectable()
export class DatabaseReadiness implements ReadinessIndicator {
  readonly name = 'database';
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  async check(): Promise<void> {
    await pingDatabase(this.prisma);
  }
}

/** `/health/ready`: the object store answers. */
@Injectable()
export class StorageReadiness implements ReadinessIndicator {
  readonly name = 'storage';
  constructor(@Inject(OBJECT_STORE) private readonly store: ObjectStore) {}
  async check(): Promise<void> {
    await this.store.ping();
  }
}
