import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { FsObjectStore, type ObjectStore } from '@vellum/storage';
import { fixturePath, FIXTURES_DIR, freePort, waitFor } from '@vellum/testing';
import { HttpOriginFetcher } from './http-origin.fetcher';
import { OriginTooSlowError, PermanentOriginError } from './origin-errors';
import { OriginStager } from './origin-stager';
import { parseAllowList, SsrfGuard } from './ssrf-guard';

jest.setTimeout(120_000);

const FILES = ['scan.jp2', 'photo-large.jpg'];
const bytesOf = Object.fromEntries(FILES.map((f) => [f, readFileSync(fixturePath(f))]));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A real object store whose writes are slow: every chunk waits a little before it reaches the file, so the
 * stager's reads fall behind the origin and the HTTP client has to apply backpressure (the situation in which
 * undici 7's parser crashed the process when the origin then closed the connection: nodejs/undici#5360).
 */
function slowStore(inner: ObjectStore, delayMs: number): ObjectStore {
  return Object.assign(Object.create(inner) as ObjectStore, {
    put: (bucket: string, key: string, body: Buffer | Readable, opts?: { contentType?: string }) => {
      const slow = new Transform({
        highWaterMark: 1024,
        transform(chunk: Buffer, _enc, cb) {
          setTimeout(() => cb(null, chunk), delayMs);
        },
      });
      const src = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      src.on('error', (err) => slow.destroy(err));
      return inner.put(bucket, key, src.pipe(slow), opts);
    },
  });
}

/**
 * Origins of several real kinds on 127.0.0.1, each serving the fixtures: Node keep-alive, Node closing the
 * connection after each response, a raw HTTP/1.1 server that sends no Content-Length and ends the body by closing,
 * Python's `http.server` (HTTP/1.0, closes after every response), and a slow one that sends small chunks with
 * pauses. Each stages `scan.jp2` and `photo-large.jpg` byte for byte, through a fast and a slow (backpressuring)
 * store.
 */
