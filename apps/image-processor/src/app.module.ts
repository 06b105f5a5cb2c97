import * as os from 'node:os';
import * as path from 'node:path';
import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule, DatabaseReadiness, StorageReadiness, VellumCommonModule } from '@vellum/common';
import { AmqpReadiness, MessagingModule } from '@vellum/messaging';
import { createObjectStore, OBJECT_STORE, type ObjectStore, storageConfigFromEnv } from '@vellum/storage';
import { ImageDerivativesCreateHandler } from './image-derivatives-create.handler';
import { ImageDerivativesService } from './image-derivatives.service';
import { ImagePipelineService } from './image-pipeline.service';
import {
  defaultImageProcessorConfig,
  IMAGE_PROCESSOR_CONFIG,
  ImageProcessorConfig,
} from './image-processor.config';
import { ImageProcessorEnv } from './image-processor.env';
import { ImageProcessorMetrics } from './image-processor.metrics';
import { MediaRepository } from './media.repository';
import { ProjectionBuildHandler } from './projections/projection-build.handler';
import { ProjectionBuildService } from './projections/projection-build.service';
import { ProjectionMetrics } from './projections/projection.metrics';
import { WorkDirs } from './work-dirs';

export const SERVICE_NAME = 'image-processor';

export interface AppModuleOptions {
  env: ImageProcessorEnv;
  /** Overrides the object store built from the environment (tests). */
  store?: ObjectStore;
}

/** Pipeline settings from the validated environment. */
export function configFromEnv(env: ImageProcessorEnv): ImageProcessorConfig {
  return defaultImageProcessorConfig({
    maxImagePixels: env.VELLUM_MAX_IMAGE_PIXELS,
    concurrency: env.IMAGE_PROCESSOR_CONCURRENCY,
    pyramidQuality: env.VELLUM_PYRAMID_QUALITY,
    opjDecompress: env.OPJ_DECOMPRESS,
    pdfinfo: env.PDFINFO,
    pdftoppm: env.PDFTOPPM,
    decodeTimeoutMs: env.VELLUM_DECODE_TIMEOUT_MS,
    tmpRoot: env.VELLUM_TMP_DIR ? path.resolve(env.VELLUM_TMP_DIR) : os.tmpdir(),
    instanceName: env.SERVICE_INSTANCE,
  });
}

/**
 * The image-processor (SPEC.md §2, §4.3, §7): the image-derivatives worker (stateless) and the named-query
 * projection worker (`src/projections/`: PDFs and ZIPs, with the projection control records in Postgres). Its only
 * HTTP routes are `/health/live`, `/health/ready` (RabbitMQ + object store + Postgres) and `/metrics`. The consumer runs in the `VellumRmqTransport`
 * connected by `main.ts`.
 */
@Module({})
export class AppModule {
  static forRoot(opts: AppModuleOptions): DynamicModule {
    const { env } = opts;
    return {
      module: AppModule,
      imports: [
        VellumCommonModule.forRoot({
          serviceName: SERVICE_NAME,
          logLevel: env.LOG_LEVEL,
          logPretty: env.LOG_PRETTY,
          readiness: [AmqpReadiness, StorageReadiness, DatabaseReadiness],
        }),
        DatabaseModule.forRoot(env.DATABASE_URL),
        MessagingModule.forRoot({
          serviceName: SERVICE_NAME,
          amqpUrl: env.AMQP_URL,
          exchange: env.AMQP_EXCHANGE,
        }),
      ],
      controllers: [ImageDerivativesCreateHandler, ProjectionBuildHandler],
      providers: [
        { provide: ImageProcessorEnv, useValue: env },
        { provide: IMAGE_PROCESSOR_CONFIG, useValue: configFromEnv(env) },
        {
          provide: OBJECT_STORE,
          useFactory: () => opts.store ?? createObjectStore(storageConfigFromEnv(env)),
        },
        MediaRepository,
        WorkDirs,
        ImagePipelineService,
        ImageDerivativesService,
        ImageProcessorMetrics,
        ProjectionBuildService,
        ProjectionMetrics,
        StorageReadiness,
      ],
    };
  }
}
