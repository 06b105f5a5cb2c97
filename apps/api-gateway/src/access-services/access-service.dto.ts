import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ACCESS_NAME_MAX, accessNameProblem, CheckedBy, languageMapProblem } from '../roles/access-control';

/** The Auth 2.0 access service profiles (Prisma enum `AccessServiceProfile`). */
export const ACCESS_SERVICE_PROFILES = ['active', 'kiosk', 'external'] as const;

/**
 * The body of `POST C/accessServices` and `PUT`/`PATCH C/accessServices/{name}` (issue 10). Its keys are
 * {@link ACCESS_SERVICE_FIELDS}' `writable` (a unit test checks); `heading`, `note`, `confirmLabel` accept `null`
 * (cleared). `roleProvider` must name an existing role provider (400).
 */
export class AccessServiceBodyDto {
  @ApiProperty({
    description: 'Access service name (unique per customer)',
    example: 'staff-login',
    maxLength: ACCESS_NAME_MAX,
  })
  @CheckedBy('isAccessName', accessNameProblem, false)
  name!: string;

  @ApiPropertyOptional({ enum: ACCESS_SERVICE_PROFILES, description: 'Auth 2.0 profile (default active)' })
  @IsOptional()
  @IsIn(ACCESS_SERVICE_PROFILES, { message: `profile must be one of ${ACCESS_SERVICE_PROFILES.join(', ')}` })
  profile?: (typeof ACCESS_SERVICE_PROFILES)[number];

  @ApiProperty({ description: 'IIIF language map', example: { en: ['Staff login'] } })
  @CheckedBy('isLanguageMap', languageMapProblem)
  label!: Record<string, string[]>;

  @ApiPropertyOptional({ description: 'IIIF language map (null clears)', example: { en: ['Please log in'] } })
  @IsOptional()
  @CheckedBy('isLanguageMap', languageMapProblem)
  heading?: Record<string, string[]> | null;

  @ApiPropertyOptional({ description: 'IIIF language map (null clears)', example: { en: ['Staff only.'] } })
  @IsOptional()
  @CheckedBy('isLanguageMap', languageMapProblem)
  note?: Record<string, string[]> | null;

  @ApiPropertyOptional({ description: 'IIIF language map (null clears)', example: { en: ['Log in'] } })
  @IsOptional()
  @CheckedBy('isLanguageMap', languageMapProblem)
  confirmLabel?: Record<string, string[]> | null;

  @ApiPropertyOptional({
    description: 'The role provider: name or C/roleProviders/{name} URL (default clickthrough)',
    example: 'clickthrough',
  })
  @IsOptional()
  @IsString({ message: 'roleProvider must be a string' })
  @MaxLength(1000, { message: 'roleProvider must be at most 1000 characters' })
  roleProvider?: string;
}
