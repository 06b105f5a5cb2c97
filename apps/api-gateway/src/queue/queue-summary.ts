import { DLCS_CONTEXT } from '../http/json-ld';
import type { Links } from '../http/links.service';
import type { SchemaObject } from '../resource/field-table';
import { registerSchema } from '../resource/openapi';
import type { PlatformQueueCounts, QueueCounts } from './batches.repository';

const count = (description: string): SchemaObject => ({ type: 'integer', description });
const link = (description: string): SchemaObject => ({ type: 'string', format: 'uri', description });
const RESOURCE: Record<string, SchemaObject> = {
  '@context': { type: 'string', description: 'JSON-LD context' },
  '@id': { type: 'string', format: 'uri', description: 'Absolute URL of this resource' },
  '@type': { type: 'string', enum: ['vocab:Queue'] },
};

/**
 * The OpenAPI schema of a customer's queue (`GET C/queue`, `GET C/queue/priority`; SPEC.md §3.3): how much work
 * waits in it, with links to its batch lists.
 */
export const QUEUE_SCHEMA_REF = registerSchema('Queue', {
  type: 'object',
  description:
    "A customer's queue (vocab:Queue): the default queue, or the priority queue at C/queue/priority",
  required: ['@id', '@type', 'size', 'batchesWaiting', 'imagesWaiting'],
  properties: {
    ...RESOURCE,
    size: count('Assets waiting in this queue (equals imagesWaiting)'),
    batchesWaiting: count('Unfinished batches of this queue'),
    imagesWaiting: count(
      'Assets still ingesting in unfinished batches of this queue, each counted once (in the batch it is now in)',
    ),
    batches: link('Every batch of the customer, ascending id'),
    active: link('Unfinished batches'),
    recent: link('Finished batches, latest finished first'),
    priority: link('The priority queue (on the default queue only)'),
  },
});

/** The OpenAPI schema of the platform's queue summary (`GET /queue`, admin; SPEC.md §3.2). */
export const QUEUE_SUMMARY_SCHEMA_REF = registerSchema('QueueSummary', {
  type: 'object',
  description:
    'Waiting work across every customer (vocab:Queue at /queue): assets still ingesting, by lane and family',
  required: ['@id', '@type', 'size'],
  properties: {
    ...RESOURCE,
    size: count('Every asset still ingesting (queued or immediate registrations)'),
    batchesWaiting: count('Unfinished batches'),
    imagesWaiting: count('Assets still ingesting in a batch'),
    incoming: count('Images (family I) waiting in normal batches'),
    priority: count(
      'Images and files on the priority lane: priority batches and immediate registrations still ingesting',
    ),
    timebased: count('Audio and video (family T) still ingesting, on either lane'),
    file: count('Files (family F) waiting in normal batches'),
  },
});

/** The OpenAPI schema of `POST .../batches/{b}/test` (SPEC.md §3.3, as the reference answers it). */
export const BATCH_TEST_SCHEMA_REF = registerSchema('BatchTestResult', {
  type: 'object',
  required: ['success'],
  properties: {
    success: { type: 'boolean', description: 'True when the batch is (now) finished or superseded' },
  },
});

/**
 * Renders a customer's queue (`vocab:Queue`).
 * @param priority true for the priority queue (`C/queue/priority`).
 */
export function renderQueue(links: Links, customerId: number, counts: QueueCounts, priority: boolean) {
  return {
    '@context': DLCS_CONTEXT,
    '@id': priority ? links.priorityQueue(customerId) : links.queue(customerId),
    '@type': 'vocab:Queue',
    size: counts.imagesWaiting,
    batchesWaiting: counts.batchesWaiting,
    imagesWaiting: counts.imagesWaiting,
    batches: links.batches(customerId),
    active: links.activeBatches(customerId),
    recent: links.recentBatches(customerId),
    ...(priority ? {} : { priority: links.priorityQueue(customerId) }),
  };
}

/** Renders the platform's queue summary (`vocab:Queue` at `/queue`). */
export function renderQueueSummary(links: Links, counts: PlatformQueueCounts) {
  return {
    '@context': DLCS_CONTEXT,
    '@id': links.platformQueue(),
    '@type': 'vocab:Queue',
    size: counts.size,
    batchesWaiting: counts.batchesWaiting,
    imagesWaiting: counts.imagesWaiting,
    incoming: counts.incoming,
    priority: counts.priority,
    timebased: counts.timebased,
    file: counts.file,
  };
}
