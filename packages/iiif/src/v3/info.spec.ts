import type { ImageServiceInfoInput } from '../info-common';
import { buildImageInfoV3, buildLevel0InfoV3 } from './info';

const base: ImageServiceInfoInput = {
  id: 'https://dlc.example/iiif-img/1/2/foo',
  width: 6000,
  height: 4000,
  tileSize: 512,
  scaleFactors: [1, 2, 4, 8, 16],
};

describe('buildImageInfoV3 (IIIF Image API 3.0 §5)', () => {
  it('builds the minimal level 2 document, @context first', () => {
    const info = buildImageInfoV3(base);
    expect(info).toEqual({
      '@context': 'http://iiif.io/api/image/3/context.json',
      id: 'https://dlc.example/iiif-img/1/2/foo',
      type: 'ImageService3',
      protocol: 'http://iiif.io/api/image',
      profile: 'level2',
      width: 6000,
      height: 4000,
      tiles: [{ width: 512, height: 512, scaleFactors: [1, 2, 4, 8, 16] }],
    });
    expect(Object.keys(info)[0]).toBe('@context');
  });

  it('builds the full document: limits, sorted sizes, extras beyond level 2, services', () => {
    const probe = { id: 'https://dlc.example/auth/v2/probe/1/2/foo', type: 'AuthProbeService2' };
    const info = buildImageInfoV3({
      ...base,
      sizes: [
        { width: 600, height: 400 },
        { width: 150, height: 100 },
        { width: 150, height: 100 },
        { width: 3000, height: 2000 },
        { width: 4000, height: 2667 },
      ],
      maxWidth: 3000,
      extraFormats: ['jpg', 'png', 'webp', 'tif', 'gif', 'webp'],
      extraQualities: ['default', 'color', 'gray', 'bitonal'],
      extraFeatures: [
        'regionSquare',
        'mirroring',
        'rotationArbitrary',
        'sizeUpscaling',
        'profileLinkHeader',
        'sizeByDistortedWh',
        'sizeAboveFull',
      ],
      services: [probe],
    });
    expect(info).toEqual({
      '@context': 'http://iiif.io/api/image/3/context.json',
      id: 'https://dlc.example/iiif-img/1/2/foo',
      type: 'ImageService3',
      protocol: 'http://iiif.io/api/image',
      profile: 'level2',
      width: 6000,
      height: 4000,
      maxWidth: 3000,
      sizes: [
        { width: 150, height: 100 },
        { width: 600, height: 400 },
        { width: 3000, height: 2000 },
      ],
      tiles: [{ width: 512, height: 512, scaleFactors: [1, 2, 4, 8, 16] }],
      extraFormats: ['webp', 'tif', 'gif'],
      extraQualities: ['color', 'gray', 'bitonal'],
      extraFeatures: ['mirroring', 'rotationArbitrary', 'sizeUpscaling', 'profileLinkHeader'],
      service: [probe],
    });
    expect(info).not.toHaveProperty('maxHeight');
  });

  it('passes maxHeight and maxArea through when given', () => {
    expect(buildImageInfoV3({ ...base, maxWidth: 3000, maxHeight: 2000, maxArea: 4000000 })).toMatchObject({
      maxWidth: 3000,
      maxHeight: 2000,
      maxArea: 4000000,
    });
  });

  it.each<[Partial<ImageServiceInfoInput>]>([
    [{ scaleFactors: [] }],
    [{ tileSize: 0 }],
    [{ maxWidth: 256 }],
    [{ maxArea: 1000 }],
  ])('omits tiles for %j', (patch) => {
    expect(buildImageInfoV3({ ...base, ...patch })).not.toHaveProperty('tiles');
  });

  it('honours profileLevel and measures extras against that level', () => {
    const info = buildImageInfoV3({
      ...base,
      profileLevel: 1,
      extraFormats: ['png'],
      extraFeatures: ['regionSquare', 'regionByPct'],
    });
    expect(info.profile).toBe('level1');
    expect(info.extraFormats).toEqual(['png']);
    expect(info.extraFeatures).toEqual(['regionByPct']);
  });

  it('omits empty sizes, extras and services', () => {
    const info = buildImageInfoV3({
      ...base,
      sizes: [],
      extraFormats: [],
      extraQualities: ['default'],
      extraFeatures: [],
      services: [],
    });
    for (const k of ['sizes', 'extraFormats', 'extraQualities', 'extraFeatures', 'service'])
      expect(info).not.toHaveProperty(k);
  });
});

describe('buildLevel0InfoV3', () => {
  it('lists sizes ascending, no tiles', () => {
    expect(
      buildLevel0InfoV3({
        id: 'https://dlc.example/thumbs/1/2/foo',
        width: 1024,
        height: 683,
        sizes: [
          { width: 1024, height: 683 },
          { width: 100, height: 67 },
          { width: 400, height: 267 },
        ],
      }),
    ).toEqual({
      '@context': 'http://iiif.io/api/image/3/context.json',
      id: 'https://dlc.example/thumbs/1/2/foo',
      type: 'ImageService3',
      protocol: 'http://iiif.io/api/image',
      profile: 'level0',
      width: 1024,
      height: 683,
      sizes: [
        { width: 100, height: 67 },
        { width: 400, height: 267 },
        { width: 1024, height: 683 },
      ],
    });
  });

  it('adds services when given', () => {
    expect(
      buildLevel0InfoV3({
        id: 'x',
        width: 1,
        height: 1,
        sizes: [],
        services: [{ id: 'p', type: 'AuthProbeService2' }],
      }).service,
    ).toEqual([{ id: 'p', type: 'AuthProbeService2' }]);
  });
});
