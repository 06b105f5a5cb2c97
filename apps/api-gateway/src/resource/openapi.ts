import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type OpenAPIObject } from '@nestjs/swagger';
import type { FieldTable, SchemaObject } from './field-table';

/** Schemas of the resources the routes answer with, by component name (filled by the decorators below). */
const COMPONENTS = new Map<string, SchemaObject>();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTable = FieldTable<any, string, any>;

/** The component name of a table's resource: its `@type` without the `vocab:` prefix (`Image`, `Space`). */
export function componentName(table: AnyTable | string): string {
  return (typeof table === 'string' ? table : table.type).replace(/^vocab:/, '');
}

/** Registers a resource schema under `name` (for shapes with no field table: the entry point, `test` results). */
export function registerSchema(name: string, schema: SchemaObject): string {
  COMPONENTS.set(name, schema);
  return `#/components/schemas/${name}`;
}

function refOf(table: AnyTable): SchemaObject {
  const name = componentName(table);
  if (!COMPONENTS.has(name)) COMPONENTS.set(name, table.schema(`A ${name} (${table.type})`));
  return { $ref: `#/components/schemas/${name}` };
}

/** The schema of a Hydra collection of `item` (SPEC.md §3.1). */
export function collectionSchema(item: SchemaObject): SchemaObject {
  return {
    type: 'object',
    required: ['@id', '@type', 'totalItems', 'member'],
    properties: {
      '@context': { type: 'string', example: 'http://www.w3.org/ns/hydra/context.jsonld' },
      '@id': { type: 'string', format: 'uri' },
      '@type': { type: 'string', enum: ['Collection'] },
      totalItems: { type: 'integer' },
      pageSize: { type: 'integer' },
      member: { type: 'array', items: item },
      view: { $ref: '#/components/schemas/PartialCollectionView' },
    },
  };
}

registerSchema('PartialCollectionView', {
  type: 'object',
  description: 'Paging links, present only when there is more than one page',
  properties: {
    '@id': { type: 'string', format: 'uri' },
    '@type': { type: 'string', enum: ['PartialCollectionView'] },
    first: { type: 'string', format: 'uri' },
    previous: { type: 'string', format: 'uri' },
    next: { type: 'string', format: 'uri' },
    last: { type: 'string', format: 'uri' },
    page: { type: 'integer' },
    pageSize: { type: 'integer' },
    totalPages: { type: 'integer' },
  },
});

/**
 * Documents a route answering with one resource of `table` (its schema derived from the field table).
 * @param status 200 (read/update), 201 (create: also documents `Location`), 202 (accepted, still ingesting).
 */
export function ApiResource(table: AnyTable, status: 200 | 201 | 202 = 200, description?: string) {
  return ApiResponse({
    status,
    description:
      description ??
      (status === 201 ? `Created: the new ${componentName(table)}` : `The ${componentName(table)}`),
    schema: refOf(table),
    ...(status === 201
      ? { headers: { Location: { description: 'URL of the new resource', schema: { type: 'string' } } } }
      : {}),
  });
}

/** Documents a route answering with a Hydra collection of `table`'s resources. */
export function ApiCollection(table: AnyTable, description?: string) {
  return ApiResponse({
    status: 200,
    description: description ?? `A page of ${componentName(table)} resources`,
    schema: collectionSchema(refOf(table)),
  });
}

/** Documents a route answering with a schema registered by {@link registerSchema} (or given inline). */
export function ApiShape(status: number, description: string, schema: SchemaObject) {
  return ApiResponse({ status, description, schema: schema });
}

/** Documents a `204 No Content` answer (deletes). */
export function ApiNoContent(description = 'Deleted') {
  return applyDecorators(ApiResponse({ status: 204, description }));
}

const HEALTH_SCHEMA: SchemaObject = {
  type: 'object',
  description: "@nestjs/terminus' health check result",
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: { type: 'object' },
    error: { type: 'object' },
    details: { type: 'object' },
  },
};

/**
 * Documents the operational routes every app serves (SPEC.md §9; they come from `@vellum/common`, which stays free
 * of Swagger): `/health/live`, `/health/ready` (terminus' result; 503 when not ready) and `/metrics` (Prometheus
 * text format).
 */
function withOperationalRoutes(doc: OpenAPIObject): void {
  for (const path of ['/health/live', '/health/ready']) {
    const op = doc.paths[path]?.get;
    if (!op) continue;
    op.tags = ['operations'];
    op.responses = {
      ...op.responses,
      '200': { description: 'Healthy', content: { 'application/json': { schema: HEALTH_SCHEMA } } },
      ...(path.endsWith('ready')
        ? {
            '503': {
              description: 'Not ready',
              content: { 'application/json': { schema: HEALTH_SCHEMA } },
            },
          }
        : {}),
    };
  }
  const metrics = doc.paths['/metrics']?.get;
  if (metrics) {
    metrics.tags = ['operations'];
    metrics.responses = {
      ...metrics.responses,
      '200': {
        description: 'Prometheus text exposition format 0.0.4',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    };
  }
}

/** Adds every registered resource schema to the document's components, and documents the operational routes. */
export function withResourceSchemas(doc: OpenAPIObject): OpenAPIObject {
  withOperationalRoutes(doc);
  doc.components ??= {};
  doc.components.schemas = {
    ...Object.fromEntries(COMPONENTS),
    ...doc.components.schemas,
  };
  return doc;
}
