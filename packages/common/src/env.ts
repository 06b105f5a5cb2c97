import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
  type ValidationError,
  type ValidationOptions,
  validateSync,
} from 'class-validator';
import { parseKey } from '@vellum/secrets';

/** One bad environment variable, as reported by {@link EnvValidationError}. */
export interface EnvProblem {
  /** Variable name, e.g. `PORT`. */
  variable: string;
  /** Why it was rejected, e.g. `must be an integer between 1 and 65535`, or `is required`. */
  reason: string;
  /** The raw value as found in the environment (masked for secret-looking names); `undefined` when unset. */
  value?: string;
}

/**
 * Thrown by {@link validateEnv} when one or more variables are missing or invalid (SPEC §9: "validated at boot
 * with a clear message naming the bad variable"). The message names every bad variable at once, e.g.
 * `Invalid environment: PORT must be an integer between 1 and 65535 (got "abc"); DATABASE_URL is required`.
 */
export class EnvValidationError extends Error {
  override readonly name = 'EnvValidationError';

  constructor(readonly problems: EnvProblem[]) {
    super(
      `Invalid environment: ${problems
        .map((p) =>
          p.value === undefined
            ? `${p.variable} ${p.reason}`
            : `${p.variable} ${p.reason} (got ${JSON.stringify(p.value)})`,
        )
        .join('; ')}`,
    );
  }
}

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY$|_KEY_|API_KEY)/i;

/** Masks secrets in a raw env value before it is echoed in an error message. */
function displayValue(variable: string, raw: string): string {
  if (SECRET_NAME.test(variable)) return '***';
  // URLs with embedded credentials (postgresql://user:pass@host/db): hide the password.
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, '$1:***@');
}

/** Flattens nested class-validator errors into `{ path, constraints }` pairs. */
function flatten(errors: ValidationError[], prefix = ''): Array<{ path: string; messages: string[] }> {
  const out: Array<{ path: string; messages: string[] }> = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out.push({ path, messages: Object.values(e.constraints) });
    if (e.children?.length) out.push(...flatten(e.children, path));
  }
  return out;
}

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*$/i;

/**
 * TypeScript emits `design:type Object` for a property without a type annotation (`TIMEOUT_MS = 30_000`), so
 * class-transformer's implicit conversion would leave `"5000"` a string. Properties whose default is a number
 * or a boolean therefore get numeric strings / boolean words converted here, before class-transformer runs.
 */
function coerceByDefaults(cls: new () => object, plain: Record<string, string>): Record<string, unknown> {
  const defaults = new cls() as Record<string, unknown>;
  const out: Record<string, unknown> = { ...plain };
  for (const [k, raw] of Object.entries(plain)) {
    const d = defaults[k];
    if (typeof d === 'number' && NUMERIC.test(raw)) out[k] = Number(raw);
    else if (typeof d === 'boolean') {
      const v = raw.trim().toLowerCase();
      if (TRUE.has(v)) out[k] = true;
      else if (FALSE.has(v)) out[k] = false;
    }
  }
  return out;
}

/**
 * Validates and converts environment variables into a typed config object (SPEC §9).
 *
 * - Empty strings count as unset, so class field initialisers act as defaults (`PORT = 3000`).
 * - Values are converted with class-transformer's implicit conversion (`"3000"` → `3000` for a `number` field);
 *   properties without a type annotation are converted according to their default's type (number/boolean);
 *   for booleans without a default use {@link EnvBoolean} (implicit conversion turns `"false"` into `true`).
 * - A variable with no value and no default that is not `@IsOptional()` is reported as `is required`.
 *
 * @param cls an env class, usually extending {@link BaseEnv}, decorated with class-validator decorators.
 * @param env the environment to read (default `process.env`); not modified.
 * @returns an instance of `cls` holding every variable of `env` (converted where the class declares a type).
 * @throws EnvValidationError naming every bad variable and why.
 */
