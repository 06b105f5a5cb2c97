import type { NamedQueryProjection } from '@vellum/db';
import { ProblemException } from '@vellum/common';
import {
  controlDocument,
  inProcessDocument,
  projectionDisposition,
  projectionFileName,
} from './projection-documents';
import { parseProjectionPath } from './projection-path';

const row = (over: Partial<NamedQueryProjection> = {}): NamedQueryProjection => ({
  id: '5b3c0c1e-0000-4000-8000-000000000001',
  customerId: 2,
  queryName: 'book',
  kind: 'pdf',
  args: ['b1'],
  argsKey: '["b1"]',
  status: 'done',
  build: 2,
  requested: new Date('2026-12-08T10:00:00Z'),
  created: new Date('2026-12-08T10:00:05Z'),
  itemCount: 12,
  sizeBytes: 123456n,
  roles: ['https://example.org/roles/staff'],
  objectBucket: 'vellum-outputs',
  objectKey: '2/named-queries/x/2.pdf',
  error: null,
  fingerprint: 'F',
  requestedFingerprint: 'F',
  updated: new Date('2026-12-08T10:00:05Z'),
  ...over,
});

describe('parseProjectionPath', () => {
  it.each([
    ['/pdf/2/book/b1/5', { kind: 'pdf', control: false, customer: '2', query: 'book', argsTail: 'b1/5' }],
    ['/zip/lib/book', { kind: 'zip', control: false, customer: 'lib', query: 'book', argsTail: '' }],
    [
      '/pdf-control/lib/my%20q/a%2Fb/',
      { kind: 'pdf', control: true, customer: 'lib', query: 'my q', argsTail: 'a%2Fb/' },
    ],
    ['/zip-control/lib/q/x', { kind: 'zip', control: true, customer: 'lib', query: 'q', argsTail: 'x' }],
  ])('%s', (p, expected) => {
    expect(parseProjectionPath(p)).toEqual(expected);
  });

  it.each([
    [
      '/pdf/lib',
      404,
      'No such resource: /pdf/lib; a named-query pdf is at /pdf/{customer}/{namedQuery}/{args...}',
    ],
    [
      '/pdf//book',
      404,
      'No such resource: /pdf//book; a named-query pdf is at /pdf/{customer}/{namedQuery}/{args...}',
    ],
    [
      '/zip-control/lib/',
      404,
      'No such resource: /zip-control/lib/; a named-query zip-control is at /zip-control/{customer}/{namedQuery}/{args...}',
    ],
    ['/pdf/lib/%E0%A4', 400, 'Malformed percent-escape in path /pdf/lib/%E0%A4'],
  ])('%s → %i', (p, status, detail) => {
    try {
      parseProjectionPath(p);
      throw new Error('expected a problem');
    } catch (e) {
      expect(e).toBeInstanceOf(ProblemException);
      expect((e as ProblemException).getStatus()).toBe(status);
      expect((e as ProblemException).problem.detail).toBe(detail);
    }
  });
});

describe('controlDocument', () => {
  const opts = { id: 'https://d/pdf-control/2/book/b1', objectUrl: 'https://d/pdf/2/book/b1', stale: false };

  it('describes a built PDF', () => {
    expect(controlDocument(row(), opts)).toEqual({
      id: opts.id,
      type: 'PdfControl',
      pdf: opts.objectUrl,
      exists: true,
      inProcess: false,
      created: '2026-12-08T10:00:05.000Z',
      pageCount: 12,
      sizeBytes: 123456,
      stale: false,
      roles: ['https://example.org/roles/staff'],
      requested: '2026-12-08T10:00:00.000Z',
    });
  });

  it('counts ZIP entries as itemCount, and says a rebuild is in process', () => {
    const doc = controlDocument(row({ kind: 'zip', status: 'in_process' }), { ...opts, stale: true });
    expect(doc).toMatchObject({
      type: 'ZipControl',
      zip: opts.objectUrl,
      itemCount: 12,
      inProcess: true,
      stale: true,
    });
    expect(doc.pageCount).toBeUndefined();
  });

  it('has no created, counts or size before the first build, and the error after a failure', () => {
    const doc = controlDocument(
      row({
        status: 'failed',
        created: null,
        objectKey: null,
        objectBucket: null,
        itemCount: null,
        sizeBytes: null,
        roles: [],
        error: 'boom',
      }),
      opts,
    );
    expect(doc).toEqual({
      id: opts.id,
      type: 'PdfControl',
      pdf: opts.objectUrl,
      exists: false,
      inProcess: false,
      roles: [],
      requested: '2026-12-08T10:00:00.000Z',
      error: 'boom',
    });
  });

  it('writes the 202 body', () => {
    expect(
      inProcessDocument(row({ status: 'in_process' }), {
        objectUrl: 'o',
        controlUrl: 'c',
        retryAfterSeconds: 3,
      }),
    ).toEqual({
      pdf: 'o',
      control: 'c',
      inProcess: true,
      requested: '2026-12-08T10:00:00.000Z',
      retryAfter: 3,
      message: 'The PDF is being built; request it again in 3 s.',
    });
  });
});

describe('file names', () => {
  it.each([
    ['pdf', 'book', undefined, 'book.pdf'],
    ['pdf', 'book', 'Kells.PDF', 'Kells.PDF'],
    ['zip', 'book', 'Kells', 'Kells.zip'],
    ['zip', 'book', 'Kells.pdf', 'Kells.zip'],
    ['pdf', 'book', 'Kells.ZIP', 'Kells.pdf'],
    ['zip', 'book', '  ', 'book.zip'],
    ['pdf', 'q', 'a/b\\c', 'a_b_c.pdf'],
  ] as const)('%s of %s named %j → %s', (kind, q, name, expected) => {
    expect(projectionFileName(kind, q, name)).toBe(expected);
  });

  it('is inline for a PDF, an attachment for a ZIP, with the exact name for non-ASCII ones', () => {
    expect(projectionDisposition('pdf', 'book.pdf')).toBe('inline; filename="book.pdf"');
    expect(projectionDisposition('zip', 'book.zip')).toBe('attachment; filename="book.zip"');
    expect(projectionDisposition('pdf', 'Café "1".pdf')).toBe(
      `inline; filename="Caf_ \\"1\\".pdf"; filename*=UTF-8''Caf%C3%A9%20%221%22.pdf`,
    );
  });
});
