import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsInt, IsNotEmpty, IsOptional, IsString, MaxLength, Min } from 'class-validator';

/** A space as written (SPEC.md §3.3 "Spaces"). */
export class SpaceBodyDto {
  @ApiProperty({ description: 'Name, unique per customer', example: 'books' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ type: [String], description: 'Tags given to assets created without tags' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  defaultTags?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Roles given to assets created without roles' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  defaultRoles?: string[];

  @ApiPropertyOptional({ description: 'maxWidth given to assets created without one (0 = none)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  defaultMaxWidth?: number;

  @ApiPropertyOptional({ description: 'openFullMax given to assets created without one (0 = none)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  defaultOpenFullMax?: number;

  @ApiPropertyOptional({ description: 'openMaxWidth given to assets created without one (0 = none)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  defaultOpenMaxWidth?: number;
}

/** Read-only members of `vocab:Space` that clients may echo back; ignored on write. */
export const SPACE_READ_ONLY = [
  '@context',
  '@id',
  '@type',
  'id',
  'created',
  'approximateNumberOfImages',
  'images',
  'customer',
];
