import { formatDecimal, parseNonNegativeDecimal, parseNonNegativeInteger } from './numbers';

describe('number grammars (3.0 §4, §4.7)', () => {
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['10', 10],
    ['007', 7],
    ['', undefined],
    ['-1', undefined],
    ['+1', undefined],
    ['1.0', undefined],
    ['1e3', undefined],
    ['99999999999999999999', undefined],
  ])('integer %j → %s', (s, n) => {
    expect(parseNonNegativeInteger(s)).toBe(n);
  });

  it.each<[string, number | undefined]>([
    ['0', 0],
    ['0.9', 0.9],
    ['.9', 0.9],
    ['9.', 9],
    ['0.90', 0.9],
    ['', undefined],
    ['.', undefined],
    ['-0.5', undefined],
    ['1e2', undefined],
    ['1.2.3', undefined],
    ['Infinity', undefined],
  ])('decimal %j → %s', (s, n) => {
    expect(parseNonNegativeDecimal(s)).toBe(n);
  });

  it.each<[number, string]>([
    [0, '0'],
    [90, '90'],
    [22.5, '22.5'],
    [0.1 + 0.2, '0.3'],
    [1e-7, '0.0000001'],
    [100.25, '100.25'],
  ])('formatDecimal(%d) → %s', (n, s) => {
    expect(formatDecimal(n)).toBe(s);
  });
});
