import {
  avDerivatives,
  channelFacts,
  fileOnlyDerivatives,
  imageDerivatives,
  imageReplyFacts,
  posterVideoDerivatives,
} from './derivatives';

const loc = (key: string, size: number) => ({ bucket: 'vellum-thumbs', key, size });
const staged = { bucket: 'vellum-origins', key: '1/2/a/origin', size: 5000 };

describe('channelFacts', () => {
  it('derives pyramid/thumbs/file/use-original', () => {
    expect(
      channelFacts([
        { channel: 'iiif-img', policy: 'default' },
        { channel: 'thumbs', policy: 'default' },
      ]),
    ).toEqual({
      file: false,
      useOriginal: false,
      keepOrigin: false,
      pyramid: true,
      thumbs: true,
    });
    expect(
      channelFacts([
        { channel: 'iiif-img', policy: 'use-original' },
        { channel: 'file', policy: 'none' },
      ]),
    ).toEqual({
      file: true,
      useOriginal: true,
      keepOrigin: true,
      pyramid: false,
      thumbs: false,
    });
  });
});

describe('imageDerivatives', () => {
  it("builds the brief's JSON: pyramid, thumbnails largest first with keys and total size", () => {
    const facts = channelFacts([
      { channel: 'iiif-img', policy: 'default' },
      { channel: 'thumbs', policy: 'default' },
    ]);
    const { derivatives, storage } = imageDerivatives(
      facts,
      {
        pyramid: { bucket: 'vellum-derivatives', key: '1/2/a/image.tif', size: 9000 },
        openThumbnails: [
          { width: 200, height: 100, location: loc('1/2/a/full/200,100/0/default.jpg', 20) },
          { width: 400, height: 200, location: loc('1/2/a/full/400,200/0/default.jpg', 40) },
        ],
        authThumbnails: [
          { width: 1024, height: 512, location: loc('1/2/a/full/1024,512/0/default.jpg', 100) },
        ],
      },
      staged,
      'vellum-thumbs',
    );
    expect(derivatives).toEqual({
      pyramid: { bucket: 'vellum-derivatives', key: '1/2/a/image.tif', size: 9000, tileSize: 512 },
      thumbnails: {
        bucket: 'vellum-thumbs',
        open: [
          [400, 200],
          [200, 100],
        ],
        auth: [[1024, 512]],
        keys: {
          '200,100': '1/2/a/full/200,100/0/default.jpg',
          '400,200': '1/2/a/full/400,200/0/default.jpg',
          '1024,512': '1/2/a/full/1024,512/0/default.jpg',
        },
        size: 160,
      },
    });
    expect(storage).toEqual({ size: 9000, thumbnailSize: 160 });
  });

  it('file adds the original and counts its bytes; use-original points the pyramid at the origin', () => {
    const facts = channelFacts([
      { channel: 'iiif-img', policy: 'use-original' },
      { channel: 'file', policy: 'none' },
    ]);
    const { derivatives, storage } = imageDerivatives(
      facts,
      { openThumbnails: [], authThumbnails: [] },
      staged,
      'vellum-thumbs',
    );
    expect(derivatives).toEqual({
      pyramid: { bucket: 'vellum-origins', key: '1/2/a/origin', size: 5000, useOriginal: true },
      original: { bucket: 'vellum-origins', key: '1/2/a/origin', size: 5000 },
    });
    expect(storage).toEqual({ size: 5000, thumbnailSize: 0 });
  });

  it('use-original with a tile-ready origin: the pyramid is the origin, with the tile edge the reply gives', () => {
    const facts = channelFacts([{ channel: 'iiif-img', policy: 'use-original' }]);
    const reply = { useOriginal: { tileSize: 256 }, openThumbnails: [], authThumbnails: [] };
    expect(imageReplyFacts(facts, reply)).toBe(facts);
    const { derivatives, storage } = imageDerivatives(facts, reply, staged, 'vellum-thumbs');
    expect(derivatives).toEqual({
      pyramid: {
        bucket: 'vellum-origins',
        key: '1/2/a/origin',
        size: 5000,
        tileSize: 256,
        useOriginal: true,
      },
    });
    expect(storage).toEqual({ size: 5000, thumbnailSize: 0 });
  });

  it('use-original with an origin that was re-encoded: served like default, the origin not kept', () => {
    const channels = [{ channel: 'iiif-img', policy: 'use-original' }];
    const reply = {
      pyramid: { bucket: 'vellum-derivatives', key: '1/2/a/image.tif', size: 7000 },
      openThumbnails: [],
      authThumbnails: [],
    };
    const facts = imageReplyFacts(channelFacts(channels), reply);
    expect(facts).toMatchObject({ useOriginal: false, pyramid: true, keepOrigin: false });
    const { derivatives, storage } = imageDerivatives(
      facts,
      reply,
      { bucket: 'vellum-origins', key: '1/2/a/origin' },
      'vellum-thumbs',
    );
    expect(derivatives).toEqual({
      pyramid: { bucket: 'vellum-derivatives', key: '1/2/a/image.tif', size: 7000, tileSize: 512 },
    });
    expect(storage).toEqual({ size: 7000, thumbnailSize: 0 });
    // With `file`, or for an upload, the origin stays (it is the original).
    expect(
      imageReplyFacts(channelFacts([...channels, { channel: 'file', policy: 'none' }]), reply),
    ).toMatchObject({
      keepOrigin: true,
    });
    expect(imageReplyFacts(channelFacts(channels, true), reply, true)).toMatchObject({ keepOrigin: true });
  });
});

