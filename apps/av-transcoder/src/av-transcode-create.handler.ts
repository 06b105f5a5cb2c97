import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AvTranscodeCreateV1, AvTranscodeFailedV1 } from '@vellum/contracts';
import { MessagePublisher } from '@vellum/messaging';

/** What a transcode request is answered with until the ffmpeg presets land (SPEC.md §4.4). */
export const NOT_AVAILABLE = 'Audio/video transcoding (iiif-av) is not available in this Vellum release';

/**
 * Consumes `av.transcode.create.v1` (SPEC.md §4.1 step 3, §4.4). In this release it answers every request with
 * `av.transcode.failed.v1` (`retryable: false`) so an audio/video asset ends with a clear error instead of
 * staying `ingesting`; the ffmpeg presets (`audio-mp3-128`, `video-mp4-720p`, ...) arrive with the AV issue.
 */
@Controller()
export class AvTranscodeCreateHandler {
  private readonly log = new Logger(AvTranscodeCreateHandler.name);

  constructor(private readonly publisher: MessagePublisher) {}

  @EventPattern(AvTranscodeCreateV1.routingKey, { prefetch: 1 })
  async handle(@Payload() cmd: AvTranscodeCreateV1): Promise<void> {
    this.log.warn(
      { asset: `${cmd.customerId}/${cmd.spaceId}/${cmd.assetId}`, presets: cmd.presets },
      NOT_AVAILABLE,
    );
    await this.publisher.publish(
      Object.assign(new AvTranscodeFailedV1(), {
        customerId: cmd.customerId,
        spaceId: cmd.spaceId,
        assetId: cmd.assetId,
        attempt: cmd.attempt,
        error: NOT_AVAILABLE,
        retryable: false,
      }),
    );
  }
}
