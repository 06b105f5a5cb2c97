import * as os from 'node:os';
import * as path from 'node:path';
import { Module } from '@nestjs/common';
import { StorageReadiness, VellumCommonModule, validateEnv } from '@vellum/common';
import { AmqpReadiness, MessagingModule } from '@vellum/messaging';
import { createObjectStore, OBJECT_STORE, type ObjectStore, storageConfigFromEnv } from '@vellum/storage';
import { AvTranscodeCreateHandler } from './av-transcode-create.handler';
import { AvTranscoderEnv } from './av-transcoder.env';
import { AvTranscoderMetrics } from './av-transcoder.metrics';
import { AvTranscodeService, PresetsAnnouncer } from './media';

const env = validateEnv(AvTranscoderEnv);

/**
 * av-transcoder: audio/video derivatives with ffmpeg (SPEC.md §2, §4.4); a stateless worker. HTTP: `/health/live`,
 * `/health/ready` (RabbitMQ + object store), `/metrics`.
 */
@Module({
  imports: [
    VellumCommonModule.forRoot({
      serviceName: 'av-transcoder',
      logLevel: env.LOG_LEVEL,
      logPretty: env.LOG_PRETTY,
      readiness: [AmqpReadiness, StorageReadiness],
    }),
    MessagingModule.forRoot({
      serviceName: 'av-transcoder',
      amqpUrl: env.AMQP_URL,
      exchange: env.AMQP_EXCHANGE,
    }),
  ],
  controllers: [AvTranscodeCreateHandler],
  providers: [
    { provide: AvTranscoderEnv, useValue: env },
    { provide: OBJECT_STORE, useFactory: () => createObjectStore(storageConfigFromEnv(env)) },
    {
      provide: AvTranscodeService,
      inject: [OBJECT_STORE],
      useFactory: (store: ObjectStore) =>
        new AvTranscodeService(store, {
          ffmpeg: env.FFMPEG,
          ffprobe: env.FFPROBE,
          stallTimeoutMs: env.AV_STALL_TIMEOUT_MS,
          tmpRoot: env.VELLUM_TMP_DIR ? path.resolve(env.VELLUM_TMP_DIR) : os.tmpdir(),
        }),
    },
    AvTranscoderMetrics,
    PresetsAnnouncer,
    StorageReadiness,
  ],
})
export class AppModule {}
