import { validateEnv } from '@vellum/common';
import { GatewayEnv } from './gateway-env';

describe('GatewayEnv VELLUM_SECRETS_KEY', () => {
  const base = { DATABASE_URL: 'postgresql://h/db', AMQP_URL: 'amqp://h' };
  const key = 'a'.repeat(64);
  it('is required in production and must be a 32-byte key', () => {
    expect(() => validateEnv(GatewayEnv, { ...base, NODE_ENV: 'production' })).toThrow(
      /VELLUM_SECRETS_KEY is required/,
    );
    expect(() =>
      validateEnv(GatewayEnv, { ...base, NODE_ENV: 'production', VELLUM_SECRETS_KEY: 'short' }),
    ).toThrow(/VELLUM_SECRETS_KEY must be 32-byte keys/);
    expect(
      validateEnv(GatewayEnv, { ...base, NODE_ENV: 'production', VELLUM_SECRETS_KEY: key })
        .VELLUM_SECRETS_KEY,
    ).toBe(key);
  });
  it('is optional in development and test', () => {
    expect(validateEnv(GatewayEnv, { ...base, NODE_ENV: 'test' }).VELLUM_SECRETS_KEY).toBeUndefined();
    expect(() => validateEnv(GatewayEnv, { ...base, VELLUM_SECRETS_PREVIOUS_KEYS: `${key},nope` })).toThrow(
      /VELLUM_SECRETS_PREVIOUS_KEYS/,
    );
  });
});
