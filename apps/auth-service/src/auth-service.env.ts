import { IsOptional, IsString, ValidateIf } from 'class-validator';
import {
  BaseEnv,
  DEFAULT_TRUSTED_PROXIES,
  EnvBoolean,
  EnvInt,
  IsPort,
  IsSecretsKeyList,
  IsTrustedProxies,
  IsUrlLike,
} from '@vellum/common';

/** auth-service configuration, validated at boot (SPEC.md §6, §9; issue 10 contract "Credentials"). */
export class AuthServiceEnv extends BaseEnv {
  /** HTTP port; default 3002. */
  @IsPort() PORT: number = 3002;
  /** PostgreSQL URL (sessions, role providers, access services, built-in users, the outbox). */
  @IsUrlLike(['postgres', 'postgresql']) DATABASE_URL!: string;

  /** RabbitMQ URL: `auth.session.ended.v1` is published through the transactional outbox (SPEC.md §2). */
  @IsUrlLike(['amqp', 'amqps']) AMQP_URL!: string;

  /** The topic exchange; default `vellum`. */
  @IsOptional()
  @IsString()
  AMQP_EXCHANGE?: string;

  /**
   * Public base URL `{auth}` of this service (OIDC redirect URIs `{auth}/auth/v2/access/{c}/{service}/callback`),
   * when set explicitly (SPEC.md §5 rule: unset, the request's own public base is used).
   */
  @IsOptional()
  @IsUrlLike(['http', 'https'])
  VELLUM_AUTH_URL?: string;

  /** Proxies whose `X-Forwarded-*` headers are believed (public base, client address); default `loopback`. */
  @IsTrustedProxies()
  VELLUM_TRUSTED_PROXIES: string = DEFAULT_TRUSTED_PROXIES;

  /**
   * Key signing session cookies and access tokens (@vellum/access `AuthSigner`; iiif-delivery needs the same):
   * 32 bytes as 64 hex digits or base64. Required when NODE_ENV=production; a development key otherwise.
   */
  @ValidateIf((o: AuthServiceEnv) => o.NODE_ENV === 'production' || o.VELLUM_AUTH_SIGNING_KEY !== undefined)
  @IsSecretsKeyList()
  VELLUM_AUTH_SIGNING_KEY?: string;

  /** Earlier signing keys, comma-separated, that still verify credentials signed before a rotation. */
  @IsOptional()
  @IsSecretsKeyList()
  VELLUM_AUTH_SIGNING_PREVIOUS_KEYS?: string;

  /**
   * The gateway's key sealing secrets at rest (here: OIDC client secrets, context `role-provider:{c}:{name}`),
   * 32 bytes as 64 hex digits or base64. Required when NODE_ENV=production; a development key otherwise.
   */
  @ValidateIf((o: AuthServiceEnv) => o.NODE_ENV === 'production' || o.VELLUM_SECRETS_KEY !== undefined)
  @IsSecretsKeyList()
  VELLUM_SECRETS_KEY?: string;

  /** Earlier sealing keys, comma-separated, that still open values sealed before a rotation. */
  @IsOptional()
  @IsSecretsKeyList()
  VELLUM_SECRETS_PREVIOUS_KEYS?: string;

  /** Sliding session lifetime, seconds: each token-service use pushes `expires` to now + this; default 3600. */
  @EnvInt(60, 31_536_000)
  VELLUM_AUTH_SESSION_TTL_S: number = 3600;

  /** Absolute session bound, seconds after its creation; default 43200 (12 h). */
  @EnvInt(60, 31_536_000)
  VELLUM_AUTH_SESSION_MAX_S: number = 43_200;

  /** Lifetime of an access token (`expiresIn`), seconds; default 600. */
  @EnvInt(10, 86_400)
  VELLUM_AUTH_TOKEN_TTL_S: number = 600;

  /**
   * `Secure; SameSite=None` on the session cookie (needed when viewer and images are on other sites, HTTPS only);
   * unset: true when NODE_ENV=production, else false (`SameSite=Lax`).
   */
  @IsOptional()
  @EnvBoolean()
  VELLUM_AUTH_COOKIE_SECURE?: boolean;

  /** Failed built-in logins allowed per customer+username and per client address in a window; default 5. */
  @EnvInt(1, 10_000)
  VELLUM_AUTH_LOGIN_MAX_FAILURES: number = 5;

  /** The failed-login window, seconds; default 300. */
  @EnvInt(1, 86_400)
  VELLUM_AUTH_LOGIN_WINDOW_S: number = 300;

  /** Timeout of each request to an OIDC provider (discovery, token, userinfo), ms; default 10000. */
  @EnvInt(100, 120_000)
  VELLUM_AUTH_OIDC_TIMEOUT_MS: number = 10_000;

  /** Whether the session cookie is `Secure` (`VELLUM_AUTH_COOKIE_SECURE`, default by NODE_ENV). */
  get cookieSecure(): boolean {
    return this.VELLUM_AUTH_COOKIE_SECURE ?? this.NODE_ENV === 'production';
  }
}
