/**
 * The portal's API client (src/api.ts) against a real HTTP server on 127.0.0.1: the Basic credentials and the
 * portal marker header it sends, JSON bodies, 204, and every error turned into the problem's title and detail
 * (a 400's field list included; a non-problem body still gives a readable title). Plus the pure helpers: asset
 * ids from file names, media types from extensions, the session kept in sessionStorage.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  api,
  ApiError,
  assetIdOf,
  fileFractions,
  loadSession,
  mediaTypeOf,
  problemOf,
  saveSession,
  type Session,
} from '../src/api';

/** sessionStorage of the page, as the browser has it (an in-memory Storage). */
class MemoryStorage {
  private m = new Map<string, string>();
  getItem(k: string) {
    return this.m.has(k) ? this.m.get(k)! : null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, String(v));
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  get length() {
    return this.m.size;
  }
}

describe('the portal API client', () => {
  let server: http.Server;
  const seen: http.IncomingHttpHeaders[] = [];
  const session: Session = { key: 'k1', secret: 's€cret', customer: '2', admin: false };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (req.url === '/customers/2/spaces' && req.method === 'POST') {
          res
            .writeHead(201, { 'content-type': 'application/json' })
            .end(JSON.stringify({ id: 1, ...JSON.parse(body) }));
        } else if (req.url === '/customers/2/spaces/1' && req.method === 'DELETE') {
          res.writeHead(204).end();
        } else if (req.url === '/customers/2/bad') {
          res.writeHead(400, { 'content-type': 'application/problem+json' }).end(
            JSON.stringify({
              title: 'Bad Request',
              detail: 'name is required',
              status: 400,
              errors: [{ field: 'name', message: 'name is required' }],
            }),
          );
        } else if (req.url === '/customers/2/html') {
          res.writeHead(502, 'Bad Gateway', { 'content-type': 'text/html' }).end('<h1>proxy error</h1>');
        } else {
          res
            .writeHead(404, { 'content-type': 'application/problem+json' })
            .end(JSON.stringify({ title: 'Not Found', detail: `no ${req.url}`, status: 404 }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const g = globalThis as unknown as Record<string, unknown>;
    g.location = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/portal/`);
    g.sessionStorage = new MemoryStorage();
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('sends Basic key:secret (UTF-8) and the portal marker, and parses JSON', async () => {
    const s = await api(session, 'POST', '/customers/2/spaces', { name: 'books' });
    expect(s).toEqual({ id: 1, name: 'books' });
    const h = seen[seen.length - 1];
    expect(h.authorization).toBe(`Basic ${Buffer.from('k1:s€cret', 'utf8').toString('base64')}`);
    expect(h['x-vellum-client']).toBe('portal');
    expect(h['content-type']).toBe('application/json');
  });

  it('follows absolute links the API returns as same-origin paths; 204 is null', async () => {
    expect(
      await api(
        session,
        'DELETE',
        `${(globalThis as unknown as { location: URL }).location.origin}/customers/2/spaces/1`,
      ),
    ).toBeNull();
  });

  it('turns problems into ApiError with title, detail and field errors', async () => {
    const err = await api(session, 'GET', '/customers/2/bad').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, title: 'Bad Request', detail: 'name is required' });
    expect((err as ApiError).errors).toEqual([{ field: 'name', message: 'name is required' }]);
    const notFound = await api(session, 'GET', '/customers/2/nothing').catch((e: unknown) => e);
    expect(notFound).toMatchObject({ status: 404, title: 'Not Found', detail: 'no /customers/2/nothing' });
  });

  it('gives a readable error for a body that is not a problem document, and for no server', async () => {
    const err = await api(session, 'GET', '/customers/2/html').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, title: '502 Bad Gateway', detail: '<h1>proxy error</h1>' });
    expect(problemOf(500, '', '')).toMatchObject({ title: '500 error', detail: undefined });
    const g = globalThis as unknown as { location: URL };
    const saved = g.location;
    g.location = new URL('http://127.0.0.1:1/');
    const down = await api(session, 'GET', '/customers/2').catch((e: unknown) => e);
    g.location = saved;
    expect(down).toMatchObject({ status: 0, title: 'The API could not be reached' });
  });

  it('keeps the session in sessionStorage only, and forgets it on sign-out', () => {
    expect(loadSession()).toBeNull();
    saveSession(session);
    expect(loadSession()).toEqual(session);
    saveSession(null);
    expect(loadSession()).toBeNull();
  });

  it('derives asset ids and media types from file names', () => {
    expect(assetIdOf('page 001 (copy).jpg')).toBe('page-001--copy-.jpg');
    expect(assetIdOf('')).toBe('file');
    const file = (name: string, type = '') => ({ name, type }) as File;
    expect(mediaTypeOf(file('a.TIF'))).toBe('image/tiff');
    expect(mediaTypeOf(file('a.jp2'))).toBe('image/jp2');
    expect(mediaTypeOf(file('a.bin'))).toBe('application/octet-stream');
    expect(mediaTypeOf(file('a.png', 'image/png'))).toBe('image/png');
  });

  it('per-file progress of a multipart batch from the cumulative byte offsets', () => {
    // Two files of 100 and 300 bytes after 60 bytes of batch field and part headers (20 per part).
    expect(fileFractions([100, 300], 0, 460)).toEqual([0, 0]);
    expect(fileFractions([100, 300], 90, 460)).toEqual([0.5, 0]);
    expect(fileFractions([100, 300], 140, 460)).toEqual([1, 0]);
    expect(fileFractions([100, 300], 310, 460)).toEqual([1, 0.5]);
    expect(fileFractions([100, 300], 460, 460)).toEqual([1, 1]);
  });
});
