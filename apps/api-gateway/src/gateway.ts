import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { withResourceSchemas } from './resource/openapi';
import {
  bootstrapService,
  ProblemExceptionFilter,
  trustedProxies,
  type VellumCommonOptions,
} from '@vellum/common';
import { PRISMA, type PrismaClient } from '@vellum/db';
import { createTransport, transportEnvOptions } from '@vellum/messaging';
import { createAppModule } from './app.module';
import { bootstrapAdmin } from './auth/bootstrap-admin';
import { RevocationFeed } from './auth/revocation-feed';
import { CustomerApiKeyDeletedV1 } from '@vellum/contracts';
import type { GatewayEnv } from './config/gateway-env';
import { inputHygieneMiddleware } from './http/input-hygiene.middleware';
import { portalChallengeMiddleware } from './portal/portal-challenge.middleware';
import { portalMiddleware } from './portal/portal.middleware';
import { jsonBodyOptions } from './http/json-body';
import { withProblemResponses } from './http/openapi-problems';
import { SERVICE_NAME } from './customers/customers.service';

/**
 * Creates, configures and starts the api-gateway (used by main.ts and the integration tests):
 * JSON bodies up to `VELLUM_MAX_BODY_BYTES` (1 MiB; larger → 413 problem; any content type but multipart is read
 * as JSON, so `curl -d '{...}'` works as with the DLCS; UTF-8 only, else 415; nesting ≤ `VELLUM_MAX_JSON_DEPTH`),
 * RFC 7807 errors, OpenAPI at `/openapi.json` and `/docs`,
 * the AMQP transport (hears `asset.ingest.finished.v1` and `customer.apikey.deleted.v1` on per-instance queues; the
 * latter's `broadcastSince` feeds the key caches' {@link RevocationFeed}), and the admin bootstrap from
 * VELLUM_ADMIN_KEY/SECRET. `opts.logDestination` (tests) receives the JSON log lines instead of stdout.
 */
export async function startGateway(
  env: GatewayEnv,
  opts: { host?: string; logDestination?: VellumCommonOptions['logDestination'] } = {},
): Promise<INestApplication> {
  return bootstrapService(createAppModule(env, { logDestination: opts.logDestination }), {
    serviceName: SERVICE_NAME,
    env,
    port: env.PORT,
    host: opts.host,
    transport: (app) => {
      const transport = createTransport({
        serviceName: SERVICE_NAME,
        amqpUrl: env.AMQP_URL,
        exchange: env.AMQP_EXCHANGE,
        ...transportEnvOptions(env),
      });
      // The key caches trust what they hold only while this replica hears deletions (SPEC.md §3.3 "Keys").
      app.get(RevocationFeed).attach(() => transport.broadcastSince(CustomerApiKeyDeletedV1.routingKey));
      return transport;
    },
    configure: async (app) => {
      const express = app as NestExpressApplication;
      express.useBodyParser(
        'json',
        jsonBodyOptions({ maxBytes: env.VELLUM_MAX_BODY_BYTES, maxDepth: env.VELLUM_MAX_JSON_DEPTH }),
      );
      // Right after the body parser, before Nest's middleware (whose `{*path}` route would decode the path first):
      // 405 + Allow, and no NUL / unpaired surrogate / bad %-escape in path, query or body.
      express.use(inputHygieneMiddleware());
      // The portal's static files and client-side routes under /portal/ (issue 13), before Nest's routes.
      express.use(portalMiddleware());
      express.use(portalChallengeMiddleware());
      express.disable('x-powered-by');
      // `req.ip` (what failed authentications are counted against) follows the same trusted proxies as the
      // public base URL, so clients behind a trusted proxy are told apart by X-Forwarded-For.
      express.set('trust proxy', trustedProxies(env.VELLUM_TRUSTED_PROXIES));
      app.useGlobalFilters(new ProblemExceptionFilter());
      const doc = withResourceSchemas(
        withProblemResponses(
          SwaggerModule.createDocument(
            app,
            new DocumentBuilder()
              .setTitle('Vellum management API')
              .setDescription(
                'DLCS-compatible management API (Hydra JSON-LD). Authenticate with HTTP Basic key:secret.',
              )
              .setVersion('0.1.0')
              .addBasicAuth()
              .build(),
          ),
        ),
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
