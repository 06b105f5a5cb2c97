import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsObjectStore } from '@vellum/storage';
import { HttpOriginFetcher } from './http-origin.fetcher';
import {
  OriginTooLargeError,
  PermanentOriginError,
  RetryableOriginError,
  StorageQuotaExceededError,
} from './origin-errors';
import { OriginStager } from './origin-stager';
import { parseAllowList, SsrfGuard, SsrfRefusedError } from './ssrf-guard';

/** A real node:http origin on 127.0.0.1 (the only address tests may use). */
describe('OriginStager + HttpOriginFetcher (real HTTP on 127.0.0.1)', () => {
  let server: Server;
  let base: string;
  let dir: string;
  let store: FsObjectStore;
  const body = Buffer.alloc(256 * 1024, 7);
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/ok.jpg': (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
      res.end(body);
    },
    '/chunked': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < 8; i++) res.write(body);
      res.end();
    },
    '/declared-big': (_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write(body);
      // never finishes: the fetcher must refuse on the header alone
    },
    '/redirect': (_req, res) => {
      res.writeHead(302, { location: '/ok.jpg' });
      res.end();
    },
    '/loop': (_req, res) => {
      res.writeHead(301, { location: '/loop' });
      res.end();
    },
    '/to-ipv6-loopback': (_req, res) => {
      res.writeHead(302, { location: `http://[::1]:${(server.address() as AddressInfo).port}/ok.jpg` });
      res.end();
    },
    '/to-sftp': (_req, res) => {
      res.writeHead(302, { location: 'sftp://example.org/x' });
      res.end();
    },
    '/auth': (req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('user:pa ss').toString('base64')}`) {
        res.writeHead(401);
        return res.end();
      }
      res.writeHead(200);
      res.end('secret bytes');
    },
    '/missing': (_req, res) => {
      res.writeHead(404);
      res.end('nope');
    },
    '/busy': (_req, res) => {
      res.writeHead(503);
      res.end();
    },
    '/slow-headers': () => {
      // never answers
    },
    '/stall-body': (_req, res) => {
      res.writeHead(200, { 'content-length': String(body.length * 2) });
      res.write(body);
      // stalls mid-body
    },
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vellum-orch-stager-'));
    store = new FsObjectStore(dir);
    await store.ensureBucket('vellum-origins');
    server = createServer((req, res) => {
      const route = routes[(req.url ?? '').split('?')[0]];
      if (route) route(req, res);
      else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  function stager(opts: { allow?: string; maxBytes?: number; timeoutMs?: number } = {}) {
    const guard = new SsrfGuard(parseAllowList(opts.allow ?? '127.0.0.1/32'));
    const fetcher = new HttpOriginFetcher(guard, { timeoutMs: opts.timeoutMs ?? 5000 });
    let bytes = 0;
    const s = new OriginStager([fetcher], store, {
      maxBytes: opts.maxBytes ?? 64 * 1024 * 1024,
      onBytes: (n) => (bytes += n),
    });
    return { s, fetcher, bytes: () => bytes };
  }

  it('streams an origin into the store and records the declared content type', async () => {
    const { s, fetcher, bytes } = stager();
    const staged = await s.stage(`${base}/ok.jpg`, 'vellum-origins', '1/2/a/origin', 'image/jpeg');
    expect(staged).toMatchObject({
      bucket: 'vellum-origins',
      key: '1/2/a/origin',
      size: body.length,
      originContentType: 'image/jpeg',
    });
    expect((await store.getBuffer('vellum-origins', '1/2/a/origin')).equals(body)).toBe(true);
    expect(bytes()).toBe(body.length);
    await fetcher.close();
  });

  it('follows redirects and sends URL credentials as Basic auth', async () => {
    const { s, fetcher } = stager();
    await expect(s.stage(`${base}/redirect`, 'vellum-origins', 'r', 'image/jpeg')).resolves.toMatchObject({
      size: body.length,
      finalUrl: `${base}/ok.jpg`,
    });
    await expect(
      s.stage(
        `http://user:pa%20ss@127.0.0.1:${new URL(base).port}/auth`,
        'vellum-origins',
        'auth',
        'text/plain',
      ),
    ).resolves.toMatchObject({ size: 12 });
    await fetcher.close();
  });

  it('streams chunked bodies of unknown length', async () => {
    const { s, fetcher } = stager();
    await expect(s.stage(`${base}/chunked`, 'vellum-origins', 'c', 'image/jpeg')).resolves.toMatchObject({
      size: body.length * 8,
    });
    await fetcher.close();
  });

  it('refuses an origin larger than the limit while streaming, and on the declared length', async () => {
    const { s, fetcher } = stager({ maxBytes: body.length * 3 });
    await expect(s.stage(`${base}/chunked`, 'vellum-origins', 'big', 'image/jpeg')).rejects.toBeInstanceOf(
      OriginTooLargeError,
    );
    await expect(
      s.stage(`${base}/declared-big`, 'vellum-origins', 'big2', 'image/jpeg'),
    ).rejects.toBeInstanceOf(OriginTooLargeError);
    await fetcher.close();
  });

  it('refuses an origin beyond the storage quota left, permanently, while streaming and on the declared length', async () => {
    const { s, fetcher } = stager();
    const quotaBytes = body.length * 3;
    const streamed = await s
      .stage(`${base}/chunked`, 'vellum-origins', 'quota', 'image/jpeg', { quotaBytes })
      .catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(StorageQuotaExceededError);
    expect((streamed as PermanentOriginError).permanent).toBe(true);
    expect((streamed as Error).message).toMatch(/Storage quota exceeded/);
    expect(await store.stat('vellum-origins', 'quota')).toBeNull();
    const declared = await s
      .stage(`${base}/declared-big`, 'vellum-origins', 'quota2', 'image/jpeg', { quotaBytes })
      .catch((e: unknown) => e);
    expect(declared).toBeInstanceOf(StorageQuotaExceededError);
    // Within the quota (the declared length included): staged as usual.
    await expect(
      s.stage(`${base}/ok.jpg`, 'vellum-origins', 'quota3', 'image/jpeg', { quotaBytes: body.length }),
    ).resolves.toMatchObject({ size: body.length });
    await fetcher.close();
  });

  it('404 is permanent with a clear message; 503 is retryable', async () => {
    const { s, fetcher } = stager();
    await expect(s.stage(`${base}/missing`, 'vellum-origins', 'm', 'image/jpeg')).rejects.toThrow(
      new PermanentOriginError(`Origin ${base}/missing answered HTTP 404 (not found)`),
    );
    await expect(s.stage(`${base}/busy`, 'vellum-origins', 'b', 'image/jpeg')).rejects.toBeInstanceOf(
      RetryableOriginError,
    );
    await fetcher.close();
  });

  it('bounds redirects and refuses redirects to other schemes', async () => {
    const { s, fetcher } = stager();
    await expect(s.stage(`${base}/loop`, 'vellum-origins', 'l', 'image/jpeg')).rejects.toThrow(
      /redirected more than 5 times/,
    );
    await expect(s.stage(`${base}/to-sftp`, 'vellum-origins', 'l', 'image/jpeg')).rejects.toThrow(
      /unsupported scheme sftp/,
    );
    await fetcher.close();
  });

  it('refuses loopback without an allow-list entry, and re-checks after redirects', async () => {
    const closed = stager({ allow: '' });
    await expect(
      closed.s.stage(`${base}/ok.jpg`, 'vellum-origins', 'x', 'image/jpeg'),
    ).rejects.toBeInstanceOf(SsrfRefusedError);
    const port = new URL(base).port;
    await expect(
      closed.s.stage(`http://2130706433:${port}/ok.jpg`, 'vellum-origins', 'x', 'image/jpeg'),
    ).rejects.toBeInstanceOf(SsrfRefusedError);
    await closed.fetcher.close();
    const open = stager({ allow: '127.0.0.1/32' });
    await expect(
      open.s.stage(`${base}/to-ipv6-loopback`, 'vellum-origins', 'x', 'image/jpeg'),
    ).rejects.toThrow(/\[::1\]|::1/);
    await open.fetcher.close();
  });

  it('connects to the address the guard approved (the socket lookup goes through the guard)', async () => {
    // `origin.test` exists only in the guard's resolver: the connection can only succeed through it.
    const guard = new SsrfGuard(parseAllowList('origin.test'), async (h) => {
      if (h !== 'origin.test') throw Object.assign(new Error(`ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
      return [{ address: '127.0.0.1', family: 4 }];
    });
    const fetcher = new HttpOriginFetcher(guard, { timeoutMs: 5000 });
    const s = new OriginStager([fetcher], store, { maxBytes: 1 << 30 });
    const port = new URL(base).port;
    await expect(
      s.stage(`http://origin.test:${port}/ok.jpg`, 'vellum-origins', 'pinned', 'image/jpeg'),
    ).resolves.toMatchObject({ size: body.length });
    await expect(
      s.stage(`http://elsewhere.test:${port}/ok.jpg`, 'vellum-origins', 'x', 'image/jpeg'),
    ).rejects.toBeInstanceOf(PermanentOriginError);
    await fetcher.close();
  });

  it('times out on missing headers and stalled bodies (retryable)', async () => {
    const { s, fetcher } = stager({ timeoutMs: 300 });
    const headers = await s
      .stage(`${base}/slow-headers`, 'vellum-origins', 't1', 'image/jpeg')
      .catch((e: unknown) => e);
    expect(headers).toBeInstanceOf(RetryableOriginError);
    expect((headers as Error).message).toMatch(/response headers/);
    const stalled = await s
      .stage(`${base}/stall-body`, 'vellum-origins', 't2', 'image/jpeg')
      .catch((e: unknown) => e);
    expect(stalled).toBeInstanceOf(RetryableOriginError);
    expect((stalled as Error).message).toMatch(/body/);
    await fetcher.close();
  });

  it('refuses unsupported schemes and malformed origins', async () => {
    const { s, fetcher } = stager();
    await expect(s.stage('sftp://example.org/a.tif', 'vellum-origins', 'x', 'image/tiff')).rejects.toThrow(
      new PermanentOriginError('origin scheme sftp is not supported yet'),
    );
    await expect(s.stage('not a url', 'vellum-origins', 'x', 'image/tiff')).rejects.toBeInstanceOf(
      PermanentOriginError,
    );
    await fetcher.close();
  });
});
