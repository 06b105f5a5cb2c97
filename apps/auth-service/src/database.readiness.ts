import { Inject, Injectable } from '@nestjs/common';
import type { ReadinessIndicator } from '@vellum/common';
import { PRISMA, pingDatabase, type PrismaClient } from '@vellum/db';

/** `/health/ready` answers 503 while PostgreSQL does not (SPEC.md §9). */
@Injectable()
export class DatabaseReadiness implements ReadinessIndicator {
  readonly name = 'database';
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  check(): Promise<void> {
    return pingDatabase(this.prisma);
  }
}
