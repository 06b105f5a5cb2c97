import {
  channelsOf,
  planIngest,
  planPosterImage,
  policiesNeeded,
  thumbnailOpenMax,
  type PlannableAsset,
} from './ingest-planner';

const buckets = {
  origins: 'vellum-origins',
  derivatives: 'vellum-derivatives',
  thumbnails: 'vellum-thumbs',
  outputs: 'vellum-outputs',
};
const DEFAULT_SIZES = ['!1024,1024', '!400,400', '!200,200', '!100,100'];
const policies = new Map<string, unknown>([
  ['thumbs/default', DEFAULT_SIZES],
  ['thumbs/small', ['!200,200', '100,']],
  ['thumbs/broken', ['huge']],
  ['thumbs/empty', []],
  ['iiif-av/default-video', ['video-mp4-720p']],
  ['iiif-av/default-audio', ['audio-mp3-128']],
]);

function asset(over: Partial<PlannableAsset> = {}): PlannableAsset {
  return {
    customerId: 2,
    spaceId: 5,
    id: 'my image',
    mediaType: 'image/jpeg',
    origin: 'https://example.org/a.jpg',
    deliveryChannels: [
      { channel: 'iiif-img', policy: 'default' },
      { channel: 'thumbs', policy: 'default' },
    ],
    roles: [],
    maxWidth: 0,
    openFullMax: 0,
    openMaxWidth: 0,
    ...over,
  };
}

describe('channelsOf', () => {
  it('accepts objects and plain names, fills default policies, drops duplicates and junk', () => {
    expect(
      channelsOf({
        mediaType: 'audio/mpeg',
        deliveryChannels: [
          'iiif-av',
          { channel: 'file' },
          { channel: 'file', policy: 'x' },
          42,
          { policy: 'p' },
          { channel: 'thumbs', policy: '' },
        ],
      }),
    ).toEqual([
      { channel: 'iiif-av', policy: 'default-audio' },
      { channel: 'file', policy: 'none' },
      { channel: 'thumbs', policy: 'default' },
    ]);
    expect(channelsOf({ mediaType: 'video/mp4', deliveryChannels: ['iiif-av'] })).toEqual([
      { channel: 'iiif-av', policy: 'default-video' },
    ]);
    expect(channelsOf({ mediaType: 'image/png', deliveryChannels: null })).toEqual([]);
  });

  it('policiesNeeded lists only thumbs and iiif-av', () => {
    expect(policiesNeeded(channelsOf(asset()))).toEqual([{ channel: 'thumbs', policy: 'default' }]);
  });
});

describe('thumbnailOpenMax (SPEC.md §6)', () => {
  it.each([
    [[], 0, 0, undefined],
    [[], 400, 200, undefined],
    [['r'], 0, 0, 0],
    [['r'], 400, 0, 400],
    [['r'], 200, 800, 800],
    [['r'], -1, -1, 0],
  ])('roles %j openFullMax %d openMaxWidth %d → %j', (roles, openFullMax, openMaxWidth, expected) => {
    expect(
      thumbnailOpenMax({
        roles: roles as string[],
        maxWidth: 0,
        openFullMax: openFullMax,
        openMaxWidth: openMaxWidth,
      }),
    ).toBe(expected);
  });

  it('is capped by maxWidth (seed 004: "maxWidth or openMaxWidth, whichever is lower")', () => {
    expect(thumbnailOpenMax({ roles: ['r'], maxWidth: 300, openFullMax: 0, openMaxWidth: 512 })).toBe(300);
    expect(thumbnailOpenMax({ roles: [], maxWidth: 300, openFullMax: 0, openMaxWidth: 0 })).toBe(300);
  });
});

