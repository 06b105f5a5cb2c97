import 'reflect-metadata';
import { bootstrapService, runService, validateEnv } from '@vellum/common';
import { createTransport, transportEnvOptions } from '@vellum/messaging';
import { AvTranscoderEnv } from './av-transcoder.env';

async function main(): Promise<void> {
  // Validate before anything else so a bad variable is named before any module is built.
  const env = validateEnv(AvTranscoderEnv);
  const { AppModule } = await import('./app.module');
  await bootstrapService(AppModule, {
    serviceName: 'av-transcoder',
    env,
    port: env.PORT,
    transport: createTransport({
      serviceName: 'av-transcoder',
      amqpUrl: env.AMQP_URL,
      exchange: env.AMQP_EXCHANGE,
      defaultPrefetch: env.AV_TRANSCODER_CONCURRENCY,
      ...transportEnvOptions(env),
    }),
  });
}

runService('av-transcoder', main);