describe('avDerivatives / fileOnlyDerivatives', () => {
  it('lists transcodes and sums their bytes', () => {
    const { derivatives, storage } = avDerivatives(
      channelFacts([{ channel: 'iiif-av', policy: 'default-video' }]),
      {
        outputs: [
          {
            preset: 'video-mp4-720p',
            location: { bucket: 'vellum-derivatives', key: 'k.mp4', size: 700 },
            mediaType: 'video/mp4',
            width: 1280,
            height: 720,
            duration: 5000,
          },
        ],
      },
      staged,
    );
    expect(derivatives.transcodes).toEqual([
      {
        preset: 'video-mp4-720p',
        bucket: 'vellum-derivatives',
        key: 'k.mp4',
        mediaType: 'video/mp4',
        size: 700,
        width: 1280,
        height: 720,
        duration: 5000,
      },
    ]);
    expect(storage).toEqual({ size: 700, thumbnailSize: 0 });
  });

  it('keeps each codec, the poster (its bytes counted) and the ffprobe summary of the source', () => {
    const probe = {
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      duration: 5055,
      bitRate: 1785000,
      streams: [
        { type: 'video', codec: 'h264', width: 960, height: 540, frameRate: 29.97 },
        { type: 'audio', codec: 'aac', sampleRate: 44100, channels: 2 },
      ],
    };
    const { derivatives, storage } = avDerivatives(
      channelFacts([{ channel: 'iiif-av', policy: 'default-video' }]),
      {
        outputs: [
          {
            preset: 'video-mp4-720p',
            location: { bucket: 'vellum-derivatives', key: '1/2/a/av/video-mp4-720p.mp4', size: 700 },
            mediaType: 'video/mp4',
            width: 960,
            height: 540,
            duration: 5055,
            codec: 'h264+aac',
          },
        ],
        poster: {
          location: { bucket: 'vellum-derivatives', key: '1/2/a/av/poster.jpg', size: 60 },
          mediaType: 'image/jpeg',
          width: 960,
          height: 540,
        },
        probe,
      },
      staged,
    );
    expect(derivatives.transcodes?.[0].codec).toBe('h264+aac');
    expect(derivatives.poster).toEqual({
      bucket: 'vellum-derivatives',
      key: '1/2/a/av/poster.jpg',
      size: 60,
      mediaType: 'image/jpeg',
      width: 960,
      height: 540,
    });
    expect(derivatives.probe).toEqual(probe);
    expect(storage).toEqual({ size: 760, thumbnailSize: 0 });
  });

  it('file only: the original', () => {
    expect(fileOnlyDerivatives(staged)).toEqual({
      derivatives: { original: { bucket: 'vellum-origins', key: '1/2/a/origin', size: 5000 } },
      storage: { size: 5000, thumbnailSize: 0 },
    });
  });
});

describe('channelFacts of an uploaded file', () => {
  it('keeps the origin (and so counts it in size) whatever the channels', () => {
    const channels = [{ channel: 'iiif-img', policy: 'default' }];
    expect(channelFacts(channels).keepOrigin).toBe(false);
    expect(channelFacts(channels, true)).toMatchObject({ keepOrigin: true, file: false, pyramid: true });
  });
});

