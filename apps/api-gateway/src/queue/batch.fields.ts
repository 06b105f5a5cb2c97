import type { Batch } from '@vellum/db';
import { iso } from '../http/json-ld';
import type { Links } from '../http/links.service';
import { defineFields, type OrderBy } from '../resource/field-table';

/**
 * `estCompletion` of a running batch: linear extrapolation of its progress so far (members with an outcome:
 * completed, errors, cancelled); undefined before any landed, once all have, and once finished.
 * @param now milliseconds since the epoch.
 */
export function estimateCompletion(
  b: Pick<Batch, 'submitted' | 'count' | 'completed' | 'errors' | 'cancelled' | 'finished'>,
  now = Date.now(),
): Date | undefined {
  const done = b.completed + b.errors + b.cancelled;
  if (b.finished || done === 0 || done >= b.count) return undefined;
  const elapsed = now - b.submitted.getTime();
  return new Date(b.submitted.getTime() + (elapsed * b.count) / done);
}

/**
 * The batch resource (`vocab:Batch`, SPEC.md §3.3 "Queue and batches"), field by field: the presenter, the
 * `orderBy` whitelist, the list filters and the OpenAPI schema are derived from it. Batches have no writable
 * fields: they are made by `POST C/queue[/priority]` and `reingestErrors`, changed only by ingest outcomes,
 * `cancel` and `test`. Links are named after their path segment (SPEC.md §3.1), except the failed members'
 * collection (`.../errors`), whose name `errors` is the counter's: it is `errorImages`.
 */
export const BATCH_FIELDS = defineFields<Batch, Links>()(
  'vocab:Batch',
  {
    id: { type: 'integer', description: 'Batch id (ascending in submission order)', order: true },
    submitted: { type: 'date-time', description: 'When the batch was accepted', render: 'iso', order: true },
    count: { type: 'integer', description: 'Members submitted', order: true },
    completed: { type: 'integer', description: 'Members that succeeded', order: true },
    errors: { type: 'integer', description: 'Members that failed', order: true },
    cancelled: {
      type: 'integer',
      description: 'Members cancelled before they started (POST .../cancel)',
      order: true,
    },
    finished: {
      type: 'date-time',
      description: 'When completed + errors + cancelled reached count (absent while running)',
      render: 'iso',
      order: true,
    },
    superseded: {
      type: 'boolean',
      description: 'True once none of its members still has it as batch (they were resubmitted)',
      filter: 'boolean',
    },
    priority: {
      type: 'boolean',
      description: 'True when submitted to the priority queue (C/queue/priority)',
      filter: 'boolean',
    },
    estCompletion: {
      type: 'date-time',
      description: 'Estimated completion, extrapolated from progress so far (running batches only)',
      render: (b) => iso(estimateCompletion(b)),
    },
    images: {
      type: 'link',
      description: 'Current members: assets whose batch is this one',
      render: (b, links) => links.batchImages(b.customerId, b.id),
    },
    assets: {
      type: 'link',
      description: 'Every asset ever submitted in this batch',
      render: (b, links) => links.batchAssets(b.customerId, b.id),
    },
    errorImages: {
      type: 'link',
      description: 'Failed members, each with its error',
      render: (b, links) => links.batchErrors(b.customerId, b.id),
    },
  },
  ['id'],
);

/** `GET C/queue/batches` and `C/queue/active` order: ascending id (as the reference). */
export const BATCH_DEFAULT_ORDER: OrderBy = [{ id: 'asc' }];
/** `GET C/queue/recent` order: latest `finished` first. */
export const RECENT_BATCH_ORDER: OrderBy = [{ finished: 'desc' }, { id: 'desc' }];