describe('planIngest', () => {
  it('iiif-img/default + thumbs/default → pyramid and thumbnails, origin deleted after', () => {
    const plan = planIngest(asset(), policies, { buckets });
    expect(plan).toEqual({
      kind: 'work',
      channels: [
        { channel: 'iiif-img', policy: 'default' },
        { channel: 'thumbs', policy: 'default' },
      ],
      origin: { bucket: 'vellum-origins', key: '2/5/my%20image/origin' },
      keepOrigin: false,
      file: false,
      image: {
        useOriginal: false,
        pyramid: { bucket: 'vellum-derivatives', key: '2/5/my%20image/image.tif', tileSize: 512 },
        thumbnails: {
          sizes: DEFAULT_SIZES,
          bucket: 'vellum-thumbs',
          keyPrefix: '2/5/my%20image',
          maxWidth: undefined,
          openMax: undefined,
        },
      },
      av: undefined,
    });
  });

  it('honours the tile size and maxWidth, and the open limit of restricted assets', () => {
    const plan = planIngest(asset({ maxWidth: 2000, roles: ['https://r'], openFullMax: 400 }), policies, {
      buckets,
      tileSize: 256,
    });
    if (plan.kind !== 'work') throw new Error(plan.kind);
    expect(plan.image?.pyramid?.tileSize).toBe(256);
    expect(plan.image?.thumbnails).toMatchObject({ maxWidth: 2000, openMax: 400 });
  });

  it('thumbs only → no pyramid; custom policy sizes', () => {
    const plan = planIngest(asset({ deliveryChannels: [{ channel: 'thumbs', policy: 'small' }] }), policies, {
      buckets,
    });
    if (plan.kind !== 'work') throw new Error(plan.kind);
    expect(plan.image?.pyramid).toBeUndefined();
    expect(plan.image?.thumbnails?.sizes).toEqual(['!200,200', '100,']);
  });

  it('iiif-img only → pyramid, no thumbnails', () => {
    const plan = planIngest(
      asset({ deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }] }),
      policies,
      { buckets },
    );
    if (plan.kind !== 'work') throw new Error(plan.kind);
    expect(plan.image?.pyramid).toBeDefined();
    expect(plan.image?.thumbnails).toBeUndefined();
  });

  it('iiif-img/use-original keeps the origin, and names where a pyramid goes if the origin is not tile-ready', () => {
    const plan = planIngest(
      asset({ deliveryChannels: [{ channel: 'iiif-img', policy: 'use-original' }] }),
      policies,
      { buckets },
    );
    expect(plan).toMatchObject({
      kind: 'work',
      keepOrigin: true,
      file: false,
      image: {
        useOriginal: true,
        pyramid: { bucket: 'vellum-derivatives', key: '2/5/my%20image/image.tif', tileSize: 512 },
      },
    });
  });

  it('application/pdf with iiif-img + thumbs plans image work (its first page is the image, SPEC.md §4.3)', () => {
    const plan = planIngest(
      asset({
        mediaType: 'application/pdf',
        deliveryChannels: [
          { channel: 'iiif-img', policy: 'default' },
          { channel: 'thumbs', policy: 'default' },
        ],
      }),
      policies,
      { buckets },
    );
    expect(plan).toMatchObject({
      kind: 'work',
      keepOrigin: false,
      image: {
        useOriginal: false,
        pyramid: { key: '2/5/my%20image/image.tif', tileSize: 512 },
        thumbnails: { sizes: DEFAULT_SIZES },
      },
    });
  });

  it('file keeps the staged origin; file alone has no worker job', () => {
    const both = planIngest(
      asset({
        deliveryChannels: [
          { channel: 'iiif-img', policy: 'default' },
          { channel: 'file', policy: 'none' },
        ],
      }),
      policies,
      { buckets },
    );
    expect(both).toMatchObject({ kind: 'work', keepOrigin: true, file: true });
    const fileOnly = planIngest(
      asset({ mediaType: 'application/pdf', deliveryChannels: [{ channel: 'file', policy: 'none' }] }),
      policies,
      { buckets },
    );
    expect(fileOnly).toMatchObject({
      kind: 'work',
      keepOrigin: true,
      file: true,
      image: undefined,
      av: undefined,
    });
  });

  it('iiif-av → transcode presets of the policy', () => {
    const plan = planIngest(
      asset({ mediaType: 'video/mp4', deliveryChannels: [{ channel: 'iiif-av', policy: 'default-video' }] }),
      policies,
      { buckets },
    );
    expect(plan).toMatchObject({
      kind: 'work',
      image: undefined,
      av: { presets: ['video-mp4-720p'], bucket: 'vellum-derivatives', keyPrefix: '2/5/my%20image' },
    });
  });

  it.each([[[]], [[{ channel: 'none', policy: 'none' }]], [['none']], [null]])(
    'channels %j → finish now',
    (channels) => {
      expect(planIngest(asset({ deliveryChannels: channels }), policies, { buckets }).kind).toBe(
        'finish-now',
      );
    },
  );

  it.each([
    [[{ channel: 'bogus' }], 'Unknown delivery channel "bogus"'],
    [[{ channel: 'iiif-img', policy: 'fancy' }], 'Unknown iiif-img delivery channel policy "fancy"'],
    [[{ channel: 'thumbs', policy: 'missing' }], 'Delivery channel policy thumbs/missing does not exist'],
    [[{ channel: 'thumbs', policy: 'empty' }], 'Delivery channel policy thumbs/empty has no thumbnail sizes'],
    [
      [{ channel: 'thumbs', policy: 'broken' }],
      'Delivery channel policy thumbs/broken has an invalid IIIF size "huge"',
    ],
    [[{ channel: 'iiif-av', policy: 'nope' }], 'Delivery channel policy iiif-av/nope does not exist'],
    [
      [
        { channel: 'iiif-av', policy: 'default-video' },
        { channel: 'thumbs', policy: 'default' },
      ],
      'Delivery channel iiif-av cannot be combined with iiif-img or thumbs',
    ],
  ])('invalid: %j', (channels, error) => {
    expect(planIngest(asset({ deliveryChannels: channels }), policies, { buckets })).toMatchObject({
      kind: 'invalid',
      error,
    });
  });
});

