import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt32, IsText } from '@vellum/common';
import { customHeaderNameProblem, customHeaderValueProblem } from '@vellum/contracts';
import { IsOptional, ValidateBy } from 'class-validator';
import { LIMITS } from '../http/limits';

/** A string that `problemOf` finds nothing wrong with (the message names the field). */
function Satisfies(problemOf: (s: string) => string | null): PropertyDecorator {
  return ValidateBy({
    name: 'satisfies',
    validator: {
      validate: (v: unknown) => typeof v !== 'string' || problemOf(v) === null,
      defaultMessage: (args) => `$property ${problemOf(String(args?.value)) ?? 'is invalid'}`,
    },
  });
}

/**
 * A custom header as written (SPEC.md §3.3): `key` and `value` required on POST and PUT; `space` and `role`
 * optional (`null` clears them on PATCH). The keys are {@link CUSTOM_HEADER_FIELDS}' `writable` (a unit test
 * checks); the name and value rules are @vellum/contracts' (delivery applies the same).
 */
export class CustomHeaderBodyDto {
  @ApiProperty({
    description: 'HTTP header name: an RFC 9110 token, not hop-by-hop nor one delivery sets itself',
    example: 'Cache-Control',
    maxLength: LIMITS.customHeaderKey,
  })
  @IsText({ min: 1, max: LIMITS.customHeaderKey })
  @Satisfies(customHeaderNameProblem)
  key!: string;

  @ApiProperty({
    description: 'Header value: Latin-1, no CR/LF or control characters, no leading/trailing white space',
    example: 'private, max-age=600',
    maxLength: LIMITS.customHeaderValue,
  })
  @IsText({ min: 1, max: LIMITS.customHeaderValue })
  @Satisfies(customHeaderValueProblem)
  value!: string;

  @ApiPropertyOptional({
    description: 'Only for the assets of this space of the customer',
    example: 1,
    minimum: 1,
    maximum: LIMITS.integer,
    type: 'integer',
  })
  @IsOptional()
  @IsInt32({ min: 1 })
  space?: number | null;

  @ApiPropertyOptional({
    description:
      "Only for assets that have this role: the URI or name of one of the customer's roles (unknown → 400)",
    example: 'https://api.example.org/customers/2/roles/staff',
    maxLength: LIMITS.role,
  })
  @IsOptional()
  @IsText({ min: 1, max: LIMITS.role })
  role?: string | null;
}
