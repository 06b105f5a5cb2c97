import { plainToInstance } from 'class-transformer';
import { IsOptional, validateSync } from 'class-validator';
import {
  findUnstorableStrings,
  INT32_MAX,
  IsInt32,
  IsInt64,
  IsList,
  IsText,
  jsonNestingDepth,
  textProblem,
  unstorableReason,
} from './validation';
import { toFieldErrors } from './problem';

class Dto {
  @IsOptional() @IsInt32() n?: unknown;
  @IsOptional() @IsInt32({ min: 0 }) size?: unknown;
  @IsOptional() @IsInt64({ min: 0 }) big?: unknown;
  @IsOptional() @IsText({ max: 5, maxBytes: 6 }) s?: unknown;
  @IsOptional() @IsList(2) @IsText({ max: 3 }, { each: true }) list?: unknown;
}

function errorsOf(plain: Record<string, unknown>) {
  return toFieldErrors(validateSync(plainToInstance(Dto, plain)));
}

describe('IsInt32 / IsInt64 (int4 and int8 columns)', () => {
  it.each([0, -1, INT32_MAX, -2_147_483_648])('accepts %p', (n) => {
    expect(errorsOf({ n })).toEqual([]);
  });
  it.each([3_000_000_000, INT32_MAX + 1, 1e308, 1.5, Number.NaN, Infinity, '1', true])('rejects %p', (n) => {
    expect(errorsOf({ n })).toEqual([
      { field: 'n', message: 'n must be an integer from -2147483648 to 2147483647' },
    ]);
  });
  it('applies a lower bound', () => {
    expect(errorsOf({ size: -1 })[0].message).toBe('size must be an integer from 0 to 2147483647');
    expect(errorsOf({ big: 3_000_000_000 })).toEqual([]);
    expect(errorsOf({ big: 2 ** 53 })[0].field).toBe('big');
  });
});

describe('IsText and IsList', () => {
  it.each([
    ['abc', null],
    ['abcdef', 'must be at most 5 characters'],
    ['ééé£', 'must be at most 6 bytes in UTF-8'],
    ['a\u0000', 'must not contain U+0000 (NUL)'],
    ['\ud800', 'must not contain an unpaired UTF-16 surrogate'],
    ['\udc00a', 'must not contain an unpaired UTF-16 surrogate'],
    ['😀', null],
  ])('textProblem(%p)', (s, expected) => {
    expect(textProblem(s, { max: 5, maxBytes: 6 })).toBe(expected);
  });
  it('names the field and the reason', () => {
    expect(errorsOf({ s: 7 })).toEqual([{ field: 's', message: 's must be a string' }]);
    expect(errorsOf({ s: 'abcdef' })).toEqual([{ field: 's', message: 's must be at most 5 characters' }]);
    expect(errorsOf({ list: ['ok', 'toolong'] })).toEqual([
      { field: 'list', message: 'list[1] must be at most 3 characters' },
    ]);
    expect(errorsOf({ list: ['a', 'b', 'c'] }).map((e) => e.message)).toEqual([
      'list must be an array of at most 2 entries',
    ]);
  });
});

describe('unstorableReason / findUnstorableStrings', () => {
  it('accepts ordinary text and paired surrogates', () => {
    expect(unstorableReason('Ça va 😀')).toBeNull();
  });
  it('finds NUL and lone surrogates anywhere, object keys included, with their paths', () => {
    const body = {
      a: 'x\u0000',
      b: [1, { c: '\ud83d' }],
      ok: 'fine',
      ['k\u0000']: 1,
      n: { deep: [['\udfff']] },
    };
    expect(findUnstorableStrings(body).map((e) => e.field)).toEqual([
      'a',
      'b[1].c',
      '"k\\u0000"',
      'n.deep[0][0]',
    ]);
    expect(findUnstorableStrings('a\u0000', 'q')).toEqual([
      { field: 'q', message: 'q must not contain U+0000 (NUL)' },
    ]);
  });
  it('survives any depth and stops at the limit', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableStrings(deep)).toHaveLength(1);
    expect(findUnstorableStrings(Array(100).fill('\u0000'), '', 3)).toHaveLength(3);
  });
});

describe('jsonNestingDepth', () => {
  const depth = (s: string, limit?: number) => jsonNestingDepth(Buffer.from(s), limit);
  it.each([
    ['1', 0],
    ['{}', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['{"a":"[[[[{{{"}', 1],
    ['{"a":"\\"[[["}', 1],
    ['[[],[],[[]]]', 3],
  ])('%s → %d', (s, d) => {
    expect(depth(s)).toBe(d);
  });
  it('stops once past the limit', () => {
    expect(depth('['.repeat(100_000), 32)).toBe(33);
  });
});
