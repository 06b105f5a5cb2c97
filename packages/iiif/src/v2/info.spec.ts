import type { ImageServiceInfoInput } from '../info-common';
import { buildImageInfoV2, buildLevel0InfoV2 } from './info';

const base: ImageServiceInfoInput = {
  id: 'https://dlc.example/iiif-img/v2/1/2/foo',
  width: 6000,
  height: 4000,
  tileSize: 512,
  scaleFactors: [1, 2, 4, 8, 16],
};

describe('buildImageInfoV2 (IIIF Image API 2.1 §5)', () => {
  it('builds the minimal level 2 document', () => {
    const info = buildImageInfoV2(base);
    expect(info).toEqual({
      '@context': 'http://iiif.io/api/image/2/context.json',
      '@id': 'https://dlc.example/iiif-img/v2/1/2/foo',
      protocol: 'http://iiif.io/api/image',
      width: 6000,
      height: 4000,
      profile: ['http://iiif.io/api/image/2/level2.json'],
      tiles: [{ width: 512, height: 512, scaleFactors: [1, 2, 4, 8, 16] }],
    });
    expect(Object.keys(info)[0]).toBe('@context');
  });

  it('builds the full document with a profile description of extras beyond 2.1 level 2', () => {
    const probe = { '@id': 'https://dlc.example/auth/probe', profile: 'http://iiif.io/api/auth/1/probe' };
    const info = buildImageInfoV2({
      ...base,
      sizes: [
        { width: 600, height: 400 },
        { width: 150, height: 100 },
      ],
      maxWidth: 3000,
      extraFormats: ['png', 'webp', 'tif', 'gif'],
      extraQualities: ['color', 'gray', 'bitonal'],
      extraFeatures: [
        'regionSquare',
        'mirroring',
        'rotationArbitrary',
        'sizeUpscaling',
        'profileLinkHeader',
        'sizeByWh',
      ],
      services: [probe],
    });
    expect(info).toEqual({
      '@context': 'http://iiif.io/api/image/2/context.json',
      '@id': 'https://dlc.example/iiif-img/v2/1/2/foo',
      protocol: 'http://iiif.io/api/image',
      width: 6000,
      height: 4000,
      profile: [
        'http://iiif.io/api/image/2/level2.json',
        {
          formats: ['webp', 'tif', 'gif'],
          supports: ['regionSquare', 'mirroring', 'rotationArbitrary', 'sizeAboveFull', 'profileLinkHeader'],
          maxWidth: 3000,
        },
      ],
      sizes: [
        { width: 150, height: 100 },
        { width: 600, height: 400 },
      ],
      tiles: [{ width: 512, height: 512, scaleFactors: [1, 2, 4, 8, 16] }],
      service: probe,
    });
  });

  it('emits several services as an array', () => {
    const a = { '@id': 'a' };
    const b = { '@id': 'b' };
    expect(buildImageInfoV2({ ...base, services: [a, b] }).service).toEqual([a, b]);
  });

  it('lists level-1 extras against level 1', () => {
    const info = buildImageInfoV2({
      ...base,
      profileLevel: 1,
      extraQualities: ['default', 'gray'],
      extraFormats: ['jpg', 'png'],
    });
    expect(info.profile).toEqual([
      'http://iiif.io/api/image/2/level1.json',
      { formats: ['png'], qualities: ['gray'] },
    ]);
  });

  it('omits tiles when the tile exceeds maxWidth', () => {
    expect(buildImageInfoV2({ ...base, maxWidth: 500 })).not.toHaveProperty('tiles');
  });
});

describe('buildLevel0InfoV2', () => {
  it('lists sizes ascending with the level 0 profile', () => {
    expect(
      buildLevel0InfoV2({
        id: 'https://dlc.example/thumbs/v2/1/2/foo',
        width: 1024,
        height: 683,
        sizes: [
          { width: 400, height: 267 },
          { width: 100, height: 67 },
        ],
      }),
    ).toEqual({
      '@context': 'http://iiif.io/api/image/2/context.json',
      '@id': 'https://dlc.example/thumbs/v2/1/2/foo',
      protocol: 'http://iiif.io/api/image',
      width: 1024,
      height: 683,
      profile: ['http://iiif.io/api/image/2/level0.json'],
      sizes: [
        { width: 100, height: 67 },
        { width: 400, height: 267 },
      ],
    });
  });
});
