import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { bootstrapService, ProblemExceptionFilter } from '@vellum/common';
import { PRISMA, type PrismaClient } from '@vellum/db';
import { createTransport, transportEnvOptions } from '@vellum/messaging';
import type { Request } from 'express';
import { createAppModule } from './app.module';
import { bootstrapAdmin } from './auth/bootstrap-admin';
import type { GatewayEnv } from './config/gateway-env';
import { SERVICE_NAME } from './customers/customers.service';

/** Media types parsed as JSON: everything but multipart and form bodies sent by browsers' forms. */
function isJsonBody(req: Request): boolean {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  return !type.startsWith('multipart/');
}

/**
 * Creates, configures and starts the api-gateway (used by main.ts and the integration tests):
 * JSON bodies up to `VELLUM_MAX_BODY_BYTES` (1 MiB; larger → 413 problem; any content type but multipart is read
 * as JSON, so `curl -d '{...}'` works as with the DLCS), RFC 7807 errors, OpenAPI at `/openapi.json` and `/docs`,
 * the AMQP transport (hears `asset.ingest.finished.v1`), and the admin bootstrap from VELLUM_ADMIN_KEY/SECRET.
 */
export async function startGateway(env: GatewayEnv, opts: { host?: string } = {}): Promise<INestApplication> {
  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: env.AMQP_URL,
    exchange: env.AMQP_EXCHANGE,
    ...transportEnvOptions(env),
  });
  return bootstrapService(createAppModule(env), {
    serviceName: SERVICE_NAME,
    env,
    port: env.PORT,
    host: opts.host,
    transport,
    configure: async (app) => {
      const express = app as NestExpressApplication;
      express.useBodyParser('json', { limit: env.VELLUM_MAX_BODY_BYTES, type: isJsonBody });
      express.disable('x-powered-by');
      app.useGlobalFilters(new ProblemExceptionFilter());
      const doc = SwaggerModule.createDocument(
        app,
        new DocumentBuilder()
          .setTitle('Vellum management API')
          .setDescription(
            'DLCS-compatible management API (Hydra JSON-LD). Authenticate with HTTP Basic key:secret.',
          )
          .setVersion('0.1.0')
          .addBasicAuth()
          .build(),
      );
      SwaggerModule.setup('docs', app, doc, {
        jsonDocumentUrl: 'openapi.json',
        yamlDocumentUrl: 'openapi.yaml',
      });
      if (env.VELLUM_ADMIN_KEY && env.VELLUM_ADMIN_SECRET) {
        await bootstrapAdmin(app.get<PrismaClient>(PRISMA), env.VELLUM_ADMIN_KEY, env.VELLUM_ADMIN_SECRET);
      }
    },
  });
}
