import { EnvValidationError, validateEnv } from '@vellum/common';
import { AuthServiceEnv } from './auth-service.env';

describe('AuthServiceEnv', () => {
  it('applies defaults', () => {
    const env = validateEnv(AuthServiceEnv, {
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vellum',
      AMQP_URL: 'amqp://127.0.0.1',
    });
    expect(env.PORT).toBe(3002);
    expect(env.VELLUM_AUTH_URL).toBeUndefined();
  });

  it('names the bad variable', () => {
    expect(() => validateEnv(AuthServiceEnv, { PORT: 'abc' })).toThrow(EnvValidationError);
    expect(() => validateEnv(AuthServiceEnv, { PORT: 'abc' })).toThrow(
      /PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/,
    );
  });
});
