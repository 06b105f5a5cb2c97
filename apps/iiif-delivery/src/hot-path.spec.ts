import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeliveryHotPath, EXPOSED_HEADERS, hotRoute } from './hot-path';
import type { HttpRequest, HttpResponse } from './http-io';

describe('hotRoute', () => {
  it.each([
    ['/iiif-img/1/2/abc/info.json', 'iiif-img'],
    ['/iiif-img/v2/1/2/abc/info.json', 'iiif-img'],
    ['/iiif-img/1/2/abc/0,0,512,512/512,/0/default.jpg', 'iiif-img'],
    ['/iiif-img/v2/1/2/abc/full/full/0/default.jpg', 'iiif-img'],
    ['/iiif-img/cust/space/abc/full/max/90/gray.png', 'iiif-img'],
    ['/thumbs/1/2/abc/info.json', 'thumbs'],
    ['/thumbs/1/2/abc/full/!200,200/0/default.jpg', 'thumbs'],
    ['/thumbs/v2/1/2/abc/full/400,/0/default.jpg', 'thumbs'],
  ])('owns %s', (url, route) => {
    expect(hotRoute('GET', url, 3)).toBe(route);
  });

  it.each([
    ['GET', '/iiif-img/1/2/abc'], // 303 to info.json
    ['GET', '/iiif-img/1/2/abc/'],
    ['GET', '/iiif-img/v3/1/2/abc/info.json'], // default version slug: 302
    ['GET', '/iiif-img/v4/1/2/abc/info.json'], // unknown slug: 404
    ['GET', '/iiif-img/1/2/abc/info.json?x=1'],
    ['GET', '/iiif-img/1/2/a%2Fb/info.json'],
    ['GET', '/iiif-img/1/2/abc/substitute/info.json'],
    ['GET', '/iiif-img/1/2/abc/substitute/full/max/0/default.jpg'],
    ['GET', '/iiif-img/1/2/abc/substitute/max/0/default.jpg'],
    ['GET', '/iiif-img/1/2/abc/full/max/0'],
    ['GET', '/iiif-img/1/2/abc/full//0/default.jpg'],
    ['GET', '/iiif-img//2/abc/info.json'],
    ['GET', '/iiif-img/1/2/a/b/full/max/0/default.jpg'], // unescaped slash in the id: Nest's 404
    ['GET', '/iiif-img/1/2/abc/info.json/x'],
    ['GET', '/iiif-imgx/1/2/abc/info.json'],
    ['GET', '/iiif-av/1/2/abc/full/max/default.mp4'],
    ['GET', '/file/1/2/abc'],
    ['GET', '/health/ready'],
    ['HEAD', '/iiif-img/1/2/abc/info.json'],
    ['OPTIONS', '/iiif-img/1/2/abc/info.json'],
    ['POST', '/thumbs/1/2/abc/info.json'],
  ])('leaves %s %s to Nest', (method, url) => {
    expect(hotRoute(method, url, 3)).toBeUndefined();
  });

  it('takes v3 slugs and leaves v2 ones when 2 is the default', () => {
    expect(hotRoute('GET', '/iiif-img/v3/1/2/abc/info.json', 2)).toBe('iiif-img');
    expect(hotRoute('GET', '/iiif-img/v2/1/2/abc/info.json', 2)).toBeUndefined();
  });
});

describe('DeliveryHotPath', () => {
  let server: Server;
  let port = 0;
  const calls: string[] = [];
  let imageHandler: (req: HttpRequest, res: HttpResponse) => Promise<void>;

  const get = (p: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: p }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('aborted')));
      })
        .on('error', reject)
        .end();
    });

  beforeAll(async () => {
    const hot = new DeliveryHotPath(
      { handle: (req, res) => imageHandler(req, res) },
      {
        handle: async (req, res) => {
          calls.push(`thumbs ${req.path}`);
          res.end('thumb');
        },
      },
      3,
    );
    server = createServer((req, res) =>
      hot.handle(req, res, () => {
        calls.push(`nest ${req.url} ${String((req as Partial<HttpRequest>).path)}`);
        res.setHeader('X-Nest', '1');
        res.end(`nest:${String(res.getHeader('access-control-allow-origin') ?? 'no-cors')}`);
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    calls.length = 0;
  });

  it('answers owned routes with the controllers, with CORS and a correlation id', async () => {
    imageHandler = async (req, res) => {
      calls.push(`image ${req.path} ${req.originalUrl}`);
      res.end('tile');
    };
    const r = await get('/iiif-img/1/2/a/0,0,512,512/512,/0/default.jpg');
    expect(r.body).toBe('tile');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['access-control-expose-headers']).toBe(EXPOSED_HEADERS);
    expect(r.headers['x-correlation-id']).toEqual(expect.any(String));
    expect(calls).toEqual([
      'image /iiif-img/1/2/a/0,0,512,512/512,/0/default.jpg /iiif-img/1/2/a/0,0,512,512/512,/0/default.jpg',
    ]);
    expect((await get('/thumbs/1/2/a/info.json')).body).toBe('thumb');
  });

  it('passes other requests to Nest untouched', async () => {
    const r = await get('/iiif-img/1/2/a');
    expect(r.body).toBe('nest:no-cors');
    expect(calls).toEqual(['nest /iiif-img/1/2/a undefined']);
  });

  it('falls through to Nest, without its own headers, when the handler rejects before sending', async () => {
    imageHandler = async (_req, res) => {
      res.setHeader('ETag', '"x"');
      throw new Error('404 problem');
    };
    const r = await get('/iiif-img/1/2/a/info.json');
    expect(r.status).toBe(200);
    expect(r.body).toBe('nest:no-cors');
    expect(r.headers.etag).toBeUndefined();
    expect(r.headers['x-nest']).toBe('1');
    // The correlation id stays (Nest's middleware keeps the one assigned).
    expect(r.headers['x-correlation-id']).toEqual(expect.any(String));
    expect(calls).toEqual(['nest /iiif-img/1/2/a/info.json undefined']);
  });

  it('cuts the response when the handler fails after the headers went out', async () => {
    imageHandler = async (_req, res) => {
      res.writeHead(200, { 'Content-Length': '10' });
      res.write('abc');
      throw new Error('store failed');
    };
    await expect(get('/iiif-img/1/2/a/info.json')).rejects.toThrow();
    expect(calls).toEqual([]);
  });
});
