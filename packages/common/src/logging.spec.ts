import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options as PinoHttpOptions } from 'pino-http';
import { buildLoggerParams } from './logging';

function levelFor(successLevel: string | undefined, statusCode: number, err?: Error): string {
  const params = buildLoggerParams({ serviceName: 'logging-test', successLevel });
  const http = params.pinoHttp as PinoHttpOptions;
  const fn = http.customLogLevel as (req: IncomingMessage, res: ServerResponse, err?: Error) => string;
  return fn({} as IncomingMessage, { statusCode } as ServerResponse, err);
}

describe('access log levels', () => {
  it('logs successes at info by default, 4xx at warn, 5xx and errors at error', () => {
    expect(levelFor(undefined, 200)).toBe('info');
    expect(levelFor(undefined, 304)).toBe('info');
    expect(levelFor(undefined, 404)).toBe('warn');
    expect(levelFor(undefined, 503)).toBe('error');
    expect(levelFor(undefined, 200, new Error('boom'))).toBe('error');
  });

  it('lets a high-volume service move successes to debug without hiding failures', () => {
    expect(levelFor('debug', 200)).toBe('debug');
    expect(levelFor('debug', 400)).toBe('warn');
    expect(levelFor('debug', 500)).toBe('error');
  });
});
