import type { AssetDerivatives } from '@vellum/contracts';
import type { Asset } from '@vellum/db';
import type { Links } from '../http/links.service';
import { ASSET_METADATA_FIELDS } from './asset-metadata.fields';

describe('ASSET_METADATA_FIELDS: audio/video (SPEC.md §4.4, issue 9 "Metadata")', () => {
  const links = {
    image: (c: number, s: number, id: string) => `http://api/customers/${c}/spaces/${s}/images/${id}`,
  };
  const asset = {
    customerId: 2,
    spaceId: 1,
    id: 'clip',
    width: 960,
    height: 540,
    duration: 5055,
  } as unknown as Asset;

  it('shows each transcode with its codec, the poster and the ffprobe summary of the source', () => {
    const derivatives: AssetDerivatives = {
      transcodes: [
        {
          preset: 'video-mp4-720p',
          bucket: 'vellum-derivatives',
          key: '2/1/clip/av/video-mp4-720p.mp4',
          mediaType: 'video/mp4',
          size: 1000,
          width: 960,
          height: 540,
          duration: 5055,
          codec: 'h264+aac',
        },
      ],
      poster: {
        bucket: 'b',
        key: '2/1/clip/av/poster.jpg',
        size: 60,
        mediaType: 'image/jpeg',
        width: 960,
        height: 540,
      },
      probe: {
        formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        duration: 5055,
        size: 1128375,
        streams: [
          { type: 'video', codec: 'h264', width: 960, height: 540, frameRate: 29.97 },
          { type: 'audio', codec: 'aac', sampleRate: 44100, channels: 2 },
        ],
      },
    };
    const out = ASSET_METADATA_FIELDS.present({ asset, derivatives }, links as unknown as Links);
    expect(out).toMatchObject({
      width: 960,
      height: 540,
      duration: 5055,
      transcodes: [
        {
          preset: 'video-mp4-720p',
          mediaType: 'video/mp4',
          size: 1000,
          width: 960,
          height: 540,
          duration: 5055,
          codec: 'h264+aac',
        },
      ],
      poster: { width: 960, height: 540, size: 60 },
      source: {
        formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        duration: 5055,
        size: 1128375,
        streams: [
          { type: 'video', codec: 'h264', width: 960, height: 540, frameRate: 29.97 },
          { type: 'audio', codec: 'aac', sampleRate: 44100, channels: 2 },
        ],
      },
    });
    // Object keys and bucket names stay internal.
    expect(JSON.stringify(out)).not.toContain('2/1/clip/av/');
  });

  it("a video whose poster went through the image pipeline also shows the poster's pyramid and thumbnails", () => {
    const derivatives: AssetDerivatives = {
      transcodes: [
        {
          preset: 'video-mp4-720p',
          bucket: 'vellum-derivatives',
          key: '2/1/clip/av/video-mp4-720p.mp4',
          mediaType: 'video/mp4',
          size: 1000,
        },
      ],
      poster: {
        bucket: 'b',
        key: '2/1/clip/av/poster.jpg',
        size: 60,
        mediaType: 'image/jpeg',
        width: 960,
        height: 540,
      },
      pyramid: { bucket: 'vellum-derivatives', key: '2/1/clip/image.tif', size: 300, tileSize: 512 },
      thumbnails: {
        bucket: 'vellum-thumbs',
        open: [
          [960, 540],
          [400, 225],
        ],
        auth: [],
        keys: {
          '960,540': '2/1/clip/full/960,540/0/default.jpg',
          '400,225': '2/1/clip/full/400,225/0/default.jpg',
        },
        size: 100,
      },
    };
    const out = ASSET_METADATA_FIELDS.present({ asset, derivatives }, links as unknown as Links);
    expect(out).toMatchObject({
      transcodes: [{ preset: 'video-mp4-720p', size: 1000 }],
      poster: { width: 960, height: 540, size: 60 },
      pyramid: { tileSize: 512, size: 300 },
      thumbnails: {
        open: [
          { width: 960, height: 540 },
          { width: 400, height: 225 },
        ],
        auth: [],
        size: 100,
      },
    });
    expect(JSON.stringify(out)).not.toContain('2/1/clip/');
  });

  it('an image asset has no poster or source', () => {
    const out = ASSET_METADATA_FIELDS.present({ asset, derivatives: {} }, links as unknown as Links);
    expect(out).not.toHaveProperty('poster');
    expect(out).not.toHaveProperty('source');
  });

  describe('progress (av.transcode.progress.v1 stored by the orchestrator, SPEC.md §4.4)', () => {
    const stored = {
      attempt: 4,
      preset: 'video-mp4-1080p',
      presetIndex: 2,
      presetCount: 3,
      fraction: 0.42,
      speed: 1.5,
      at: '2026-12-01T10:00:05.000Z',
    };
    const present = (over: Record<string, unknown>) =>
      ASSET_METADATA_FIELDS.present(
        {
          asset: { ...asset, ingesting: true, ingestAttempt: 4, ingestProgress: stored, ...over },
          derivatives: {},
        },
        links as unknown as Links,
      );

    it('shows the latest report while the attempt it belongs to is ingesting', () => {
      expect(present({}).progress).toEqual({
        preset: 'video-mp4-1080p',
        presetIndex: 2,
        presetCount: 3,
        fraction: 0.42,
        speed: 1.5,
        at: '2026-12-01T10:00:05.000Z',
      });
    });

    it('hides it once finished, for another attempt, or when there is none', () => {
      expect(present({ ingesting: false })).not.toHaveProperty('progress');
      expect(present({ ingestAttempt: 5 })).not.toHaveProperty('progress');
      expect(present({ ingestProgress: null })).not.toHaveProperty('progress');
    });
  });
});
