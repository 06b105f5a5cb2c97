import { assetIdProblem } from './asset-id';

describe('assetIdProblem (SPEC.md §1 asset id rules)', () => {
  it.each(['b2921371x_0001.jp2', 'a', 'x'.repeat(200), "it's-(1)!~*+,;=:@$&", '0bf94941-2c0f-49fd'])(
    'accepts %p',
    (id) => {
      expect(assetIdProblem(id)).toBeNull();
    },
  );

  it.each([
    ['', /empty/],
    ['x'.repeat(201), /200/],
    ['a b', /whitespace/],
    ['a\tb', /whitespace/],
    ['a/b', /"\/"/],
    ['a\\b', /"\\"/],
    ['..', /"\."/],
    ['a?b', /RFC 3986/],
    ['a#b', /RFC 3986/],
    ['a%20b', /RFC 3986/],
    ['é', /RFC 3986/],
  ])('rejects %p', (id, reason) => {
    expect(assetIdProblem(id)).toMatch(reason);
  });

  it('rejects non-strings', () => {
    expect(assetIdProblem(12)).toMatch(/string/);
  });
});
