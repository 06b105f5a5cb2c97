import { AvTranscodeCreateV1, AvTranscodeFailedV1, validatePayload } from '@vellum/contracts';
import type { MessagePublisher } from '@vellum/messaging';
import { AvTranscodeCreateHandler, NOT_AVAILABLE } from './av-transcode-create.handler';

describe('AvTranscodeCreateHandler', () => {
  it('answers a transcode request with a permanent, valid failure reply for the same attempt', async () => {
    const published: object[] = [];
    const publisher = { publish: async (m: object) => void published.push(m) } as unknown as MessagePublisher;
    const cmd = validatePayload<AvTranscodeCreateV1>(AvTranscodeCreateV1.routingKey, {
      customerId: 2,
      spaceId: 1,
      assetId: 'clip',
      attempt: 3,
      mediaType: 'video/mp4',
      source: { bucket: 'vellum-origins', key: '2/1/clip/origin' },
      presets: ['video-mp4-720p'],
      bucket: 'vellum-derivatives',
      keyPrefix: '2/1/clip',
    });
    await new AvTranscodeCreateHandler(publisher).handle(cmd);
    expect(published).toHaveLength(1);
    const reply = published[0] as AvTranscodeFailedV1;
    expect(reply).toBeInstanceOf(AvTranscodeFailedV1);
    expect(validatePayload(AvTranscodeFailedV1.routingKey, { ...reply })).toMatchObject({
      customerId: 2,
      spaceId: 1,
      assetId: 'clip',
      attempt: 3,
      retryable: false,
      error: NOT_AVAILABLE,
    });
  });
});
