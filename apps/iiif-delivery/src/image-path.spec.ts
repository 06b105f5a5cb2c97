import { encodeSegment, parseDeliveryPath, servicePath } from './image-path';

describe('parseDeliveryPath', () => {
  it.each([
    ['/iiif-img/2/1/abc', { prefix: 'iiif-img', customer: '2', space: '1', id: 'abc', kind: 'base' }],
    ['/iiif-img/acme/1/abc/info.json', { customer: 'acme', kind: 'info', slug: undefined }],
    ['/iiif-img/v2/acme/1/abc/info.json', { customer: 'acme', kind: 'info', slug: 2 }],
    ['/iiif-img/v3/acme/1/abc', { kind: 'base', slug: 3 }],
    [
      '/thumbs/acme/1/a%20b%25c/full/!200,200/0/default.jpg',
      {
        prefix: 'thumbs',
        id: 'a b%c',
        kind: 'image',
        params: ['full', '!200,200', '0', 'default.jpg'],
      },
    ],
    ['/iiif-img/1/1/a%2Fb/info.json', { id: 'a/b', kind: 'info' }],
    ['/iiif-img/1/1/abc/', { id: 'abc', kind: 'base' }],
    [
      '/iiif-img/1/1/abc/pct:1,2,3,4/%5E200,/!90/gray.png',
      { params: ['pct:1,2,3,4', '^200,', '!90', 'gray.png'] },
    ],
  ])('%s', (raw, expected) => {
    expect(parseDeliveryPath(raw)).toMatchObject(expected);
  });

  it.each([
    // the substitute service of IIIF Auth 2.0 (its segment is never part of an id: ids escape "/")
    ['/iiif-img/1/1/abc/substitute', { id: 'abc', kind: 'base', substitute: true }],
    ['/iiif-img/v2/1/1/abc/substitute/info.json', { id: 'abc', kind: 'info', slug: 2, substitute: true }],
    [
      '/iiif-img/1/1/abc/substitute/full/max/0/default.jpg',
      { id: 'abc', kind: 'image', substitute: true, params: ['full', 'max', '0', 'default.jpg'] },
    ],
    // an asset named "substitute", and an id ending in an escaped "/substitute"
    ['/iiif-img/1/1/substitute/info.json', { id: 'substitute', kind: 'info', substitute: undefined }],
    [
      '/iiif-img/1/1/abc%2Fsubstitute/info.json',
      { id: 'abc/substitute', kind: 'info', substitute: undefined },
    ],
    [
      '/iiif-img/1/1/substitute/full/max/0/default.jpg',
      { id: 'substitute', kind: 'image', substitute: undefined },
    ],
  ])('substitute: %s', (raw, expected) => {
    const { substitute, ...rest } = expected as { substitute?: boolean };
    const parsed = parseDeliveryPath(raw);
    expect(parsed).toMatchObject(rest);
    expect(parsed.substitute).toBe(substitute);
  });

  it.each([
    // an unescaped "/" in the identifier: parsed from the right, the lookup finds no such id (404)
    [
      '/iiif-img/1/1/a/b/full/max/0/default.jpg',
      { id: 'a/b', kind: 'image', params: ['full', 'max', '0', 'default.jpg'] },
    ],
    ['/iiif-img/1/1/a/b/info.json', { id: 'a/b', kind: 'info' }],
  ])('%s', (raw, expected) => {
    expect(parseDeliveryPath(raw)).toMatchObject(expected);
  });

  it.each([
    ['/iiif-img/1/1', 404],
    ['/iiif-img/1', 404],
    ['/iiif-img/v4/1/1/abc/info.json', 404],
    ['/iiif-img/1//abc/info.json', 404],
    ['/iiif-img/1/1//info.json', 404],
    ['/iiif-img/1/1//full/max/0/default.jpg', 404],
    ['/iiif-img/1/1/a//full/max/0/default.jpg', 404],
    ['/iiif-img/1/1/%E0%A4%A/info.json', 400],
    // malformed image requests: too few parameters, empty ones
    ['/iiif-img/1/1/abc/full/max/0', 400],
    ['/iiif-img/1/1/abc/full/0/default.jpg', 400],
    ['/iiif-img/1/1/abc/default.jpg', 400],
    ['/iiif-img/1/1/abc/other.json', 400],
    ['/iiif-img/1/1/abc/full////max/0/default.jpg', 400],
    ['/iiif-img/1/1/abc/full//0/default.jpg', 400],
    ['/iiif-img/1/1/abc/full/max/0/default.jpg/', 200],
    ['/iiif-img/1/1/abc/full/max/0/default.jpg//', 400],
    ['/thumbs/v2/1/1/abc/full/0/default.jpg', 400],
  ])('%s → %i', (raw, status) => {
    if (status === 200) return expect(parseDeliveryPath(raw)).toMatchObject({ kind: 'image' });
    expect(() => parseDeliveryPath(raw)).toThrow(expect.objectContaining({ status }));
  });
});

describe('encodeSegment / servicePath', () => {
  it('keeps sub-delimiters readable and escapes the rest', () => {
    expect(encodeSegment("a b/c%d+e,f;g=h:i@j$k&l'(m)!*")).toBe("a%20b%2Fc%25d+e,f;g=h:i@j$k&l'(m)!*");
  });
  it('builds versioned and unversioned paths', () => {
    expect(servicePath('iiif-img', undefined, { customer: 'acme', space: '1', id: 'x y' })).toBe(
      '/iiif-img/acme/1/x%20y',
    );
    expect(servicePath('thumbs', 2, { customer: '7', space: '1', id: 'x' })).toBe('/thumbs/v2/7/1/x');
  });
});
