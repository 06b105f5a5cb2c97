import { derivativeObjects } from './derivatives';
import { AssetDeletedV1 } from './messages/asset';
import { validatePayload } from './registry';

describe('derivativeObjects (the derivatives JSON, SPEC.md §8)', () => {
  it.each([
    [null],
    [undefined],
    ['x'],
    [[]],
    [{}],
    [{ pyramid: 'x', thumbnails: { keys: 3 }, transcodes: {} }],
  ])('tolerates %j: no objects', (value) => expect(derivativeObjects(value)).toEqual([]));

  it('lists pyramid, thumbnails, original and transcodes once each', () => {
    expect(
      derivativeObjects({
        pyramid: { bucket: 'vellum-derivatives', key: '1/2/a/image.tif', size: 10, tileSize: 512 },
        thumbnails: {
          bucket: 'vellum-thumbs',
          open: [[100, 50]],
          auth: [],
          keys: {
            '100,50': '1/2/a/full/100,50/0/default.jpg',
            '200,100': '1/2/a/full/200,100/0/default.jpg',
          },
          size: 5,
        },
        original: { bucket: 'vellum-origins', key: '1/2/a/origin', size: 3 },
        transcodes: [
          {
            preset: 'video-mp4-720p',
            bucket: 'vellum-derivatives',
            key: '1/2/a/720.mp4',
            mediaType: 'video/mp4',
          },
          { bucket: 'vellum-derivatives' },
        ],
      }),
    ).toEqual([
      { bucket: 'vellum-derivatives', key: '1/2/a/image.tif', kind: 'pyramid' },
      { bucket: 'vellum-thumbs', key: '1/2/a/full/100,50/0/default.jpg', kind: 'thumbnail' },
      { bucket: 'vellum-thumbs', key: '1/2/a/full/200,100/0/default.jpg', kind: 'thumbnail' },
      { bucket: 'vellum-origins', key: '1/2/a/origin', kind: 'original' },
      { bucket: 'vellum-derivatives', key: '1/2/a/720.mp4', kind: 'transcode' },
    ]);
  });

  it('names a use-original source once (pyramid and original are the same object)', () => {
    const same = { bucket: 'vellum-origins', key: '1/2/a/origin', size: 3 };
    expect(derivativeObjects({ pyramid: { ...same, useOriginal: true }, original: same })).toEqual([
      { ...{ bucket: same.bucket, key: same.key }, kind: 'pyramid' },
    ]);
  });
});

describe('asset.deleted.v1 payload', () => {
  const base = { customerId: 1, spaceId: 2, assetId: 'a' };
  it('accepts deleteFrom values and objects; refuses unknown places and kinds', () => {
    expect(
      validatePayload<AssetDeletedV1>(AssetDeletedV1.routingKey, {
        ...base,
        deleteFrom: ['cdn', 'internalCache'],
        objects: [{ bucket: 'vellum-derivatives', key: 'k', kind: 'pyramid' }],
      }).objects?.[0].kind,
    ).toBe('pyramid');
    expect(() => validatePayload(AssetDeletedV1.routingKey, { ...base, deleteFrom: ['edge'] })).toThrow(
      /deleteFrom/,
    );
    expect(() =>
      validatePayload(AssetDeletedV1.routingKey, {
        ...base,
        deleteFrom: [],
        objects: [{ bucket: 'vellum-derivatives', key: 'k', kind: 'other' }],
      }),
    ).toThrow(/kind/);
  });
});
