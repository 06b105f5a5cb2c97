import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt32, IsList, IsText } from '@vellum/common';
import { IsOptional } from 'class-validator';
import { LIMITS } from '../http/limits';
import { SPACE_FIELDS } from './space.fields';

const sizeDefault = (what: string) => ({
  description: `${what} given to assets created without one (0 = none)`,
  minimum: 0,
  maximum: LIMITS.integer,
  type: 'integer' as const,
});

/**
 * A space as written (SPEC.md §3.3 "Spaces"); limits in {@link LIMITS}. Its keys are `SPACE_FIELDS.writable` (a unit
 * test checks).
 */
export class SpaceBodyDto {
  @ApiProperty({ description: 'Name, unique per customer', example: 'books', maxLength: LIMITS.spaceName })
  @IsText({ min: 1, max: LIMITS.spaceName })
  name!: string;

  @ApiPropertyOptional({
    type: [String],
    description: `Tags given to assets created without tags (≤ ${LIMITS.tags}, each ≤ ${LIMITS.tag} chars)`,
    maxItems: LIMITS.tags,
  })
  @IsOptional()
  @IsList(LIMITS.tags)
  @IsText({ max: LIMITS.tag }, { each: true })
  defaultTags?: string[];

  @ApiPropertyOptional({
    type: [String],
    description: `Roles given to assets created without roles: URIs or names of the customer's roles (≤ ${LIMITS.roles}, each ≤ ${LIMITS.role} chars; unknown → 400)`,
    maxItems: LIMITS.roles,
  })
  @IsOptional()
  @IsList(LIMITS.roles)
  @IsText({ max: LIMITS.role }, { each: true })
  defaultRoles?: string[];

  @ApiPropertyOptional(sizeDefault('maxWidth'))
  @IsOptional()
  @IsInt32({ min: 0 })
  defaultMaxWidth?: number;

  @ApiPropertyOptional(sizeDefault('openFullMax'))
  @IsOptional()
  @IsInt32({ min: 0 })
  defaultOpenFullMax?: number;

  @ApiPropertyOptional(sizeDefault('openMaxWidth'))
  @IsOptional()
  @IsInt32({ min: 0 })
  defaultOpenMaxWidth?: number;
}

/**
 * Read-only members of `vocab:Space` that clients may echo back (the table's read-only fields); ignored on
 * write, except `id`, which must match the URL.
 */
export const SPACE_READ_ONLY: readonly string[] = SPACE_FIELDS.readOnly;
