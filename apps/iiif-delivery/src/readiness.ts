import { Inject, Injectable } from '@nestjs/common';
import type { ReadinessIndicator } from '@vellum/common';
import { pingDatabase, PRISMA, type PrismaClient } from '@vellum/db';
import type { ObjectStore } from '@vellum/storage';
import { OBJECT_STORE } from './tokens';

/** `/health/ready` indicator: Postgres answers `SELECT 1`. */
@Injectable()
export class DatabaseReadiness implements ReadinessIndicator {
  readonly name = 'database';
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  check(): Promise<void> {
    return pingDatabase(this.prisma);
  }
}

/** `/health/ready` indicator: the object store answers. */
@Injectable()
export class StorageReadiness implements ReadinessIndicator {
  readonly name = 'storage';
  constructor(@Inject(OBJECT_STORE) private readonly store: ObjectStore) {}
  check(): Promise<void> {
    return this.store.ping();
  }
}
