import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { bootstrapService, EnvValidationError, validateEnv } from '@vellum/common';
import { createTransport } from '@vellum/messaging';
import { AppModule, SERVICE_NAME } from './app.module';
import { ImageProcessorEnv } from './image-processor.env';

/** Starts the image-processor: env validated first (fail fast, naming the bad variable), then Nest. */
async function main(): Promise<void> {
  let env: ImageProcessorEnv;
  try {
    env = validateEnv(ImageProcessorEnv);
  } catch (err) {
    if (err instanceof EnvValidationError) {
      process.stderr.write(`${SERVICE_NAME}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: env.AMQP_URL,
    exchange: env.AMQP_EXCHANGE,
    defaultPrefetch: env.IMAGE_PROCESSOR_CONCURRENCY,
  });
  @Module({ imports: [AppModule.forRoot({ env })] })
  class ImageProcessorRootModule {}
  await bootstrapService(ImageProcessorRootModule, { serviceName: SERVICE_NAME, port: env.PORT, transport });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${SERVICE_NAME}: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
