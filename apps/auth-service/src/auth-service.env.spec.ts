import { EnvValidationError, validateEnv } from '@vellum/common';
import { AuthServiceEnv } from './auth-service.env';

describe('AuthServiceEnv', () => {
  const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vellum', AMQP_URL: 'amqp://127.0.0.1' };
  const key = 'a'.repeat(64);

  it('applies defaults', () => {
    const env = validateEnv(AuthServiceEnv, base);
    expect(env.PORT).toBe(3002);
    expect(env.VELLUM_AUTH_URL).toBeUndefined();
    expect(env.VELLUM_AUTH_SESSION_TTL_S).toBe(3600);
    expect(env.VELLUM_AUTH_SESSION_MAX_S).toBe(43_200);
    expect(env.VELLUM_AUTH_TOKEN_TTL_S).toBe(600);
    expect(env.VELLUM_AUTH_LOGIN_MAX_FAILURES).toBe(5);
    expect(env.VELLUM_AUTH_LOGIN_WINDOW_S).toBe(300);
    expect(env.cookieSecure).toBe(false);
  });

  it('names the bad variable', () => {
    expect(() => validateEnv(AuthServiceEnv, { PORT: 'abc' })).toThrow(EnvValidationError);
    expect(() => validateEnv(AuthServiceEnv, { PORT: 'abc' })).toThrow(
      /PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/,
    );
  });

  it('requires the signing and sealing keys in production; the cookie is Secure there by default', () => {
    expect(() => validateEnv(AuthServiceEnv, { ...base, NODE_ENV: 'production' })).toThrow(
      /VELLUM_AUTH_SIGNING_KEY[\s\S]*VELLUM_SECRETS_KEY|VELLUM_SECRETS_KEY[\s\S]*VELLUM_AUTH_SIGNING_KEY/,
    );
    const prod = validateEnv(AuthServiceEnv, {
      ...base,
      NODE_ENV: 'production',
      VELLUM_AUTH_SIGNING_KEY: key,
      VELLUM_SECRETS_KEY: key,
    });
    expect(prod.cookieSecure).toBe(true);
    expect(
      validateEnv(AuthServiceEnv, {
        ...base,
        NODE_ENV: 'production',
        VELLUM_AUTH_SIGNING_KEY: key,
        VELLUM_SECRETS_KEY: key,
        VELLUM_AUTH_COOKIE_SECURE: '0',
      }).cookieSecure,
    ).toBe(false);
    expect(() => validateEnv(AuthServiceEnv, { ...base, VELLUM_AUTH_SIGNING_KEY: 'short' })).toThrow(
      /VELLUM_AUTH_SIGNING_KEY/,
    );
  });
});
