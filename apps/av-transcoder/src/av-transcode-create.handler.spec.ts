import {
  AvTranscodeCompletedV1,
  AvTranscodeCreateV1,
  AvTranscodeFailedV1,
  AvTranscodeProgressV1,
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
  const handler = (transcode: AvTranscodeService['transcode'], intervalMs = 3_600_000) =>
    new AvTranscodeCreateHandler({ transcode } as AvTranscodeService, publisher, metrics, {
      AV_PROGRESS_INTERVAL_MS: intervalMs,
    });
  /** The replies published, progress reports left out. */
  const replies = () => published.filter((p) => !(p.msg instanceof AvTranscodeProgressV1));

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
    expect(replies()).toHaveLength(1);
    expect(replies()[0].opts).toEqual({ priority: 5 });
    const reply = replies()[0].msg as AvTranscodeCompletedV1;
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
    const reply = replies()[0].msg as AvTranscodeFailedV1;
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
    expect((replies()[0].msg as AvTranscodeFailedV1).retryable).toBe(false);
    expect((replies()[0].msg as AvTranscodeFailedV1).error).toMatch(
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
    expect(replies()).toEqual([]);
    await handler(stalled).handle(cmd, ctx(5, true));
    expect(replies()[0].msg).toMatchObject({
      retryable: true,
      error:
        'Audio/video transcoding failed after 5 attempts (retryable): ffmpeg made no progress for 60000 ms and was killed',
    });
    expect(outcomes).toEqual(['retry', 'failed_retries_exhausted']);
  });

  describe('progress reports (av.transcode.progress.v1)', () => {
    const steps = [0.1, 0.4, 0.8].map((fraction) => ({
      preset: 'video-mp4-720p',
      index: 1,
      total: 2,
      fraction,
    }));
    const run = (intervalMs: number) =>
      handler(async (_job, onProgress) => {
        for (const s of steps) onProgress?.({ ...s, speed: 3.5 });
        onProgress?.({ preset: 'video-mp4-1080p', index: 2, total: 2, fraction: 1.2 });
        return { duration: 5055, outputs: [], probe: { formatName: 'mp4', duration: 5055, streams: [] } };
      }, intervalMs).handle(cmd, ctx(1));
    const reports = () =>
      published
        .filter((p) => p.msg instanceof AvTranscodeProgressV1)
        .map((p) => p.msg as AvTranscodeProgressV1);

    it('the first report at once, then at most one per interval', async () => {
      await run(3_600_000);
      expect(reports()).toHaveLength(1);
      const [first] = reports();
      expect(first).toMatchObject({
        customerId: 2,
        spaceId: 1,
        assetId: 'clip',
        attempt: 3,
        preset: 'video-mp4-720p',
        presetIndex: 1,
        presetCount: 2,
        fraction: 0.1,
        speed: 3.5,
      });
      expect(
        validatePayload(AvTranscodeProgressV1.routingKey, JSON.parse(JSON.stringify(first))),
      ).toBeInstanceOf(AvTranscodeProgressV1);
      expect(Date.now() - Date.parse(first.at)).toBeLessThan(60_000);
      expect(replies()).toHaveLength(1);
    });

    it('interval 0: every ffmpeg block, the fraction kept within 0..1', async () => {
      await run(0);
      expect(reports().map((r) => [r.preset, r.presetIndex, r.fraction])).toEqual([
        ['video-mp4-720p', 1, 0.1],
        ['video-mp4-720p', 1, 0.4],
        ['video-mp4-720p', 1, 0.8],
        ['video-mp4-1080p', 2, 1],
      ]);
    });

    it('a report the bus refuses does not fail the job', async () => {
      const failing = {
        publish: async (msg: object, opts: unknown) => {
          if (msg instanceof AvTranscodeProgressV1) throw new Error('channel closed');
          published.push({ msg, opts });
        },
      } as unknown as MessagePublisher;
      const transcode: AvTranscodeService['transcode'] = async (_job, onProgress) => {
        onProgress?.(steps[0]);
        return { duration: 1, outputs: [], probe: { formatName: 'mp4', duration: 1, streams: [] } };
      };
      await new AvTranscodeCreateHandler({ transcode } as AvTranscodeService, failing, metrics, {
        AV_PROGRESS_INTERVAL_MS: 0,
      }).handle(cmd, ctx(1));
      expect(replies().map((p) => p.msg.constructor.name)).toEqual(['AvTranscodeCompletedV1']);
    });
  });
});
