import { IsUrlLike } from '@vellum/common';
import { IsOptional, IsString, MinLength, ValidateIf } from 'class-validator';

/**
 * The environment of `cli.js setup` (SPEC.md §3.2 bootstrap), validated before it runs: all optional, so
 * `setup` alone needs none; `setup --apply` needs `DATABASE_URL` and uses the admin pair when both are set.
 */
export class CliEnv {
  /** Postgres of `setup --apply`, e.g. `postgresql://postgres@127.0.0.1:5432/vellum`. */
  @IsOptional()
  @IsUrlLike(['postgres', 'postgresql'])
  DATABASE_URL?: string;

  /** Admin key to apply instead of a generated one (at least 8 characters). */
  @IsOptional()
  @IsString()
  @MinLength(8)
  VELLUM_ADMIN_KEY?: string;

  /** Secret of VELLUM_ADMIN_KEY (at least 16 characters). */
  @ValidateIf((o: CliEnv) => o.VELLUM_ADMIN_KEY !== undefined || o.VELLUM_ADMIN_SECRET !== undefined)
  @IsString()
  @MinLength(16)
  VELLUM_ADMIN_SECRET?: string;
}
