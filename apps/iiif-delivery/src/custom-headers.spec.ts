import {
  customHeadersFor,
  type CustomHeaderRule,
  NO_CUSTOM_HEADERS,
  resolveCustomHeaders,
} from './custom-headers';

const R1 = 'https://example.org/roles/staff';
const R2 = 'https://example.org/roles/readers';
const rule = (
  key: string,
  value: string,
  space: number | null = null,
  role: string | null = null,
): CustomHeaderRule => ({
  key,
  value,
  space,
  role,
});

describe('resolveCustomHeaders (SPEC.md §5: customer-wide → space → role → space+role)', () => {
  const rules = [
    rule('X-Tier', 'space+role', 5, R1),
    rule('X-Tier', 'role', null, R1),
    rule('X-Tier', 'space', 5),
    rule('X-Tier', 'customer'),
    rule('X-Only-Customer', 'c'),
    rule('X-Space', 'five', 5),
    rule('X-Space', 'six', 6),
    rule('X-Role', 'r2', null, R2),
    rule('X-Role', 'r1', null, R1),
  ];

  it.each([
    ['no roles, space 5', 5, [], { 'X-Tier': 'space', 'X-Only-Customer': 'c', 'X-Space': 'five' }],
    ['no roles, space 7', 7, [], { 'X-Tier': 'customer', 'X-Only-Customer': 'c' }],
    [
      'R1 in space 6',
      6,
      [R1],
      { 'X-Tier': 'role', 'X-Only-Customer': 'c', 'X-Space': 'six', 'X-Role': 'r1' },
    ],
    [
      'R1 in space 5',
      5,
      [R1],
      { 'X-Tier': 'space+role', 'X-Only-Customer': 'c', 'X-Space': 'five', 'X-Role': 'r1' },
    ],
    [
      'R2 in space 5',
      5,
      [R2],
      { 'X-Tier': 'space', 'X-Only-Customer': 'c', 'X-Space': 'five', 'X-Role': 'r2' },
    ],
    ['R1 then R2: the first role wins a tie', 6, [R1, R2], expect.objectContaining({ 'X-Role': 'r1' })],
    ['R2 then R1: the first role wins a tie', 6, [R2, R1], expect.objectContaining({ 'X-Role': 'r2' })],
    [
      'an unrelated role',
      5,
      ['https://example.org/roles/none'],
      expect.not.objectContaining({ 'X-Role': expect.anything() }),
    ],
  ])('%s', (_what, space, roles, expected) => {
    expect(resolveCustomHeaders(rules, space, roles)).toEqual(expected);
  });

  it('matches names case-insensitively: the winning rule spells the name', () => {
    const out = resolveCustomHeaders(
      [rule('cache-control', 'public, max-age=60'), rule('Cache-Control', 'private', 1)],
      1,
      [],
    );
    expect(out).toEqual({ 'Cache-Control': 'private' });
  });

  it('skips rules the API would refuse (delivery-owned or hop-by-hop names, CR/LF values)', () => {
    const out = resolveCustomHeaders(
      [
        rule('Content-Type', 'text/html'),
        rule('Access-Control-Allow-Origin', 'https://evil.example'),
        rule('Transfer-Encoding', 'chunked'),
        rule('X-Split', 'a\r\nSet-Cookie: x=1'),
        rule('X-Fine', 'yes'),
      ],
      1,
      [],
    );
    expect(out).toEqual({ 'X-Fine': 'yes' });
  });

  it('gives the shared empty set when nothing applies', () => {
    expect(resolveCustomHeaders([], 1, [])).toBe(NO_CUSTOM_HEADERS);
    expect(resolveCustomHeaders([rule('X-A', 'b', 2)], 1, [])).toBe(NO_CUSTOM_HEADERS);
  });
});

describe('customHeadersFor: a custom header never makes a private response publicly cacheable', () => {
  const headers = resolveCustomHeaders(
    [rule('Cache-Control', 'public, max-age=600'), rule('X-A', 'b')],
    1,
    [],
  );
  it('keeps everything on an open response', () => {
    expect(customHeadersFor(headers, false)).toEqual({ 'Cache-Control': 'public, max-age=600', 'X-A': 'b' });
  });
  it.each([
    ['public, max-age=600', false],
    ['max-age=600', false],
    ['s-maxage=60', false],
    ['x-private-ish=1', false],
    ['private, max-age=60', true],
    ['PRIVATE', true],
    ['no-store', true],
    ['max-age=0, no-store', true],
    ['private="set-cookie"', false],
    ['no-cache', false],
  ])('on a private response, Cache-Control %j is kept: %s', (value, kept) => {
    const h = resolveCustomHeaders([rule('Cache-Control', value), rule('X-A', 'b')], 1, []);
    expect(customHeadersFor(h, true)).toEqual(kept ? { 'Cache-Control': value, 'X-A': 'b' } : { 'X-A': 'b' });
  });
});
