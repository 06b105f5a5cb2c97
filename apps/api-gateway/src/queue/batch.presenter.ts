import { Injectable } from '@nestjs/common';
import type { Batch } from '@vellum/db';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { BATCH_FIELDS } from './batch.fields';

/** Renders a batch as `vocab:Batch` (SPEC.md §3.3) from its field table: absent values omitted, links that resolve. */
@Injectable()
export class BatchPresenter {
  constructor(private readonly links: Links) {}

  render(b: Batch): Record<string, unknown> {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.batch(b.customerId, b.id),
      '@type': BATCH_FIELDS.type,
      ...BATCH_FIELDS.present(b, this.links),
    };
  }
}
