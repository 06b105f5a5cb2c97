import type { OpenAPIObject } from '@nestjs/swagger';
import { LIMITS } from './limits';

/** The RFC 7807 problem document every error response carries (SPEC.md §3.1). */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['@type', 'type', 'title', 'status'],
  properties: {
    '@type': { type: 'string', enum: ['Error'] },
    type: { type: 'string', format: 'uri', example: 'https://vellum.dev/problems/validation-failed' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Validation problems: every failed field (`member[3].origin`, `string1`, `customer`...)',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * Adds the error responses every operation can give to the generated OpenAPI document (a global mechanism, so
 * new routes get them too): 400 (bad input: field limits, U+0000, unpaired surrogates, int4 ranges, unknown
 * fields), 405 (with `Allow`), 431; for secured operations 401/403/429 (failed-authentication limit, with
 * `Retry-After`) and 503; for operations with a body 413 (size), 415 (not UTF-8).
 */
export function withProblemResponses(doc: OpenAPIObject): OpenAPIObject {
  doc.components ??= {};
  doc.components.schemas = { ...doc.components.schemas, Problem: PROBLEM_SCHEMA };
  for (const item of Object.values(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      const add: Record<string, ReturnType<typeof problemResponse>> = {
        '400': problemResponse(
          'Bad input: a field over its documented limit, a value outside int4, U+0000 or an unpaired surrogate ' +
            'in a path, query or body string, a malformed %-escape, JSON nested deeper than 32 levels, ' +
            'invalid UTF-8, or an unknown body field. `errors` lists every failed field.',
        ),
        '405': problemResponse('The path exists but not with this method; `Allow` lists the methods.'),
      };
      if (op.security?.length) {
        add['401'] = problemResponse('Missing or invalid credentials (`WWW-Authenticate: Basic`).');
        add['403'] = problemResponse(
          'This key may not act on this customer, or the route needs an admin key.',
        );
        add['429'] = problemResponse(
          'Too many failed authentications from this address or for this key; see `Retry-After`.',
        );
        add['503'] = problemResponse(
          'Postgres unavailable or too many authentications being verified; see `Retry-After`.',
        );
      }
      if (op.requestBody) {
        add['413'] = problemResponse('The body exceeds VELLUM_MAX_BODY_BYTES (1 MiB by default).');
        add['415'] = problemResponse('The body is not UTF-8 (declared or recognisable charset).');
      }
      op.responses = { ...add, ...op.responses };
    }
  }
  doc.info.description =
    `${doc.info.description ?? ''}\n\nLimits: string1..3 ≤ ${LIMITS.metadataString} characters (and ` +
    `${LIMITS.metadataStringBytes} UTF-8 bytes), tags ≤ ${LIMITS.tags} × ${LIMITS.tag}, roles ≤ ${LIMITS.roles} × ` +
    `${LIMITS.role}, manifests ≤ ${LIMITS.manifests} × ${LIMITS.manifest}, origin ≤ ${LIMITS.origin}, mediaType ≤ ` +
    `${LIMITS.mediaType}, asset id ≤ ${LIMITS.assetId}, space name ≤ ${LIMITS.spaceName}, displayName ≤ ` +
    `${LIMITS.displayName}; integers are int4 (≤ 2147483647). Each field's limit is in its schema.`;
  return doc;
}
