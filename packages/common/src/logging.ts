import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type LevelWithSilent, type LoggerOptions } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { assignRequestCorrelationId, correlation } from './correlation';

/**
 * Paths removed from every log line (replaced by `[REDACTED]`): credentials in request headers and any
 * `password` / `secret` / `secretKey` / `credentials` property at the top level or one or two levels deep.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...['password', 'secret', 'secretKey', 'credentials', 'apiSecret'].flatMap((k) => [
    k,
    `*.${k}`,
    `*.*.${k}`,
  ]),
];

/** Routes whose successful requests are not logged by pino-http (probes and scrapes). */
export function isOpsPath(url: string | undefined): boolean {
  if (!url) return false;
  const path = url.split('?', 1)[0] ?? '';
  return (
    path === '/metrics' || path === '/health/live' || path === '/health/ready' || path.startsWith('/health/')
  );
}

/** Options of {@link buildLoggerParams}. */
export interface LoggingOptions {
  serviceName: string;
  /** pino level (the app's validated `LOG_LEVEL`); default `info`. */
  level?: string;
  /** Human-readable output via pino-pretty (the app's `LOG_PRETTY`); default false. Ignored with `destination`. */
  pretty?: boolean;
  /** Where JSON lines go (default stdout). Tests pass a stream to capture lines. */
  destination?: DestinationStream;
  /**
   * Level of the access line for requests answered below 400 (e.g. iiif-delivery's `LOG_HTTP_SUCCESS_LEVEL`);
   * default `info`. A high-volume service (iiif-delivery's tiles) uses `debug`, so a successful request writes nothing
   * at the usual `info` while 4xx (`warn`) and 5xx (`error`) are still logged.
   */
  successLevel?: string;
}

const chindingsSym = pino.symbols.chindingsSym;

/**
 * pino options shared by the HTTP logger and standalone loggers: one JSON line per event with `level` (label),
 * `time` (ISO 8601), `service`, `correlationId` (from the AsyncLocalStorage) and `msg`; secrets redacted.
 */
export function buildPinoOptions(serviceName: string, level = 'info'): LoggerOptions {
  return {
    level,
    base: { service: serviceName, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    // Adds the correlation id of the current async context, unless the logger already carries one as a binding
    // (pino-http request loggers do, via customProps), so a line never holds the key twice.
    mixin(_merge, _level, logger) {
      const id = correlation.get();
      if (id === undefined) return {};
      const chindings = (logger as unknown as Record<symbol, string | undefined>)[chindingsSym];
      return chindings?.includes('"correlationId"') ? {} : { correlationId: id };
    },
  };
}

function prettyTransport(): LoggerOptions['transport'] | undefined {
  try {
    return {
      target: require.resolve('pino-pretty'),
      options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' },
    };
  } catch {
    process.stderr.write('LOG_PRETTY is set but pino-pretty is not installed; logging JSON\n');
    return undefined;
  }
}

/**
 * nestjs-pino `LoggerModule.forRoot` params: pino-http request logging whose request id is the correlation id
 * (`genReqId`), `correlationId` bound on every request log (`customProps`), successful /health/* and /metrics
 * requests not logged, 4xx logged at `warn`, 5xx and errors at `error`, others at `successLevel` (default `info`).
 */
export function buildLoggerParams(opts: LoggingOptions): Params {
  const base = buildPinoOptions(opts.serviceName, opts.level);
  const successLevel = (opts.successLevel ?? 'info') as LevelWithSilent;
  const pretty = opts.destination === undefined && opts.pretty === true;
  const transport = pretty ? prettyTransport() : undefined;
  const httpOpts: PinoHttpOptions<IncomingMessage, ServerResponse> = {
    ...base,
    ...(transport ? { transport } : {}),
    genReqId: (req, res) => assignRequestCorrelationId(req, res),
    customProps: (req) => ({ correlationId: (req as IncomingMessage & { id?: unknown }).id }),
    autoLogging: {
      ignore: (req) => isOpsPath((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url),
    },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : successLevel,
    serializers: {
      req: (req: {
        id?: unknown;
        method?: string;
        url?: string;
        headers?: Record<string, unknown>;
        remoteAddress?: string;
      }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
        userAgent: req.headers?.['user-agent'],
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  return {
    pinoHttp: opts.destination ? [httpOpts, opts.destination] : httpOpts,
    // nestjs-pino's default `*` makes Nest 11 warn (legacy path syntax); this is the same "every route".
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
  };
}

/**
 * A standalone pino logger with the Vellum format, for code that runs outside Nest (CLIs, scripts, the test
 * harness).
 */
export function createLogger(
  serviceName: string,
  opts: { level?: string; destination?: DestinationStream } = {},
): pino.Logger {
  const options = buildPinoOptions(serviceName, opts.level);
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