describe('planIngest of an uploaded file (vellum-store:// origin)', () => {
  it('uses the stored object as the staged origin and keeps it', () => {
    const plan = planIngest(
      asset({ origin: 'vellum-store://vellum-origins/2/5/my%20image/origin' }),
      policies,
      { buckets },
    );
    expect(plan).toMatchObject({
      kind: 'work',
      origin: { bucket: 'vellum-origins', key: '2/5/my%20image/origin' },
      keepOrigin: true,
      file: false,
    });
    // An origin fetched from elsewhere is staged at originKey and dropped after the derivatives are made.
    expect(planIngest(asset(), policies, { buckets })).toMatchObject({ keepOrigin: false });
  });
});

describe("planPosterImage (a video's poster through the image pipeline, SPEC.md §4.4)", () => {
  const video = asset({
    id: 'clip',
    mediaType: 'video/mp4',
    deliveryChannels: [{ channel: 'iiif-av', policy: 'default-video' }],
  });

  it('a pyramid as for iiif-img/default and the thumbs/default sizes, capped and opened as the asset says', () => {
    const restricted = { ...video, maxWidth: 800, roles: ['https://r'], openMaxWidth: 200 };
    expect(planPosterImage(restricted, policies, { buckets, tileSize: 256 })).toEqual({
      useOriginal: false,
      pyramid: { bucket: 'vellum-derivatives', key: '2/5/clip/image.tif', tileSize: 256 },
      thumbnails: {
        sizes: DEFAULT_SIZES,
        bucket: 'vellum-thumbs',
        keyPrefix: '2/5/clip',
        maxWidth: 800,
        openMax: 200,
      },
    });
  });

  it('without a usable thumbs/default policy: the pyramid only', () => {
    for (const data of [
      new Map<string, unknown>(),
      new Map<string, unknown>([['thumbs/default', ['huge']]]),
    ]) {
      expect(planPosterImage(video, data, { buckets })).toEqual({
        useOriginal: false,
        pyramid: { bucket: 'vellum-derivatives', key: '2/5/clip/image.tif', tileSize: 512 },
      });
    }
  });
});
