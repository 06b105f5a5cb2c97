import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors } from '@vellum/common';
import { validationProblem } from './problems';

/**
 * Validates a JSON body against a class-validator DTO, rejecting unknown fields; `ignore` lists read-only keys
 * (`@id`, `@type`...) that clients echo back and that are dropped silently.
 * @param skipMissing PATCH semantics: required fields may be absent.
 * @throws 400 problem listing every failed field.
 */
export function validateBody<T extends object>(
  cls: new () => T,
  body: unknown,
  opts: { ignore?: readonly string[]; skipMissing?: boolean } = {},
): { dto: T; sent: Set<string> } {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    throw validationProblem([{ field: 'body', message: 'the request body must be a JSON object' }]);
  }
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (!opts.ignore?.includes(k)) plain[k] = v;
  }
  const dto = plainToInstance(cls, plain);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    skipMissingProperties: opts.skipMissing ?? false,
  });
  if (errors.length) {
    throw validationProblem(
      toFieldErrors(errors).map((e) => ({
        field: e.field,
        message: e.message.replace(/^property (\S+) should not exist$/, 'unknown field "$1"'),
      })),
    );
  }
  return { dto, sent: new Set(Object.keys(plain)) };
}
