import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { bootstrapService, runService, validateEnv } from '@vellum/common';
import { ImageDerivativesCreateV1, NamedQueryProjectionBuildV1 } from '@vellum/contracts';
import { createTransport, transportEnvOptions } from '@vellum/messaging';
import { AppModule, SERVICE_NAME } from './app.module';
import { ImageProcessorEnv } from './image-processor.env';

/** Starts the image-processor: env validated first (fail fast, naming the bad variable), then Nest. */
async function main(): Promise<void> {
  const env = validateEnv(ImageProcessorEnv);
  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: env.AMQP_URL,
    exchange: env.AMQP_EXCHANGE,
    defaultPrefetch: env.IMAGE_PROCESSOR_CONCURRENCY,
    // Immediate registrations have a queue and slots of their own (SPEC.md §2 "Bus": the priority lane).
    consumers: {
      [ImageDerivativesCreateV1.routingKey]: { priorityPrefetch: env.IMAGE_PROCESSOR_PRIORITY_CONCURRENCY },
      [NamedQueryProjectionBuildV1.routingKey]: { prefetch: env.IMAGE_PROCESSOR_PROJECTION_CONCURRENCY },
    },
    ...transportEnvOptions(env),
  });
  @Module({ imports: [AppModule.forRoot({ env })] })
  class ImageProcessorRootModule {}
  await bootstrapService(ImageProcessorRootModule, {
    serviceName: SERVICE_NAME,
    env,
    port: env.PORT,
    transport,
  });
}

runService(SERVICE_NAME, main);
