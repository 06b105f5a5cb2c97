import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ACCESS_NAME_MAX, accessNameProblem, CheckedBy } from '../roles/access-control';

/** The role provider types (Prisma enum `RoleProviderType`). */
export const ROLE_PROVIDER_TYPES = ['clickthrough', 'builtin', 'oidc'] as const;
/** Bounds of a role mapping: claim values, and roles per value. */
export const ROLE_MAPPING_LIMITS = { keys: 200, roles: 100, keyChars: 500 } as const;

/** Why `v` cannot be a role mapping (`{"<claim value>": ["<role>"...]}`), or null (the roles are checked later). */
export function roleMappingProblem(v: unknown): string | null {
  const { keys, roles, keyChars } = ROLE_MAPPING_LIMITS;
  const shape = `must be an object {"<claim value>": ["<role name or URI>", ...]} (≤ ${keys} values, ≤ ${roles} roles each)`;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return shape;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > keys) return shape;
  for (const [k, list] of entries) {
    if (k === '' || k.length > keyChars)
      return `has a claim value that is empty or longer than ${keyChars} characters`;
    if (
      !Array.isArray(list) ||
      list.length > roles ||
      list.some((r) => typeof r !== 'string' || r === '' || r.length > 1000)
    )
      return `["${k.slice(0, 60)}"] must be an array of role names or URIs (≤ ${roles})`;
  }
  return null;
}

/**
 * The body of `POST C/roleProviders` and `PUT`/`PATCH C/roleProviders/{name}` (issue 10). Its keys are
 * {@link ROLE_PROVIDER_FIELDS}' `writable` (a unit test checks). The OIDC fields are refused for other types and
 * required for `oidc` (issuer, clientId, claim; clientSecret on create) by the service.
 */
export class RoleProviderBodyDto {
  @ApiProperty({
    description: 'Role provider name (unique per customer)',
    example: 'staff-sso',
    maxLength: ACCESS_NAME_MAX,
  })
  @CheckedBy('isAccessName', accessNameProblem, false)
  name!: string;

  @ApiProperty({ enum: ROLE_PROVIDER_TYPES, description: 'clickthrough, builtin or oidc' })
  @IsIn(ROLE_PROVIDER_TYPES, { message: `type must be one of ${ROLE_PROVIDER_TYPES.join(', ')}` })
  type!: (typeof ROLE_PROVIDER_TYPES)[number];

  @ApiPropertyOptional({
    description: 'oidc: issuer URL (https, or http on loopback)',
    example: 'https://login.example.org/realms/staff',
  })
  @IsOptional()
  @IsString({ message: 'issuer must be a string' })
  @MaxLength(2000, { message: 'issuer must be at most 2000 characters' })
  issuer?: string | null;

  @ApiPropertyOptional({ description: 'oidc: client id', example: 'vellum' })
  @IsOptional()
  @IsString({ message: 'clientId must be a string' })
  @MinLength(1, { message: 'clientId must not be empty' })
  @MaxLength(500, { message: 'clientId must be at most 500 characters' })
  clientId?: string | null;

  @ApiPropertyOptional({
    description: 'oidc: client secret (write-only; "xxx" keeps the stored one)',
    example: 's3cret',
  })
  @IsOptional()
  @IsString({ message: 'clientSecret must be a string' })
  @MinLength(1, { message: 'clientSecret must not be empty' })
  @MaxLength(2000, { message: 'clientSecret must be at most 2000 characters' })
  clientSecret?: string | null;

  @ApiPropertyOptional({
    description: 'oidc: scopes (default "openid profile email")',
    example: 'openid profile email groups',
  })
  @IsOptional()
  @IsString({ message: 'scopes must be a string' })
  @MaxLength(1000, { message: 'scopes must be at most 1000 characters' })
  scopes?: string | null;

  @ApiPropertyOptional({ description: 'oidc: the claim whose values map to roles', example: 'groups' })
  @IsOptional()
  @IsString({ message: 'claim must be a string' })
  @MinLength(1, { message: 'claim must not be empty' })
  @MaxLength(200, { message: 'claim must be at most 200 characters' })
  claim?: string | null;

  @ApiPropertyOptional({ description: 'oidc: claim value → roles', example: { staff: ['staff'], '*': [] } })
  @IsOptional()
  @CheckedBy('isRoleMapping', roleMappingProblem)
  roleMapping?: Record<string, string[]> | null;
}
