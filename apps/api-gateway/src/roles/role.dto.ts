import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ACCESS_NAME_MAX, accessNameProblem, CheckedBy, languageMapProblem } from './access-control';

/**
 * The body of `POST C/roles` and `PUT`/`PATCH C/roles/{name}` (issue 10). Its keys are {@link ROLE_FIELDS}'
 * `writable` (a unit test checks). `accessService` is a name or a `C/accessServices/{name}` URL; the service
 * checks that it exists (400).
 */
export class RoleBodyDto {
  @ApiProperty({
    description: 'Role name (unique per customer)',
    example: 'staff',
    maxLength: ACCESS_NAME_MAX,
  })
  @CheckedBy('isAccessName', accessNameProblem, false)
  name!: string;

  @ApiProperty({ description: 'IIIF language map', example: { en: ['Staff'] } })
  @CheckedBy('isLanguageMap', languageMapProblem)
  label!: Record<string, string[]>;

  @ApiPropertyOptional({
    description: 'The access service granting it: name or C/accessServices/{name} URL (default clickthrough)',
    example: 'clickthrough',
  })
  @IsOptional()
  @IsString({ message: 'accessService must be a string' })
  @MaxLength(1000, { message: 'accessService must be at most 1000 characters' })
  accessService?: string;
}
