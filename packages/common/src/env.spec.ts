import 'reflect-metadata';
import { IsBoolean, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { BaseEnv, EnvBoolean, EnvInt, EnvValidationError, IsPort, IsUrlLike, validateEnv } from './env';

class AppEnv extends BaseEnv {
  @IsPort()
  PORT = 3000;

  @IsUrlLike(['postgres', 'postgresql'])
  DATABASE_URL!: string;

  @IsOptional()
  @IsUrlLike(['amqp', 'amqps'])
  AMQP_URL?: string;

  @IsOptional()
  @EnvBoolean()
  FEATURE_X?: boolean;

  @IsOptional()
  @IsString()
  S3_SECRET_KEY?: string;
}

function errorOf(fn: () => unknown): EnvValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EnvValidationError) return e;
    throw e;
  }
  throw new Error('expected EnvValidationError');
}

describe('validateEnv', () => {
  it('applies defaults and converts types', () => {
    const env = validateEnv(AppEnv, {
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vellum',
      PORT: '8080',
      LOG_PRETTY: '',
    });
    expect(env).toBeInstanceOf(AppEnv);
    expect(env.PORT).toBe(8080);
    expect(env.NODE_ENV).toBe('development');
    expect(env.LOG_LEVEL).toBe('info');
    expect(env.SHUTDOWN_TIMEOUT_MS).toBe(25000);
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.SERVICE_INSTANCE).toMatch(/-\d+$/);
    expect(env.LOG_PRETTY).toBeUndefined();
    expect(env.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/vellum');
  });

  it('keeps defaults when a variable is empty', () => {
    expect(validateEnv(AppEnv, { DATABASE_URL: 'postgres://h/db', PORT: '' }).PORT).toBe(3000);
  });

  it.each([
    ['1', true],
    ['true', true],
    ['YES', true],
    ['on', true],
    ['0', false],
    ['false', false],
    ['no', false],
    ['off', false],
  ])('parses boolean %s as %s', (raw, expected) => {
    expect(validateEnv(AppEnv, { DATABASE_URL: 'postgres://h/db', FEATURE_X: raw }).FEATURE_X).toBe(expected);
  });

  it('names every bad variable and why in one message', () => {
    const err = errorOf(() =>
      validateEnv(AppEnv, { PORT: 'abc', NODE_ENV: 'staging', AMQP_URL: 'http://x' }),
    );
    expect(err.message).toContain('Invalid environment: ');
    expect(err.message).toContain('PORT must be an integer between 1 and 65535 (got "abc")');
    expect(err.message).toContain('DATABASE_URL is required');
    expect(err.message).toContain(
      'NODE_ENV must be one of the following values: development, production, test (got "staging")',
    );
    expect(err.message).toContain('AMQP_URL must be a URL with scheme amqp:// or amqps:// (got "http://x")');
    expect(err.problems.map((p) => p.variable).sort()).toEqual([
      'AMQP_URL',
      'DATABASE_URL',
      'NODE_ENV',
      'PORT',
    ]);
  });

  it('rejects out-of-range ports and bad booleans', () => {
    const err = errorOf(() =>
      validateEnv(AppEnv, { DATABASE_URL: 'postgres://h/db', PORT: '70000', FEATURE_X: 'maybe' }),
    );
    expect(err.message).toBe(
      'Invalid environment: PORT must be an integer between 1 and 65535 (got "70000"); ' +
        'FEATURE_X must be a boolean (1/0, true/false, yes/no, on/off) (got "maybe")',
    );
  });

  it.each(['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'vellum-api.internal'])(
    'accepts HOST=%s',
    (host) => {
      expect(validateEnv(BaseEnv, { HOST: host }).HOST).toBe(host);
    },
  );

  it.each(['127.0.0.1:3000', 'http://localhost', 'two words', '-bad-'])(
    'rejects HOST=%s, naming it',
    (host) => {
      expect(() => validateEnv(BaseEnv, { HOST: host })).toThrow(
        `Invalid environment: HOST must be an IP address or host name to listen on (e.g. 0.0.0.0, 127.0.0.1, ::) (got ${JSON.stringify(host)})`,
      );
    },
  );

  it('rejects a bad SHUTDOWN_TIMEOUT_MS, naming it', () => {
    expect(() => validateEnv(BaseEnv, { SHUTDOWN_TIMEOUT_MS: 'soon' })).toThrow(
      'Invalid environment: SHUTDOWN_TIMEOUT_MS must be an integer >= 0 (got "soon")',
    );
  });

  it('never echoes secrets or URL passwords', () => {
    class SecretEnv extends BaseEnv {
      @IsUrlLike(['postgres', 'postgresql'])
      DATABASE_URL!: string;

      @IsString()
      @IsUrlLike(['https'])
      S3_SECRET_KEY!: string;
    }
    const err = errorOf(() =>
      validateEnv(SecretEnv, { DATABASE_URL: 'mysql://user:hunter2@h/db', S3_SECRET_KEY: 'topsecret' }),
    );
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('topsecret');
    expect(err.message).toContain('(got "mysql://user:***@h/db")');
    expect(err.message).toContain('S3_SECRET_KEY must be a URL with scheme https:// (got "***")');
  });

  it('reads process.env by default', () => {
    const saved = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'debug';
    try {
      expect(validateEnv(BaseEnv).LOG_LEVEL).toBe('debug');
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  });
});

describe('BaseEnv retry schedule and handler deadline', () => {
  it('defaults to 5 attempts, ceilings from 1 s growing ×4 up to 60 s, jitter 0.5 and a 25-minute deadline', () => {
    expect(validateEnv(BaseEnv, {})).toMatchObject({
      VELLUM_RETRY_ATTEMPTS: 5,
      VELLUM_RETRY_INITIAL_DELAY_MS: 1000,
      VELLUM_RETRY_MULTIPLIER: 4,
      VELLUM_RETRY_MAX_DELAY_MS: 60000,
      VELLUM_RETRY_JITTER: 0.5,
      VELLUM_HANDLER_TIMEOUT_MS: 1_500_000,
    });
  });

  it('reads scaled-down values (fractional multiplier and jitter)', () => {
    expect(
      validateEnv(BaseEnv, {
        VELLUM_RETRY_ATTEMPTS: '3',
        VELLUM_RETRY_INITIAL_DELAY_MS: '50',
        VELLUM_RETRY_MULTIPLIER: '1.5',
        VELLUM_RETRY_MAX_DELAY_MS: '100',
        VELLUM_RETRY_JITTER: '0',
        VELLUM_HANDLER_TIMEOUT_MS: '0',
      }),
    ).toMatchObject({
      VELLUM_RETRY_ATTEMPTS: 3,
      VELLUM_RETRY_INITIAL_DELAY_MS: 50,
      VELLUM_RETRY_MULTIPLIER: 1.5,
      VELLUM_RETRY_MAX_DELAY_MS: 100,
      VELLUM_RETRY_JITTER: 0,
      VELLUM_HANDLER_TIMEOUT_MS: 0,
    });
  });

  it.each([
    [{ VELLUM_RETRY_ATTEMPTS: '0' }, 'VELLUM_RETRY_ATTEMPTS must be an integer between 1 and 50'],
    [{ VELLUM_RETRY_MULTIPLIER: '0.5' }, 'VELLUM_RETRY_MULTIPLIER must be a number between 1 and 100'],
    [{ VELLUM_RETRY_JITTER: '2' }, 'VELLUM_RETRY_JITTER must be a number between 0 and 1'],
    [{ VELLUM_RETRY_JITTER: 'lots' }, 'VELLUM_RETRY_JITTER must be a number between 0 and 1'],
    [
      { VELLUM_RETRY_INITIAL_DELAY_MS: '5000', VELLUM_RETRY_MAX_DELAY_MS: '1000' },
      'VELLUM_RETRY_MAX_DELAY_MS must be at least VELLUM_RETRY_INITIAL_DELAY_MS',
    ],
    [{ VELLUM_HANDLER_TIMEOUT_MS: '-1' }, 'VELLUM_HANDLER_TIMEOUT_MS must be an integer >= 0'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => validateEnv(BaseEnv, env)).toThrow(message);
  });
});

describe('EnvInt', () => {
  class IntEnv {
    @EnvInt(1, 10)
    CONCURRENCY = 2;

    @EnvInt(0)
    TIMEOUT_MS = 100;
  }

  it('converts without a type annotation and checks bounds', () => {
    expect(validateEnv(IntEnv, { CONCURRENCY: '7', TIMEOUT_MS: ' 0 ' })).toMatchObject({
      CONCURRENCY: 7,
      TIMEOUT_MS: 0,
    });
    expect(() => validateEnv(IntEnv, { CONCURRENCY: '11', TIMEOUT_MS: '1.5' })).toThrow(
      'Invalid environment: CONCURRENCY must be an integer between 1 and 10 (got "11"); TIMEOUT_MS must be an integer >= 0 (got "1.5")',
    );
  });
});

describe('un-annotated properties', () => {
  class PlainEnv {
    @IsInt()
    @Min(0)
    TIMEOUT_MS = 30_000;

    @IsBoolean()
    ENABLED = false;

    @IsString()
    NAME = 'x';
  }

  it('are converted by the type of their default', () => {
    expect(validateEnv(PlainEnv, { TIMEOUT_MS: '5000', ENABLED: 'yes', NAME: '42' })).toMatchObject({
      TIMEOUT_MS: 5000,
      ENABLED: true,
      NAME: '42',
    });
    expect(() => validateEnv(PlainEnv, { TIMEOUT_MS: '-1' })).toThrow(
      'TIMEOUT_MS must not be less than 0 (got "-1")',
    );
    expect(() => validateEnv(PlainEnv, { TIMEOUT_MS: 'soon' })).toThrow(
      /TIMEOUT_MS .*must be an integer number.* \(got "soon"\)/,
    );
  });
});
