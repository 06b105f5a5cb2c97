import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { NamedQueryError, parseNamedQueryTemplate, TEMPLATE_MAX_LENGTH } from '@vellum/iiif';
import { IsBoolean, IsOptional, ValidateBy } from 'class-validator';
import { NAMED_QUERY_NAME_MAX } from './named-query.fields';

/** A named-query name: one URL path segment of RFC 3986 unreserved characters, not `.` or `..`. */
const NAME = new RegExp(`^[A-Za-z0-9._~-]{1,${NAMED_QUERY_NAME_MAX}}$`);

/** Why `v` cannot be a named-query name, or null. */
export function namedQueryNameProblem(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return 'name must be a non-empty string';
  if (!NAME.test(v))
    return `name must be 1 to ${NAMED_QUERY_NAME_MAX} of the characters A-Z a-z 0-9 . _ ~ - (one URL path segment)`;
  if (/^\.+$/.test(v)) return 'name must not consist of dots only';
  return null;
}

/**
 * Why `v` cannot be a named-query template (the parser's message, SPEC.md §7), or null.
 * @see parseNamedQueryTemplate
 */
export function templateProblem(v: unknown): string | null {
  if (typeof v !== 'string') return 'template must be a string';
  try {
    parseNamedQueryTemplate(v);
    return null;
  } catch (e) {
    if (e instanceof NamedQueryError) return `template is not valid: ${e.message}`;
    throw e;
  }
}

const CheckedBy = (name: string, problem: (v: unknown) => string | null): PropertyDecorator =>
  ValidateBy({
    name,
    validator: {
      validate: (v: unknown) => problem(v) === null,
      defaultMessage: (args) => problem(args?.value) ?? `${name} failed`,
    },
  });

/**
 * The body of `POST` and `PUT C/namedQueries[/{id}]` (SPEC.md §3.3 "Named queries"). Its keys are the field
 * table's `writable` (a unit test checks). `global` is admin-only: the route refuses a change of it by a customer
 * key (400 naming `global`).
 */
export class NamedQueryBodyDto {
  @ApiProperty({
    description: 'Name, unique per customer; one URL path segment',
    example: 'bookquery',
    maxLength: NAMED_QUERY_NAME_MAX,
  })
  @CheckedBy('isNamedQueryName', namedQueryNameProblem)
  name!: string;

  @ApiProperty({
    description: 'Template (SPEC.md §7), validated when written',
    example: 'manifest=s1&canvas=n2&s1=p1&space=p2',
    maxLength: TEMPLATE_MAX_LENGTH,
  })
  @CheckedBy('isNamedQueryTemplate', templateProblem)
  template!: string;

  @ApiPropertyOptional({ description: 'Visible to every customer (admin keys only); default false' })
  @IsOptional()
  @IsBoolean({ message: 'global must be true or false' })
  global?: boolean;
}
