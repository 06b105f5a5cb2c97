import {
  AvTranscodeCompletedV1,
  AvTranscodeCreateV1,
  AvTranscodeFailedV1,
  validatePayload,
} from '@vellum/contracts';
import type { MessagePublisher, VellumRmqContext } from '@vellum/messaging';
import { ObjectNotFoundError } from '@vellum/storage';
import { AvTranscodeCreateHandler } from './av-transcode-create.handler';
import type { AvTranscoderMetrics } from './av-transcoder.metrics';
import { type AvJobResult, type AvTranscodeService, MediaError } from './media';

describe('AvTranscodeCreateHandler', () => {
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
  const ctx = (attempt: number, isLastAttempt = false) =>
    ({
      attempt,
      isLastAttempt,
      redeliveries: 0,
      message: { properties: { priority: 5 } },
    }) as unknown as VellumRmqContext;
  const outcomes: string[] = [];
  const metrics = {
    record: (o: string) => outcomes.push(o),
    progress: { set: jest.fn(), remove: jest.fn() },
    speed: { set: jest.fn() },
  } as unknown as AvTranscoderMetrics;
  let published: Array<{ msg: object; opts: unknown }>;
  const publisher = {
    publish: async (msg: object, opts: unknown) => void published.push({ msg, opts }),
  } as unknown as MessagePublisher;
  const handler = (transcode: AvTranscodeService['transcode']) =>
    new AvTranscodeCreateHandler({ transcode } as AvTranscodeService, publisher, metrics);

  beforeEach(() => {
    published = [];
    outcomes.length = 0;
  });

  it('replies completed with the facts, the source echoed, on the same priority lane', async () => {
    const result: AvJobResult = {
      duration: 5055,
      width: 960,
      height: 540,
      outputs: [
        {
          preset: 'video-mp4-720p',
          location: { bucket: 'vellum-derivatives', key: '2/1/clip/av/video-mp4-720p.mp4', size: 9 },
          mediaType: 'video/mp4',
          width: 960,
          height: 540,
          duration: 5055,
          codec: 'h264+aac',
        },
      ],
      poster: {
        location: { bucket: 'vellum-derivatives', key: '2/1/clip/av/poster.jpg', size: 3 },
        mediaType: 'image/jpeg',
        width: 960,
        height: 540,
      },
      probe: { formatName: 'mp4', duration: 5055, streams: [{ type: 'video', codec: 'h264' }] },
    };
    await handler(async (_job, onProgress) => {
      onProgress?.({ preset: 'video-mp4-720p', index: 1, total: 1, fraction: 0.5, speed: 2 });
      return result;
    }).handle(cmd, ctx(1));
    expect(published).toHaveLength(1);
    expect(published[0].opts).toEqual({ priority: 5 });
    const reply = published[0].msg as AvTranscodeCompletedV1;
    expect(reply).toBeInstanceOf(AvTranscodeCompletedV1);
    expect(
      validatePayload(AvTranscodeCompletedV1.routingKey, JSON.parse(JSON.stringify(reply))),
    ).toMatchObject({
      customerId: 2,
      spaceId: 1,
      assetId: 'clip',
      attempt: 3,
      duration: 5055,
      source: { bucket: 'vellum-origins', key: '2/1/clip/origin' },
      poster: { width: 960 },
    });
    expect(metrics.progress.set).toHaveBeenCalledWith({ asset: '2/1/clip', preset: 'video-mp4-720p' }, 0.5);
    expect(metrics.progress.remove).toHaveBeenCalledWith({ asset: '2/1/clip', preset: 'video-mp4-720p' });
    expect(outcomes).toEqual(['completed']);
  });

  it('a permanent media error → failed, retryable false, at once', async () => {
    await handler(async () => {
      throw new MediaError(
        'Preset video-mp4-720p needs a video stream, and the file has none (audio only)',
        false,
      );
    }).handle(cmd, ctx(1));
    const reply = published[0].msg as AvTranscodeFailedV1;
    expect(reply).toBeInstanceOf(AvTranscodeFailedV1);
    expect(validatePayload(AvTranscodeFailedV1.routingKey, { ...reply })).toMatchObject({
      attempt: 3,
      retryable: false,
      error:
        'Preset video-mp4-720p needs a video stream, and the file has none (audio only) (permanent, 1 attempt)',
    });
    expect(outcomes).toEqual(['failed_permanent']);
  });

  it('the staged source gone → permanent', async () => {
    await handler(async () => {
      throw new ObjectNotFoundError('vellum-origins', '2/1/clip/origin');
    }).handle(cmd, ctx(2));
    expect((published[0].msg as AvTranscodeFailedV1).retryable).toBe(false);
    expect((published[0].msg as AvTranscodeFailedV1).error).toMatch(
      /^The staged source is gone: .* \(permanent, 2 attempts\)$/,
    );
  });

  it('a stalled ffmpeg: throws for a retry, and on the last attempt replies retryable', async () => {
    const stalled = async () => {
      throw new MediaError('ffmpeg made no progress for 60000 ms and was killed', true);
    };
    await expect(handler(stalled).handle(cmd, ctx(1))).rejects.toThrow(
      'ffmpeg made no progress for 60000 ms and was killed',
    );
    expect(published).toEqual([]);
    await handler(stalled).handle(cmd, ctx(5, true));
    expect(published[0].msg).toMatchObject({
      retryable: true,
      error:
        'Audio/video transcoding failed after 5 attempts (retryable): ffmpeg made no progress for 60000 ms and was killed',
    });
    expect(outcomes).toEqual(['retry', 'failed_retries_exhausted']);
  });
});
