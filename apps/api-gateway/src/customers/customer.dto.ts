import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsText } from '@vellum/common';
import { ValidateBy } from 'class-validator';
import { LIMITS } from '../http/limits';
import { customerNameProblem } from './customer-name';

/** Validates a customer name with {@link customerNameProblem} (SPEC.md §1 "Customer"). */
function IsCustomerName(): PropertyDecorator {
  return ValidateBy({
    name: 'isCustomerName',
    validator: {
      validate: (v: unknown) => customerNameProblem(v) === null,
      defaultMessage: (args) => customerNameProblem(args?.value) ?? 'name is invalid',
    },
  });
}

/**
 * The body of `POST /customers` (SPEC.md §3.3 "Customers"): both fields required; unknown fields (`isAdmin`...)
 * → 400. Its keys are `CUSTOMER_FIELDS.writable` (a unit test checks).
 */
export class CreateCustomerDto {
  @ApiProperty({
    description:
      'URL-safe unique name: ^[a-zA-Z0-9_.-]+$, ≤ 60 chars, not "admin" or v<digits> in any case, not all digits',
    example: 'wellcome',
    maxLength: LIMITS.customerName,
  })
  @IsCustomerName()
  name!: string;

  @ApiProperty({
    description: `Human-readable name, unique across customers (1 to ${LIMITS.displayName} chars)`,
    example: 'Wellcome Collection',
    maxLength: LIMITS.displayName,
  })
  @IsText({ min: 1, max: LIMITS.displayName })
  displayName!: string;
}

/**
 * The body of `PATCH C` (SPEC.md §3.3): `displayName` only (`CUSTOMER_PATCHABLE`); `name` or any other field →
 * 400.
 */
export class PatchCustomerDto {
  @ApiPropertyOptional({
    description: `Human-readable name, unique across customers (1 to ${LIMITS.displayName} chars)`,
    example: 'Wellcome Collection',
    maxLength: LIMITS.displayName,
  })
  @IsText({ min: 1, max: LIMITS.displayName })
  displayName?: string;
}
