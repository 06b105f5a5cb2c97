import { IsString } from 'class-validator';
import { BaseEnv, IsPort, IsUrlLike } from '@vellum/common';

/** auth-service configuration, validated at boot (SPEC.md §9). */
export class AuthServiceEnv extends BaseEnv {
  /** HTTP port; default 3002. */
  @IsPort() PORT: number = 3002;
  /** PostgreSQL URL (sessions, role providers, access services). */
  @IsUrlLike(['postgres', 'postgresql']) DATABASE_URL!: string;
  /** Public base URL of this service, used in Auth 2.0 service ids; default http://localhost:3002. */
  @IsString() VELLUM_AUTH_URL: string = 'http://localhost:3002';
}