export function validateEnv<T extends object>(
  cls: new () => T,
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
): T {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') plain[k] = v;
  const instance = plainToInstance(cls, coerceByDefaults(cls, plain), {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(instance, {
    whitelist: false,
    forbidUnknownValues: false,
    validationError: { target: false },
  });
  if (errors.length === 0) return instance;
  const problems: EnvProblem[] = flatten(errors).map(({ path, messages }) => {
    const raw = plain[path];
    if (raw === undefined) return { variable: path, reason: 'is required' };
    const reasons = messages.map((m) => (m.startsWith(`${path} `) ? m.slice(path.length + 1) : m));
    return { variable: path, reason: [...new Set(reasons)].join(', '), value: displayValue(path, raw) };
  });
  throw new EnvValidationError(problems);
}

/**
 * Property decorator: a URL whose scheme is one of `protocols` (default: any), e.g.
 * `@IsUrlLike(['postgres', 'postgresql'])` or `@IsUrlLike(['amqp', 'amqps'])`. Unlike class-validator's `IsUrl`,
 * it accepts any scheme, userinfo, and hosts like `localhost` or `127.0.0.1`.
 */
export function IsUrlLike(protocols?: string[], options?: ValidationOptions): PropertyDecorator {
  const schemes = protocols?.map((p) => p.replace(/:$/, '').toLowerCase());
  return ValidateBy(
    {
      name: 'isUrlLike',
      constraints: [schemes],
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string') return false;
          let url: URL;
          try {
            url = new URL(value);
          } catch {
            return false;
          }
          const scheme = url.protocol.replace(/:$/, '').toLowerCase();
          return schemes === undefined || schemes.includes(scheme);
        },
        defaultMessage(): string {
          return schemes
            ? `$property must be a URL with scheme ${schemes.map((s) => `${s}://`).join(' or ')}`
            : '$property must be a URL';
        },
      },
    },
    options,
  );
}

/** Converts a decimal integer string to a number (leaves anything else for the validator to reject). */
const toInteger = Transform(({ key, obj, value }) => {
  const raw: unknown = (obj as Record<string, unknown>)[key];
  if (typeof raw !== 'string') return value;
  return /^\s*[-+]?\d+\s*$/.test(raw) ? Number(raw) : raw;
});

/**
 * Property decorator: an integer within `[min, max]` (either bound optional), converted from its string.
 * Works whether or not the property carries a `number` type annotation. Message e.g.
 * `must be an integer between 1 and 100`, `must be an integer >= 0`.
 */
export function EnvInt(min?: number, max?: number, options?: ValidationOptions): PropertyDecorator {
  const range =
    min !== undefined && max !== undefined
      ? ` between ${min} and ${max}`
      : min !== undefined
        ? ` >= ${min}`
        : max !== undefined
          ? ` <= ${max}`
          : '';
  const validate = ValidateBy(
    {
      name: 'envInt',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' &&
          Number.isSafeInteger(value) &&
          (min === undefined || value >= min) &&
          (max === undefined || value <= max),
        defaultMessage: () => `$property must be an integer${range}`,
      },
    },
    options,
  );
  return (target, key) => {
    toInteger(target, key);
    validate(target, key);
  };
}

/** Property decorator: an integer TCP port between 1 and 65535 (`EnvInt(1, 65535)`). */
export function IsPort(options?: ValidationOptions): PropertyDecorator {
  return EnvInt(1, 65535, options);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/**
 * Property decorator: parses `1/true/yes/on` → `true` and `0/false/no/off` → `false` (case-insensitive) and
 * validates the result is a boolean. Any other value fails with `must be a boolean (1/0, true/false, yes/no, on/off)`.
 */
export function EnvBoolean(options?: ValidationOptions): PropertyDecorator {
  const transform = Transform(({ key, obj, value }) => {
    const raw: unknown = (obj as Record<string, unknown>)[key];
    if (typeof raw !== 'string') return value;
    const v = raw.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    return raw;
  });
  const validate = ValidateBy(
    {
      name: 'envBoolean',
      validator: {
        validate: (value: unknown) => typeof value === 'boolean',
        defaultMessage: () => '$property must be a boolean (1/0, true/false, yes/no, on/off)',
      },
    },
    options,
  );
  return (target, key) => {
    transform(target, key);
    validate(target, key);
  };
}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Property decorator: an address a server can bind, an IPv4/IPv6 literal (`0.0.0.0`, `127.0.0.1`, `::`, `::1`)
 * or a host name (`localhost`). Message: `must be an IP address or host name to listen on (e.g. 0.0.0.0, 127.0.0.1, ::)`.
 */
export function IsListenHost(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isListenHost',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && (isIP(value) !== 0 || HOST_NAME.test(value)),
        defaultMessage: () =>
          '$property must be an IP address or host name to listen on (e.g. 0.0.0.0, 127.0.0.1, ::)',
      },
    },
    options,
  );
}

/**
 * Property decorator: a comma-separated list of 256-bit keys (64 hex digits or base64 each), as `parseKey` of
 * @vellum/secrets reads them (`VELLUM_SECRETS_KEY`, `VELLUM_SECRETS_PREVIOUS_KEYS`).
 */
export function IsSecretsKeyList(): PropertyDecorator {
  return ValidateBy({
    name: 'isSecretsKeyList',
    validator: {
      validate: (v: unknown) => {
        if (typeof v !== 'string') return false;
        try {
          v.split(',')
            .map((s) => s.trim())
            .filter(Boolean)
            .forEach((k) => parseKey(k));
          return true;
        } catch {
          return false;
        }
      },
      defaultMessage: () =>
        '$property must be 32-byte keys: 64 hex digits or 44 base64 characters each, comma-separated',
    },
  });
}

