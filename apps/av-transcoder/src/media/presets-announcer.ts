import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AV_PRESETS, AvPresetsPublishedV1 } from '@vellum/contracts';
import { MessagePublisher } from '@vellum/messaging';
import { AvTranscoderEnv } from '../av-transcoder.env';

/** The `av.presets.published.v1` event of this transcoder: every preset of `AV_PRESETS`. */
export function presetsEvent(instance: string): AvPresetsPublishedV1 {
  return Object.assign(new AvPresetsPublishedV1(), {
    instance,
    presets: AV_PRESETS.map((p) => ({
      name: p.name,
      kind: p.kind,
      mediaType: p.mediaType,
      extension: p.extension,
      ...(p.video ? { maxHeight: p.video.maxHeight } : {}),
    })),
  });
}

/** Publishes the preset list once at start (SPEC.md §4.4); a failure is logged, never fatal. */
@Injectable()
export class PresetsAnnouncer implements OnApplicationBootstrap {
  private readonly log = new Logger(PresetsAnnouncer.name);
  constructor(
    private readonly publisher: MessagePublisher,
    private readonly env: AvTranscoderEnv,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.publisher.publish(presetsEvent(this.env.SERVICE_INSTANCE));
      this.log.log(`published ${AV_PRESETS.length} AV presets`);
    } catch (err) {
      this.log.warn(`could not publish the AV presets: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
