import { IiifError } from './errors';
import { parseImageRequest, resolveImageRequest } from './image-request';
import type { IiifVersion } from './types';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IiifError) return e.status;
    throw e;
  }
  return undefined;
}

describe('parseImageRequest (IIIF Image API 2.1/3.0 §4)', () => {
  it('parses a 3.0 request', () => {
    expect(parseImageRequest(3, 'pct:10,10,80,80', '^!360,360', '!22.5', 'gray.png')).toEqual({
      version: 3,
      region: { kind: 'percent', x: 10, y: 10, w: 80, h: 80 },
      size: { kind: 'confined', w: 360, h: 360, upscale: true },
      rotation: { degrees: 22.5, mirror: true },
      quality: 'gray',
      format: 'png',
    });
  });

  it('parses a 2.1 request', () => {
    expect(parseImageRequest(2, 'full', 'full', '0', 'default.jpg')).toEqual({
      version: 2,
      region: { kind: 'full' },
      size: { kind: 'max', upscale: false },
      rotation: { degrees: 0, mirror: false },
      quality: 'default',
      format: 'jpg',
    });
  });

  it.each<[IiifVersion, string, string, string, string]>([
    [3, 'full', 'full', '0', 'default.jpg'],
    [2, 'full', '^max', '0', 'default.jpg'],
    [3, 'abc', 'max', '0', 'default.jpg'],
    [3, 'full', 'max', '361', 'default.jpg'],
    [3, 'full', 'max', '-5', 'default.jpg'],
    [3, 'full', 'max', '0', 'foo.jpg'],
    [2, 'full', 'max', '0', 'default.bmp'],
    [2, 'full', 'max', '0', 'native.jpg'],
    [3, '10,10,0,10', 'max', '0', 'default.jpg'],
    [3, 'full', '0,', '0', 'default.jpg'],
  ])('v%d %s/%s/%s/%s → 400', (v, r, s, rot, qf) => {
    expect(statusOf(() => parseImageRequest(v, r, s, rot, qf))).toBe(400);
  });

  it('IiifError carries its status and is an Error', () => {
    try {
      parseImageRequest(3, 'full', 'full', '0', 'default.jpg');
      throw new Error('expected an IiifError');
    } catch (e) {
      expect(e).toBeInstanceOf(IiifError);
      expect(e).toBeInstanceOf(Error);
      expect((e as IiifError).status).toBe(400);
      expect((e as IiifError).name).toBe('IiifError');
      expect((e as IiifError).message).toMatch(/full/);
    }
  });
});

describe('resolveImageRequest', () => {
  it.each<[IiifVersion, string, string, string, string, object | undefined, string, [number, number]]>([
    [3, 'full', 'max', '0', 'default.jpg', undefined, 'full/max/0/default.jpg', [300, 200]],
    [
      3,
      'pct:41.6,7.5,40,70',
      '90,',
      '!345',
      'gray.jpg',
      undefined,
      '125,15,120,140/90,105/!345/gray.jpg',
      [90, 105],
    ],
    [
      3,
      'square',
      '!100,100',
      '90.0',
      'default.png',
      undefined,
      '50,0,200,200/100,100/90/default.png',
      [100, 100],
    ],
    [3, 'full', '^!360,360', '0', 'color.webp', { maxWidth: 360 }, 'full/^max/0/color.webp', [360, 240]],
    [3, '0,0,300,200', '150,', '0', 'default.jpg', undefined, 'full/150,100/0/default.jpg', [150, 100]],
    [2, 'full', 'full', '0', 'default.jpg', undefined, 'full/full/0/default.jpg', [300, 200]],
    [2, 'full', 'max', '0', 'default.jpg', { maxWidth: 200 }, 'full/200,/0/default.jpg', [200, 133]],
    [2, 'full', '!100,100', '22.50', 'default.jpg', undefined, 'full/100,/22.5/default.jpg', [100, 67]],
    [2, 'full', '100,100', '0', 'default.jpg', undefined, 'full/100,100/0/default.jpg', [100, 100]],
  ])('v%d %s/%s/%s/%s limits %j → %s', (v, r, s, rot, qf, limits, canonical, [w, h]) => {
    const out = resolveImageRequest(parseImageRequest(v, r, s, rot, qf), 300, 200, limits);
    expect(out.canonicalPath).toBe(canonical);
    expect(out.size).toEqual({ w, h });
  });

  it('propagates region and size errors', () => {
    expect(
      statusOf(() =>
        resolveImageRequest(parseImageRequest(3, '300,0,1,1', 'max', '0', 'default.jpg'), 300, 200),
      ),
    ).toBe(400);
    expect(
      statusOf(() => resolveImageRequest(parseImageRequest(3, 'full', '301,', '0', 'default.jpg'), 300, 200)),
    ).toBe(400);
    expect(
      statusOf(() =>
        resolveImageRequest(parseImageRequest(3, 'full', '^301,', '0', 'default.jpg'), 300, 200),
      ),
    ).toBe(501);
  });
});
