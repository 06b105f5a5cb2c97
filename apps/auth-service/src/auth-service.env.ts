import { IsOptional } from 'class-validator';
import { BaseEnv, IsPort, IsUrlLike } from '@vellum/common';

/** auth-service configuration, validated at boot (SPEC.md §9). */
export class AuthServiceEnv extends BaseEnv {
  /** HTTP port; default 3002. */
  @IsPort() PORT: number = 3002;
  /** PostgreSQL URL (sessions, role providers, access services). */
  @IsUrlLike(['postgres', 'postgresql']) DATABASE_URL!: string;
  /**
   * Public base URL of this service for Auth 2.0 service ids, when set explicitly (SPEC.md §5 rule: unset, the
   * request's own public base is used). Not used by this release's shell yet.
   */
  @IsOptional()
  @IsUrlLike(['http', 'https'])
  VELLUM_AUTH_URL?: string;
}