/** Log levels accepted by `LOG_LEVEL` (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Variables every Vellum app reads. Apps extend it:
 *
 * ```ts
 * class GatewayEnv extends BaseEnv {
 *   @IsPort() PORT = 3000;
 *   @IsUrlLike(['postgres', 'postgresql']) DATABASE_URL!: string;
 * }
 * const env = validateEnv(GatewayEnv);
 * ```
 */
export class BaseEnv {
  /** `development` | `production` | `test`; default `development`. */
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  /** pino level: fatal, error, warn, info, debug, trace, silent; default `info`. */
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** `1` → human-readable logs via pino-pretty (local development only; needs pino-pretty installed). */
  @IsOptional()
  @EnvBoolean()
  LOG_PRETTY?: boolean;

  /** Identifies this replica in logs and per-instance queue names; default `<hostname>-<pid>`. */
  @IsString()
  SERVICE_INSTANCE: string = `${hostname()}-${process.pid}`;

  /**
   * A message the broker redelivers this many times because its consumer died while handling it is dead-lettered
   * (reason `crashed`) instead of being handled again, so a crashing input cannot loop forever (SPEC.md §2 "Bus");
   * default 3.
   */
  @EnvInt(1)
  VELLUM_MAX_REDELIVERIES: number = 3;

  /**
   * Delivery attempts in all (first one included) of a message whose handler fails with a retryable error, before it
   * is dead-lettered and its asset gets an error (SPEC.md §4.1 step 5); default 5. Retry `n` waits a jittered delay
   * under `min(VELLUM_RETRY_MAX_DELAY_MS, VELLUM_RETRY_INITIAL_DELAY_MS × VELLUM_RETRY_MULTIPLIER^(n-1))`: by
   * default at most 1 s, 4 s, 16 s, 60 s.
   */
  @EnvInt(1, 50)
  VELLUM_RETRY_ATTEMPTS: number = 5;

  /** Ceiling of the first retry's delay, ms; default 1000. */
  @EnvInt(1)
  VELLUM_RETRY_INITIAL_DELAY_MS: number = 1000;

  /** Each retry's ceiling is the previous one times this (≥ 1, may be fractional); default 4. */
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    { message: '$property must be a number between 1 and 100' },
  )
  @Min(1, { message: '$property must be a number between 1 and 100' })
  @Max(100, { message: '$property must be a number between 1 and 100' })
  VELLUM_RETRY_MULTIPLIER: number = 4;

  /** No retry waits longer than this, ms (≥ `VELLUM_RETRY_INITIAL_DELAY_MS`); default 60000. */
  @EnvInt(1)
  @ValidateBy({
    name: 'atLeastInitialDelay',
    validator: {
      validate: (value: unknown, args) =>
        typeof value !== 'number' ||
        value >= (args?.object as { VELLUM_RETRY_INITIAL_DELAY_MS?: number }).VELLUM_RETRY_INITIAL_DELAY_MS!,
      defaultMessage: () => '$property must be at least VELLUM_RETRY_INITIAL_DELAY_MS',
    },
  })
  VELLUM_RETRY_MAX_DELAY_MS: number = 60000;

  /**
   * Fraction of each retry delay that is random, 0…1 (a retry waits between `(1 − jitter)` × its ceiling and the
   * ceiling), so messages that failed together do not return together; default 0.5.
   */
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    { message: '$property must be a number between 0 and 1' },
  )
  @Min(0, { message: '$property must be a number between 0 and 1' })
  @Max(1, { message: '$property must be a number between 0 and 1' })
  VELLUM_RETRY_JITTER: number = 0.5;

  /**
   * Handler deadline, ms: a message handler still running this long after it started is abandoned and the delivery
   * counts as a failed attempt (retried, then dead-lettered with reason `timeout`), so a message that hangs its
   * consumer is not held forever; default 1500000 (25 min, below RabbitMQ's 30-min `consumer_timeout`); 0 = none.
   */
  @EnvInt(0)
  VELLUM_HANDLER_TIMEOUT_MS: number = 1_500_000;

  /** Milliseconds graceful shutdown may take before the process force-exits (see bootstrapService); default 25000. */
  @EnvInt(0)
  SHUTDOWN_TIMEOUT_MS: number = 25000;

  /**
   * Interface the HTTP server binds (SPEC.md §9): default `0.0.0.0`, every interface, as a container needs;
   * `npm start` passes `127.0.0.1` (local mode: nothing reachable from the network) unless `VELLUM_HOST` says
   * otherwise. An IP literal or a host name.
   */
  @IsListenHost()
  HOST: string = '0.0.0.0';
}
