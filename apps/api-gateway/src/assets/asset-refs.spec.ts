import { QueryValidationError } from '../http/hydra';
import type { FieldError } from '../http/problems';
import { parseAssetRef, parseDeleteFrom, parseRefCollection } from './asset-refs';
import { parsePatchOperation } from './assets-bulk.service';

const acme = { id: 7, name: 'acme', isAdmin: false };

describe('parseDeleteFrom (?deleteFrom=, SPEC.md §3.3)', () => {
  it.each<[unknown, string[]]>([
    [undefined, []],
    ['', []],
    ['cdn', ['cdn']],
    ['cdn,internalCache', ['cdn', 'internalCache']],
    [' internalCache , cdn,cdn', ['internalCache', 'cdn']],
    [
      ['cdn', 'internalCache'],
      ['cdn', 'internalCache'],
    ],
  ])('%j → %j', (raw, expected) => expect(parseDeleteFrom(raw)).toEqual(expected));

  it.each<[unknown]>([['edge'], ['cdn,CDN'], ['internalcache'], [['cdn', 'x']], [{ a: 1 }]])(
    'refuses %j naming deleteFrom',
    (raw) => {
      let thrown: unknown;
      try {
        parseDeleteFrom(raw);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(QueryValidationError);
      expect((thrown as QueryValidationError).errors.map((e) => e.field)).toEqual(['deleteFrom']);
    },
  );
});

describe('parseAssetRef ("{customer}/{space}/{id}")', () => {
  it.each<[string, { spaceId: number; id: string }]>([
    ['7/1/a', { spaceId: 1, id: 'a' }],
    ['acme/2/b1.jp2', { spaceId: 2, id: 'b1.jp2' }],
    ['7/3/x~y(1)', { spaceId: 3, id: 'x~y(1)' }],
  ])('%s → %j', (raw, key) => expect(parseAssetRef(raw, acme)).toEqual(key));

  it.each<[unknown, RegExp]>([
    [7, /must be a string/],
    ['7/1', /exactly two/],
    ['7/1/a/b', /exactly two/],
    ['8/1/a', /only assets of customer 7/],
    ['other/1/a', /only assets of customer 7/],
    ['7/0/a', /positive integer/],
    ['7/x/a', /positive integer/],
    ['7/1/', /id/],
    ['7/1/a b', /id/],
  ])('refuses %j', (raw, message) => expect(parseAssetRef(raw, acme)).toMatch(message));
});

describe('parseRefCollection (allImages / deleteImages bodies)', () => {
  const fields = (body: unknown): string[] => {
    try {
      parseRefCollection(body, acme);
      return [];
    } catch (err) {
      return ((err as { problem?: { errors?: FieldError[] } }).problem?.errors ?? []).map((e) => e.field);
    }
  };
  it('keeps request order and drops duplicates', () => {
    expect(
      parseRefCollection(
        { '@type': 'Collection', member: [{ id: '7/2/b' }, { id: '7/1/a' }, { id: '7/2/b' }] },
        acme,
      ),
    ).toEqual([
      { spaceId: 2, id: 'b' },
      { spaceId: 1, id: 'a' },
    ]);
  });
  it.each<[unknown, string[]]>([
    [[], ['body']],
    [{}, ['member']],
    [{ member: [] }, ['member']],
    [{ member: Array.from({ length: 501 }, (_, i) => ({ id: `7/1/a${i}` })) }, ['member']],
    [{ '@type': 'Thing', member: [{ id: '7/1/a' }] }, ['@type']],
    [
      { member: [{ id: '8/1/a' }, 'x', { id: '7/1/a', extra: 1 }] },
      ['member[0].id', 'member[1]', 'member[2].extra'],
    ],
  ])('%j → 400 naming %j', (body, expected) => expect(fields(body)).toEqual(expected));
});

describe('parsePatchOperation (PATCH C/allImages)', () => {
  const parse = (body: object) => {
    const errors: FieldError[] = [];
    return { op: parsePatchOperation(body, errors), fields: errors.map((e) => e.field) };
  };
  it.each<[object, object]>([
    [
      { field: 'tags', operation: 'add', value: ['a'] },
      { field: 'tags', operation: 'add', value: ['a'] },
    ],
    [
      { field: 'roles', operation: 'remove', value: [] },
      { field: 'roles', operation: 'remove', value: [] },
    ],
    [{ field: 'manifests', operation: 'replace', value: ['m'] }, { field: 'manifests' }],
    [{ field: 'string2', operation: 'replace', value: 'x' }, { value: 'x' }],
    [{ field: 'number3', operation: 'replace', value: null }, { value: null }],
  ])('accepts %j', (body, expected) => {
    const r = parse(body);
    expect(r.fields).toEqual([]);
    expect(r.op).toMatchObject(expected);
  });
  it.each<[object, string[]]>([
    [{ operation: 'add', value: [] }, ['field']],
    [{ field: 'mediaType', operation: 'replace', value: 'x' }, ['field']],
    [{ field: 'tags', operation: 'merge', value: [] }, ['operation']],
    [{ field: 'string1', operation: 'add', value: 'x' }, ['operation']],
    [{ field: 'tags', operation: 'add' }, ['value']],
    [{ field: 'tags', operation: 'add', value: 'a' }, ['value']],
    [{ field: 'tags', operation: 'add', value: [1] }, ['value']],
    [{ field: 'number1', operation: 'replace', value: 'x' }, ['value']],
    [{ field: 'number1', operation: 'replace', value: 3_000_000_000 }, ['value']],
    [{ field: 'string1', operation: 'replace', value: 'x'.repeat(1001) }, ['value']],
  ])('refuses %j naming %j', (body, expected) => expect(parse(body).fields).toEqual(expected));
});