describe('staging from origins of several kinds', () => {
  let dir: string;
  let fast: ObjectStore;
  const servers: Array<Server | NetServer> = [];
  let python: ChildProcess | undefined;
  const bases: Record<string, string> = {};

  async function listen(s: Server | NetServer): Promise<string> {
    servers.push(s);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  const fileOf = (url: string | undefined) => bytesOf[path.basename(url ?? '')];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vellum-origin-kinds-'));
    fast = new FsObjectStore(dir);
    await fast.ensureBucket('vellum-origins');

    bases['keep-alive'] = await listen(
      createHttpServer((req, res) => {
        const b = fileOf(req.url);
        res.writeHead(200, { 'content-length': b.length, 'content-type': 'application/octet-stream' });
        res.end(b);
      }),
    );
    bases['connection-close'] = await listen(
      createHttpServer((req, res) => {
        const b = fileOf(req.url);
        res.writeHead(200, { 'content-length': b.length, connection: 'close' });
        res.end(b);
      }),
    );
    bases['no-content-length'] = await listen(
      createNetServer((sock) => {
        sock.once('data', (head) => {
          const url = /^GET (\S+)/.exec(head.toString())?.[1];
          sock.write(
            'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n',
          );
          sock.end(fileOf(url));
        });
        sock.on('error', () => undefined);
      }),
    );
    bases['slow'] = await listen(
      createHttpServer((req, res) => {
        const b = fileOf(req.url);
        res.writeHead(200, { 'content-length': b.length });
        let at = 0;
        const tick = (): void => {
          if (at >= b.length) return void res.end();
          res.write(b.subarray(at, at + 64 * 1024));
          at += 64 * 1024;
          setTimeout(tick, 5);
        };
        tick();
      }),
    );
    const port = await freePort();
    python = spawn(
      'python3',
      ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', FIXTURES_DIR],
      {
        stdio: 'ignore',
      },
    );
    bases['python-http.server'] = `http://127.0.0.1:${port}`;
    await waitFor(
      () =>
        fetch(`${bases['python-http.server']}/PROVENANCE.md`).then(
          (r) => r.ok,
          () => false,
        ),
      { timeoutMs: 30_000, description: 'python3 -m http.server to answer' },
    );
  });

  afterAll(async () => {
    python?.kill('SIGTERM');
    for (const s of servers) {
      if ('closeAllConnections' in s) s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await rm(dir, { recursive: true, force: true });
  });

  function stagerFor(
    store: ObjectStore,
    opts: { minBytesPerSecond?: number; rateWindowMs?: number; deadlineMs?: number } = {},
  ) {
    const fetcher = new HttpOriginFetcher(new SsrfGuard(parseAllowList('127.0.0.1/32')), {
      timeoutMs: 10_000,
    });
    return {
      fetcher,
      stager: new OriginStager([fetcher], store, { maxBytes: 64 * 1024 * 1024, ...opts }),
    };
  }

  const kinds = ['keep-alive', 'connection-close', 'no-content-length', 'python-http.server', 'slow'];
  describe.each(kinds)('%s origin', (kind) => {
    it.each(
      FILES.flatMap((f) => [
        [f, 'fast'],
        [f, 'slow'],
      ]),
    )('stages %s into a %s store, byte for byte', async (file, speed) => {
      const store = speed === 'slow' ? slowStore(fast, 1) : fast;
      const { stager, fetcher } = stagerFor(store);
      try {
        const key = `${kind}/${speed}/${file}`;
        const staged = await stager.stage(`${bases[kind]}/${file}`, 'vellum-origins', key, 'image/jpeg');
        expect(staged.size).toBe(bytesOf[file].length);
        expect(sha(await fast.getBuffer('vellum-origins', key))).toBe(sha(bytesOf[file]));
      } finally {
        await fetcher.close();
      }
    });
  });

  it('stages the same file many times in a row from a connection-close origin (pooled sockets never reused)', async () => {
    const { stager, fetcher } = stagerFor(slowStore(fast, 1));
    try {
      for (let i = 0; i < 5; i++) {
        const staged = await stager.stage(
          `${bases['python-http.server']}/scan.jp2`,
          'vellum-origins',
          `again/${i}`,
          'image/jp2',
        );
        expect(staged.size).toBe(bytesOf['scan.jp2'].length);
      }
    } finally {
      await fetcher.close();
    }
  });

  describe('limits', () => {
    let trickle: string;
    let empty: string;
    beforeAll(async () => {
      trickle = await listen(
        createHttpServer((_req, res) => {
          res.writeHead(200, { 'content-length': 1_000_000 });
          const t = setInterval(() => res.write('x'), 50);
          res.on('close', () => clearInterval(t));
        }),
      );
      empty = await listen(
        createHttpServer((_req, res) => {
          res.writeHead(200, { 'content-length': 0, 'content-type': 'image/jpeg' });
          res.end();
        }),
      );
    });

    it('cuts off an origin below the minimum rate (retryable, saying how slow)', async () => {
      const { stager, fetcher } = stagerFor(fast, { minBytesPerSecond: 1024, rateWindowMs: 500 });
      try {
        const err = await stager
          .stage(`${trickle}/x`, 'vellum-origins', 'trickle', 'image/jpeg')
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OriginTooSlowError);
        expect((err as Error).message).toMatch(
          /^Origin too slow: \d+ bytes in the last \d+\.\d s \(minimum 1024 bytes\/s\)$/,
        );
      } finally {
        await fetcher.close();
      }
    });

    it('cuts off a fetch that outlasts its deadline, however steady', async () => {
      const { stager, fetcher } = stagerFor(fast, { deadlineMs: 600 });
      try {
        const err = await stager
          .stage(`${trickle}/x`, 'vellum-origins', 'deadline', 'image/jpeg')
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OriginTooSlowError);
        expect((err as Error).message).toMatch(/deadline of 600 ms/);
      } finally {
        await fetcher.close();
      }
    });

    it('refuses an empty origin permanently, saying it is empty', async () => {
      const { stager, fetcher } = stagerFor(fast);
      try {
        const err = await stager
          .stage(`${empty}/x.jpg`, 'vellum-origins', 'empty', 'image/jpeg')
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PermanentOriginError);
        expect((err as Error).message).toBe('The origin file is empty (0 bytes)');
      } finally {
        await fetcher.close();
      }
    });
  });
});
