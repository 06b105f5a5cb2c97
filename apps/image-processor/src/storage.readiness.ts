import { Inject, Injectable } from '@nestjs/common';
import type { ReadinessIndicator } from '@vellum/common';
import { OBJECT_STORE, type ObjectStore } from '@vellum/storage';

/** `/health/ready` waits on the object store answering (SPEC.md §9). */
@Injectable()
export class StorageReadiness implements ReadinessIndicator {
  readonly name = 'storage';

  constructor(@Inject(OBJECT_STORE) private readonly store: ObjectStore) {}

  check(): Promise<void> {
    return this.store.ping();
  }
}
