import { validateEnv } from '@vellum/common';
import { CliEnv } from './cli-env';

describe('CliEnv (cli.js setup)', () => {
  it('needs nothing for a plain `setup`', () => {
    expect(validateEnv(CliEnv, {})).toMatchObject({});
  });

  it('takes the pair and the database of `setup --apply`', () => {
    expect(
      validateEnv(CliEnv, {
        DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vellum',
        VELLUM_ADMIN_KEY: 'admin-key-1',
        VELLUM_ADMIN_SECRET: 'a-secret-of-16-chars',
      }),
    ).toMatchObject({ VELLUM_ADMIN_KEY: 'admin-key-1', DATABASE_URL: expect.stringMatching(/^postgresql:/) });
  });

  it('names a bad variable', () => {
    expect(() => validateEnv(CliEnv, { DATABASE_URL: 'mysql://h/db' })).toThrow(
      'Invalid environment: DATABASE_URL must be a URL with scheme postgres:// or postgresql://',
    );
    expect(() =>
      validateEnv(CliEnv, { VELLUM_ADMIN_KEY: 'admin-key-1', VELLUM_ADMIN_SECRET: 'short' }),
    ).toThrow(/VELLUM_ADMIN_SECRET must be longer than or equal to 16 characters \(got "\*\*\*"\)/);
  });
});
