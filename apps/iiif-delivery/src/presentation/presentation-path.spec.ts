import { ProblemException } from '@vellum/common';
import { parseManifestPath, parseNamedQueryPath } from './presentation-path';

/** The status and detail of the problem `fn` throws. */
function problemOf(fn: () => unknown): { status: number; detail?: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProblemException) return { status: e.problem.status, detail: e.problem.detail };
    throw e;
  }
  throw new Error('no problem thrown');
}

describe('parseManifestPath', () => {
  it.each<[string, object]>([
    ['/iiif-manifest/7/2/page-1', { slug: undefined, customer: '7', space: '2', id: 'page-1' }],
    ['/iiif-manifest/v2/lib/2/page-1', { slug: 2, customer: 'lib', space: '2', id: 'page-1' }],
    ['/iiif-manifest/v3/7/2/page-1/', { slug: 3, customer: '7', space: '2', id: 'page-1' }],
    ['/iiif-manifest/7/2/a%2Fb%20c', { customer: '7', space: '2', id: 'a/b c' }],
  ])('%s', (path, expected) => {
    expect(parseManifestPath(path)).toEqual(expect.objectContaining(expected));
  });

  it.each<[string, number, string]>([
    [
      '/iiif-manifest/v4/7/2/x',
      400,
      'Unknown IIIF Presentation API version v4: use /v2/ (Presentation 2.1) or /v3/ (3.0, the default)',
    ],
    [
      '/iiif-manifest/v0/7/2/x',
      400,
      'Unknown IIIF Presentation API version v0: use /v2/ (Presentation 2.1) or /v3/ (3.0, the default)',
    ],
    ['/iiif-manifest/7/2/%E0%A4%A', 400, 'Malformed percent-escape in path /iiif-manifest/7/2/%E0%A4%A'],
    ['/iiif-manifest', 404, 'No such manifest: /iiif-manifest'],
    ['/iiif-manifest/7/2', 404, 'No such manifest: /iiif-manifest/7/2'],
    ['/iiif-manifest/v2/7/2', 404, 'No such manifest: /iiif-manifest/v2/7/2'],
    ['/iiif-manifest/7/2/x/canvas/c/1', 404, 'No such manifest: /iiif-manifest/7/2/x/canvas/c/1'],
  ])('%s → %d', (path, status, detail) => {
    expect(problemOf(() => parseManifestPath(path))).toEqual({ status, detail });
  });
});

describe('parseNamedQueryPath', () => {
  it.each<[string, boolean, object]>([
    [
      '/iiif-resource/7/book/b1/5',
      true,
      { slug: undefined, customer: '7', query: 'book', argumentTail: 'b1/5' },
    ],
    [
      '/iiif-resource/v2/lib/book/b%2F1',
      true,
      { slug: 2, customer: 'lib', query: 'book', argumentTail: 'b%2F1' },
    ],
    ['/iiif-resource/v3/7/book', true, { slug: 3, customer: '7', query: 'book', argumentTail: '' }],
    ['/raw-resource/7/book/b1/', false, { customer: '7', query: 'book', argumentTail: 'b1' }],
    // raw-resource has no version: a v2 segment is a customer segment (and no customer is called that).
    ['/raw-resource/v2/book/x', false, { slug: undefined, customer: 'v2', query: 'book', argumentTail: 'x' }],
  ])('%s', (path, versioned, expected) => {
    expect(parseNamedQueryPath(path, versioned)).toEqual(expect.objectContaining(expected));
  });

  it.each<[string, number, string]>([
    [
      '/iiif-resource/v4/7/book/x',
      400,
      'Unknown IIIF Presentation API version v4: use /v2/ (Presentation 2.1) or /v3/ (3.0, the default)',
    ],
    ['/iiif-resource/7', 404, 'No such named query: /iiif-resource/7'],
    ['/iiif-resource/v2/7', 404, 'No such named query: /iiif-resource/v2/7'],
    ['/raw-resource', 404, 'No such named query: /raw-resource'],
  ])('%s → %d', (path, status, detail) => {
    expect(problemOf(() => parseNamedQueryPath(path, path.startsWith('/iiif-resource')))).toEqual({
      status,
      detail,
    });
  });
});
