import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsList, IsText } from '@vellum/common';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { LIMITS } from '../http/limits';
import { USERNAME_MAX } from './user.fields';

/** Shortest and longest password (characters). */
export const PASSWORD_LENGTH = { min: 8, max: 1000 } as const;

/**
 * The body of `POST C/users` and `PUT`/`PATCH C/users/{id}` (issue 10). Its keys are {@link USER_FIELDS}'
 * `writable` (a unit test checks). `password` is required on create; `roles` must name existing roles (400).
 */
export class UserBodyDto {
  @ApiProperty({
    description: 'Login name (case-insensitive, unique per customer)',
    example: 'alice',
    maxLength: USERNAME_MAX,
  })
  @IsText({ min: 1, max: USERNAME_MAX })
  username!: string;

  @ApiProperty({
    description: 'Password (write-only)',
    example: 'correct horse battery',
    minLength: PASSWORD_LENGTH.min,
  })
  @IsString({ message: 'password must be a string' })
  @MinLength(PASSWORD_LENGTH.min, { message: `password must be at least ${PASSWORD_LENGTH.min} characters` })
  @MaxLength(PASSWORD_LENGTH.max, { message: `password must be at most ${PASSWORD_LENGTH.max} characters` })
  password!: string;

  @ApiPropertyOptional({
    description: 'Role URIs or names (default none)',
    type: [String],
    maxItems: LIMITS.roles,
  })
  @IsOptional()
  @IsList(LIMITS.roles)
  @IsText({ max: LIMITS.role }, { each: true })
  roles?: string[] | null;

  @ApiPropertyOptional({ description: 'Default true' })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}
