import { Module } from '@nestjs/common';
import { VellumCommonModule, validateEnv } from '@vellum/common';
import { AmqpReadiness, MessagingModule } from '@vellum/messaging';
import { AvTranscodeCreateHandler } from './av-transcode-create.handler';
import { AvTranscoderEnv } from './av-transcoder.env';

const env = validateEnv(AvTranscoderEnv);

/** av-transcoder: audio/video derivatives with ffmpeg (SPEC.md §2, §4.4); a stateless worker. */
@Module({
  imports: [
    VellumCommonModule.forRoot({
      serviceName: 'av-transcoder',
      logLevel: env.LOG_LEVEL,
      logPretty: env.LOG_PRETTY,
      readiness: [AmqpReadiness],
    }),
    MessagingModule.forRoot({
      serviceName: 'av-transcoder',
      amqpUrl: env.AMQP_URL,
      exchange: env.AMQP_EXCHANGE,
    }),
  ],
  controllers: [AvTranscodeCreateHandler],
  providers: [{ provide: AvTranscoderEnv, useValue: env }],
})
export class AppModule {}