describe('an optimised origin read in place (SPEC.md §1 "Origin strategy", §8)', () => {
  const inPlace = { bucket: 'customer-masters', key: 'books/b1/p1.tif', size: 7000, inPlace: true };
  const reply = {
    openThumbnails: [{ width: 200, height: 100, location: loc('1/2/a/full/200,100/0/default.jpg', 20) }],
    authThumbnails: [],
  };

  it('names the origin object as the original and the use-original source, counting none of its bytes', () => {
    const facts = channelFacts([
      { channel: 'iiif-img', policy: 'use-original' },
      { channel: 'thumbs', policy: 'default' },
      { channel: 'file', policy: 'none' },
    ]);
    const { derivatives, storage } = imageDerivatives(facts, reply, inPlace, 'vellum-thumbs');
    expect(derivatives.pyramid).toEqual({
      bucket: 'customer-masters',
      key: 'books/b1/p1.tif',
      size: 7000,
      useOriginal: true,
    });
    expect(derivatives.original).toEqual({ bucket: 'customer-masters', key: 'books/b1/p1.tif', size: 7000 });
    expect(storage).toEqual({ size: 0, thumbnailSize: 20 });
    // The same channels from a staged copy count the copy.
    expect(imageDerivatives(facts, reply, { ...inPlace, inPlace: false }, 'vellum-thumbs').storage).toEqual({
      size: 7000,
      thumbnailSize: 20,
    });
  });

  it('file only: the origin object is the original, 0 bytes stored', () => {
    expect(fileOnlyDerivatives(inPlace)).toEqual({
      derivatives: { original: { bucket: 'customer-masters', key: 'books/b1/p1.tif', size: 7000 } },
      storage: { size: 0, thumbnailSize: 0 },
    });
  });

  it('AV: transcodes counted, the origin not', () => {
    const facts = channelFacts([
      { channel: 'iiif-av', policy: 'default-video' },
      { channel: 'file', policy: 'none' },
    ]);
    const out = avDerivatives(
      facts,
      {
        outputs: [
          {
            preset: 'video-mp4-720p',
            location: { bucket: 'vellum-derivatives', key: 'k.mp4', size: 700 },
            mediaType: 'video/mp4',
          },
        ],
      },
      inPlace,
    );
    expect(out.derivatives.original?.bucket).toBe('customer-masters');
    expect(out.storage).toEqual({ size: 700, thumbnailSize: 0 });
  });
});

describe('posterVideoDerivatives (the poster through the image pipeline, SPEC.md §4.4)', () => {
  const av = {
    outputs: [
      {
        preset: 'video-mp4-720p',
        location: { bucket: 'vellum-derivatives', key: '1/2/a/av/video-mp4-720p.mp4', size: 700 },
        mediaType: 'video/mp4',
        width: 960,
        height: 540,
      },
    ],
    poster: {
      location: { bucket: 'vellum-derivatives', key: '1/2/a/av/poster.jpg', size: 60 },
      mediaType: 'image/jpeg',
      width: 960,
      height: 540,
    },
  };
  const posterReply = {
    pyramid: { bucket: 'vellum-derivatives', key: '1/2/a/image.tif', size: 300 },
    openThumbnails: [
      { width: 400, height: 225, location: loc('1/2/a/full/400,225/0/default.jpg', 20) },
      { width: 960, height: 540, location: loc('1/2/a/full/960,540/0/default.jpg', 80) },
    ],
    authThumbnails: [],
  };

  it("adds the poster's pyramid and thumbnails to the AV derivatives, counting each once", () => {
    const { derivatives, storage } = posterVideoDerivatives(
      channelFacts([{ channel: 'iiif-av', policy: 'default-video' }]),
      av,
      posterReply,
      staged,
      'vellum-thumbs',
      512,
    );
    expect(derivatives.transcodes?.map((t) => t.key)).toEqual(['1/2/a/av/video-mp4-720p.mp4']);
    expect(derivatives.poster?.key).toBe('1/2/a/av/poster.jpg');
    expect(derivatives.pyramid).toEqual({
      bucket: 'vellum-derivatives',
      key: '1/2/a/image.tif',
      size: 300,
      tileSize: 512,
    });
    expect(derivatives.thumbnails).toEqual({
      bucket: 'vellum-thumbs',
      open: [
        [960, 540],
        [400, 225],
      ],
      auth: [],
      keys: {
        '400,225': '1/2/a/full/400,225/0/default.jpg',
        '960,540': '1/2/a/full/960,540/0/default.jpg',
      },
      size: 100,
    });
    expect(derivatives.original).toBeUndefined();
    // Transcode 700 + poster 60 + pyramid 300; thumbnails apart.
    expect(storage).toEqual({ size: 1060, thumbnailSize: 100 });
  });

  it('with file, the original is kept and counted once (not as an image master)', () => {
    const { derivatives, storage } = posterVideoDerivatives(
      channelFacts([
        { channel: 'iiif-av', policy: 'default-video' },
        { channel: 'file', policy: 'none' },
      ]),
      av,
      posterReply,
      staged,
      'vellum-thumbs',
    );
    expect(derivatives.original).toEqual({ bucket: 'vellum-origins', key: '1/2/a/origin', size: 5000 });
    expect(storage).toEqual({ size: 6060, thumbnailSize: 100 });
  });
});
