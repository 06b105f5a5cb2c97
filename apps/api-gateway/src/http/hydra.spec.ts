import { compact, hydraCollection, parsePaging, QueryValidationError } from './hydra';

describe('parsePaging (SPEC.md §3.1)', () => {
  const fields = ['id', 'name'] as const;
  it('defaults to page 1 of 100', () => {
    expect(parsePaging({}, fields)).toEqual({
      page: 1,
      pageSize: 100,
      skip: 0,
      orderBy: undefined,
      descending: false,
    });
  });
  it('reads page, pageSize and order', () => {
    expect(parsePaging({ page: '3', pageSize: '20', orderByDescending: 'name' }, fields)).toEqual({
      page: 3,
      pageSize: 20,
      skip: 40,
      orderBy: 'name',
      descending: true,
    });
    expect(parsePaging({ orderBy: 'id' }, fields)).toMatchObject({ orderBy: 'id', descending: false });
  });
  it('lists every bad parameter', () => {
    try {
      parsePaging({ page: '0', pageSize: '501', orderBy: 'secret' }, fields);
      throw new Error('no throw');
    } catch (err) {
      expect(err).toBeInstanceOf(QueryValidationError);
      expect((err as QueryValidationError).errors.map((e) => e.field)).toEqual([
        'page',
        'pageSize',
        'orderBy',
      ]);
      expect((err as QueryValidationError).getStatus()).toBe(400);
    }
  });
  it.each([
    { page: 'x' },
    { pageSize: '0' },
    { pageSize: '1.5' },
    { orderBy: 'id', orderByDescending: 'id' },
    { orderBy: ['id', 'name'] },
  ])('rejects %j', (q) => {
    expect(() => parsePaging(q, fields)).toThrow(QueryValidationError);
  });
});

describe('hydraCollection', () => {
  it('omits view for a single page', () => {
    const c = hydraCollection('http://x/c', [1, 2], 2, { page: 1, pageSize: 100 });
    expect(c).toEqual({
      '@context': 'http://www.w3.org/ns/hydra/context.jsonld',
      '@id': 'http://x/c',
      '@type': 'Collection',
      totalItems: 2,
      pageSize: 100,
      member: [1, 2],
    });
  });
  it('adds a PartialCollectionView with first/previous/next/last', () => {
    const c = hydraCollection('http://x/c?orderBy=id&page=2&pageSize=10', [], 35, { page: 2, pageSize: 10 });
    expect(c.view).toEqual({
      '@id': 'http://x/c?orderBy=id&page=2&pageSize=10',
      '@type': 'PartialCollectionView',
      first: 'http://x/c?orderBy=id&page=1&pageSize=10',
      previous: 'http://x/c?orderBy=id&page=1&pageSize=10',
      next: 'http://x/c?orderBy=id&page=3&pageSize=10',
      last: 'http://x/c?orderBy=id&page=4&pageSize=10',
      page: 2,
      pageSize: 10,
      totalPages: 4,
    });
    const last = hydraCollection('http://x/c', [], 35, { page: 4, pageSize: 10 });
    expect(last.view?.next).toBeUndefined();
    expect(last.view?.previous).toBe('http://x/c?page=3&pageSize=10');
  });
});

describe('compact', () => {
  it('drops null and undefined only', () => {
    expect(compact({ a: null, b: undefined, c: 0, d: '', e: false, f: [] })).toEqual({
      c: 0,
      d: '',
      e: false,
      f: [],
    });
  });
});
