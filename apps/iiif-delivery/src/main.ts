import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import {
  bootstrapService,
  ProblemExceptionFilter,
  runClustered,
  runService,
  validateEnv,
  workerCount,
} from '@vellum/common';
import { createTransport, transportEnvOptions } from '@vellum/messaging';
import { deliveryRootModule, SERVICE_NAME } from './app.module';
import { DeliveryEnv } from './env';
import { installHotPath } from './hot-path';
import { DELIVERY_ENV } from './tokens';

/**
 * CORS for every public response, errors and 404s included, and preflight (SPEC.md §5 "CORS `*` on every
 * public response"). Applied by Express before routing. Then, unless `VELLUM_DELIVERY_HOT_PATH=0`, installs the
 * hot path (`hot-path.ts`) in front of Express on the app's HTTP server.
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
  // The lean handler of the image, info.json and thumbnail routes, in front of Express (issue 11).
  if (app.get<DeliveryEnv>(DELIVERY_ENV).VELLUM_DELIVERY_HOT_PATH === 1) installHotPath(app);
}

/**
 * Headers of the problem documents answered to requests Node rejects before routing (headers over 16 KiB → 431,
 * malformed HTTP → 400): CORS like every other public response (SPEC.md §5).
 */
export const DELIVERY_CLIENT_ERROR_HEADERS: Record<string, string> = { 'Access-Control-Allow-Origin': '*' };

/**
 * Starts one iiif-delivery instance: serves HTTP (the hot path in front of Nest, see `hot-path.ts`) and consumes
 * the cache-invalidation and access-control events on its own per-instance queues.
 */
export async function startDelivery(env: DeliveryEnv): Promise<INestApplication> {
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

/**
 * Entry point (`node dist/main.js`): validates the environment, then runs `VELLUM_DELIVERY_WORKERS` instances
 * sharing the port (default one per CPU; the primary restarts a worker that dies), or one in this process for 1.
 */
export async function main(): Promise<void> {
  const env = validateEnv(DeliveryEnv);
  await runClustered(SERVICE_NAME, workerCount(env.VELLUM_DELIVERY_WORKERS), () => startDelivery(env));
}

if (require.main === module) {
  runService(SERVICE_NAME, main);
}
