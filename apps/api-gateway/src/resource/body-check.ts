import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors } from '@vellum/common';
import type { FieldError } from '../http/problems';

/** What {@link checkBody} found: the DTO (always built), the keys sent, and every failed field. */
export interface BodyCheck<T> {
  dto: T;
  /** Body keys sent, less the ignored (read-only, JSON-LD) ones. */
  sent: Set<string>;
  errors: FieldError[];
}

/**
 * Validates a JSON body against a class-validator DTO without throwing, so a route can add the checks that need
 * more than the body (the URL's channel, the database) and answer one 400 naming every failed field (SPEC.md
 * §3.1). For routes declared `@JsonBody(Dto, { validate: false })`; the global interceptor has already refused
 * unknown fields.
 * @param opts.ignore read-only members that clients echo and that are dropped (`@id`, `created`...).
 * @param opts.partial PATCH semantics: absent required fields are not errors.
 * @returns the DTO of the kept members, the keys sent and the field errors (empty when valid); a body that is
 *   not a JSON object gives one `body` error.
 */
export function checkBody<T extends object>(
  cls: new () => T,
  body: unknown,
  opts: { ignore?: readonly string[]; partial?: boolean } = {},
): BodyCheck<T> {
  if (body === undefined || body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    return {
      dto: new cls(),
      sent: new Set(),
      errors: [{ field: 'body', message: 'the request body must be a JSON object' }],
    };
  }
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (!opts.ignore?.includes(k)) plain[k] = v;
  }
  const dto = plainToInstance(cls, plain);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    skipMissingProperties: opts.partial ?? false,
  });
  const seen = new Set<string>();
  const fieldErrors: FieldError[] = [];
  for (const e of toFieldErrors(errors)) {
    const message = e.message.replace(/^property (\S+) should not exist$/, 'unknown field "$1"');
    // Two rules of one field may say the same thing (a length limit in IsText and in the field's own rule).
    if (seen.has(`${e.field}\u0000${message}`)) continue;
    seen.add(`${e.field}\u0000${message}`);
    fieldErrors.push({ field: e.field, message });
  }
  return { dto, sent: new Set(Object.keys(plain)), errors: fieldErrors };
}
