import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, ProblemExceptionFilter, runService, validateEnv } from '@vellum/common';
import { AppModule, SERVICE_NAME } from './app.module';
import { AuthServiceEnv } from './auth-service.env';

/**
 * CORS `*` on every response, errors and 404s included, and preflight `OPTIONS` answered (204), like every public
 * response of Vellum (SPEC.md §5); problem documents for every error (SPEC.md §3.1). IIIF Auth 2.0 (SPEC.md §6)
 * needs no credentialed CORS here: the access and logout services open in a window, the token service in an
 * iframe that answers by `postMessage`, and the probe service lives on iiif-delivery.
 */
export function configureAuthApp(app: INestApplication): void {
  app.enableCors({
    origin: '*',
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    exposedHeaders: ['X-Correlation-Id'],
    maxAge: 86400,
  });
  app.useGlobalFilters(new ProblemExceptionFilter());
  const http = app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void };
  http.set('x-powered-by', false);
}

/** Headers of the problem documents for requests Node rejects before routing (431...): CORS as everywhere. */
export const AUTH_CLIENT_ERROR_HEADERS: Record<string, string> = { 'Access-Control-Allow-Origin': '*' };

/**
 * Starts auth-service on `env.PORT` (used by `main()` and the integration tests).
 * @param opts.host interface to bind; default `0.0.0.0`.
 */
export function startAuthService(
  env: AuthServiceEnv,
  opts: { host?: string } = {},
): Promise<INestApplication> {
  return bootstrapService(AppModule.forRoot(env), {
    serviceName: SERVICE_NAME,
    env,
    port: env.PORT,
    host: opts.host,
    configure: configureAuthApp,
    clientErrorHeaders: AUTH_CLIENT_ERROR_HEADERS,
  });
}

async function main(): Promise<void> {
  await startAuthService(validateEnv(AuthServiceEnv));
}

if (require.main === module) runService(SERVICE_NAME, main);
