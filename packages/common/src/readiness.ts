import { Inject, Injectable } from '@nestjs/common';
import { pingDatabase, PRISMA, type PrismaClient } from '@vellum/db';
import { OBJECT_STORE, type ObjectStore } from '@vellum/storage';
import type { ReadinessIndicator } from './options';

/**
 * `/health/ready` indicator `database`: PostgreSQL answers `SELECT 1` (SPEC.md §9). Needs the app's
 * PrismaClient under the `PRISMA` token from @vellum/db.
 */
@Injectable()
export class DatabaseReadiness implements ReadinessIndicator {
  readonly name = 'database';
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  check(): Promise<void> {
    return pingDatabase(this.prisma);
  }
}

/**
 * `/health/ready` indicator `storage`: the object store answers (SPEC.md §9). Needs the app's ObjectStore
 * under the `OBJECT_STORE` token from @vellum/storage.
 */
@Injectable()
export class StorageReadiness implements ReadinessIndicator {
  readonly name = 'storage';
  constructor(@Inject(OBJECT_STORE) private readonly store: ObjectStore) {}
  check(): Promise<void> {
    return this.store.ping();
  }
}
