import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { BaseEnv, IsPort, IsUrlLike } from '@vellum/common';

/** av-transcoder configuration, validated at boot (SPEC.md §9). */
export class AvTranscoderEnv extends BaseEnv {
  /** HTTP port for /health and /metrics; default 3005. */
  @IsPort() PORT: number = 3005;
  /** RabbitMQ URL. */
  @IsUrlLike(['amqp', 'amqps']) AMQP_URL!: string;
  /** Topic exchange; default `vellum`. */
  @IsOptional() @IsString() AMQP_EXCHANGE?: string;
  /** Transcodes run at once (the consumer prefetch); default 1. */
  @IsInt() @Min(1) AV_TRANSCODER_CONCURRENCY: number = 1;
}
