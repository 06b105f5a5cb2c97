import { IiifError } from './errors';
import { canonicalRotation, parseRotation } from './rotation';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IiifError) return e.status;
    throw e;
  }
  return undefined;
}

describe('parseRotation (IIIF Image API 2.1/3.0 §4.3)', () => {
  it.each<[string, number, boolean]>([
    ['0', 0, false],
    ['90', 90, false],
    ['180', 180, false],
    ['270', 270, false],
    ['360', 360, false],
    ['22.5', 22.5, false],
    ['0.5', 0.5, false],
    ['.5', 0.5, false],
    ['010', 10, false],
    ['359.999', 359.999, false],
    ['22.50', 22.5, false],
    ['!0', 0, true],
    ['!90', 90, true],
    ['!180', 180, true],
    ['!22.5', 22.5, true],
    ['!360', 360, true],
  ])('parses %s', (s, degrees, mirror) => {
    expect(parseRotation(s)).toEqual({ degrees, mirror });
  });

  it.each([
    '',
    '!',
    '!!90',
    '361',
    '360.1',
    '720',
    '-5',
    '-0',
    '!-1',
    '+90',
    '1e2',
    'abc',
    '90deg',
    ' 90',
    '90 ',
    '9 0',
    'NaN',
    'Infinity',
    '90.0.0',
    '90!',
    '0,5',
  ])('rejects %j with 400', (s) => {
    expect(statusOf(() => parseRotation(s))).toBe(400);
  });
});

describe('canonicalRotation (3.0 §4.8, 2.1 §4.7)', () => {
  it.each<[string, string]>([
    ['0', '0'],
    ['90', '90'],
    ['090', '90'],
    ['90.0', '90'],
    ['22.50', '22.5'],
    ['.5', '0.5'],
    ['!0', '!0'],
    ['!90.00', '!90'],
    ['!.25', '!0.25'],
    ['360', '360'],
  ])('%s → %s', (s, expected) => {
    expect(canonicalRotation(parseRotation(s))).toBe(expected);
  });
});
