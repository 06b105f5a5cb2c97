import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, ProblemExceptionFilter, runService, validateEnv } from '@vellum/common';
import { createTransport, transportEnvOptions } from '@vellum/messaging';
import { deliveryRootModule, SERVICE_NAME } from './app.module';
import { DeliveryEnv } from './env';

/**
 * CORS for every public response, errors and 404s included, and preflight (SPEC.md §5 "CORS `*` on every
 * public response"). Applied by Express before routing.
 */
export function configureDeliveryApp(app: INestApplication): void {
  app.enableCors({
    origin: '*',
    methods: ['GET', 'HEAD', 'OPTIONS'],
    // Range responses of the file channel (SPEC.md §5) are read by cross-origin viewers (PDF.js, media elements).
    exposedHeaders: [
      'Link',
      'ETag',
      'Last-Modified',
      'Content-Length',
      'Accept-Ranges',
      'Content-Range',
      'Content-Disposition',
      'Retry-After',
      'Location',
      'X-Correlation-Id',
    ],
    maxAge: 86400,
  });
  app.useGlobalFilters(new ProblemExceptionFilter());
  // Express' default ETag would hash every body again; responses here carry their own validators.
  const http = app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void };
  http.set('etag', false);
  http.set('x-powered-by', false);
}

/**
 * Headers of the problem documents answered to requests Node rejects before routing (headers over 16 KiB → 431,
 * malformed HTTP → 400): CORS like every other public response (SPEC.md §5).
 */
export const DELIVERY_CLIENT_ERROR_HEADERS: Record<string, string> = { 'Access-Control-Allow-Origin': '*' };

/** Starts iiif-delivery: validates the environment, then serves HTTP and consumes cache-invalidation events. */
export async function main(): Promise<INestApplication> {
  const env = validateEnv(DeliveryEnv);
  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: env.AMQP_URL,
    exchange: env.AMQP_EXCHANGE,
    ...transportEnvOptions(env),
  });
  return bootstrapService(deliveryRootModule(env), {
    serviceName: SERVICE_NAME,
    env,
    port: env.PORT,
    transport,
    configure: configureDeliveryApp,
    clientErrorHeaders: DELIVERY_CLIENT_ERROR_HEADERS,
  });
}

if (require.main === module) {
  runService(SERVICE_NAME, main);
}
