import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsObjectStore } from '@vellum/storage';
import {
  type Daemon,
  establishedConnections,
  findExecutable,
  fixturePath,
  freePort,
  startDaemon,
  waitFor,
} from '@vellum/testing';
import { FtpOriginFetcher, ftpPath } from './ftp-origin.fetcher';
import type { OriginAccess, OriginFetcher } from './origin-fetcher';
import { OriginTooLargeError, PermanentOriginError, RetryableOriginError } from './origin-errors';
import { OriginStager } from './origin-stager';
import { parseAllowList, SsrfGuard, SsrfRefusedError } from './ssrf-guard';

jest.setTimeout(120_000);

const VSFTPD = findExecutable('vsftpd');
const OPENSSL = findExecutable('openssl');
if (!VSFTPD)
  console.warn(
    'SKIPPED ftp-origin.int-spec (servers): /usr/sbin/vsftpd is not installed (Debian vsftpd; scripts/setup.mjs installs it)',
  );
const describeVsftpd = VSFTPD ? describe : describe.skip;

const FILES = ['scan.jp2', 'photo-large.jpg'];
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const PASSWORD = 'open-sesame-42';

/** Accepts one access for every fetch: what the orchestrator passes once it resolved the origin strategy. */
function withAccess(fetcher: OriginFetcher, access: OriginAccess): OriginFetcher {
  return { schemes: fetcher.schemes, fetch: (url, limits) => fetcher.fetch(url, limits, access) };
}

describe('ftpPath (RFC 1738 §3.2.2: relative to the login directory, absolute after %2F)', () => {
  it.each([
    ['ftp://h/a.tif', 'a.tif'],
    ['ftp://h/data/a%20b.tif', 'data/a b.tif'],
    ['ftp://h/%2Fdata/a.tif', '/data/a.tif'],
    ['ftp://h/%2fdata/a.tif', '/data/a.tif'],
    ['ftp://h/a.tif;type=i', 'a.tif'],
    ['ftps://h/x/y.jp2', 'x/y.jp2'],
  ])('%s → %s', (url, expected) => {
    expect(ftpPath(new URL(url), url)).toBe(expected);
  });

  it.each(['ftp://h/', 'ftp://h/dir/', 'ftp://h/a%0D%0ADELE%20b', 'ftp://h/a%00', 'ftp://h/%FF'])(
    '%s is refused permanently',
    (url) => {
      expect(() => ftpPath(new URL(url), url)).toThrow(PermanentOriginError);
    },
  );
});

/**
 * Real Debian vsftpd servers on free loopback ports, run by the test (foreground, as the launching user, no
 * seccomp sandbox), both serving a temp directory of fixture copies:
 * - `open`: anonymous logins without a password;
 * - `locked`: anonymous logins only with the password listed in its `email_password_file` (vsftpd's
 *   `secure_email_list_enable`): a real USER/PASS exchange with a password check, without creating a system account
 *   (vsftpd checks real local users through PAM, which a test must not configure); also explicit FTPS (`AUTH TLS`)
 *   with a self-signed certificate made by openssl.
 */
describeVsftpd('FtpOriginFetcher against real vsftpd servers', () => {
  let dir: string;
  let files: string;
  let store: FsObjectStore;
  let cert: string;
  let open: { daemon: Daemon; port: number };
  let locked: { daemon: Daemon; port: number };
  const guard = new SsrfGuard(parseAllowList('127.0.0.1/32,localhost'));
  const fetcher = (opts: { timeoutMs?: number; extraCa?: string } = {}): FtpOriginFetcher =>
    new FtpOriginFetcher(guard, { timeoutMs: opts.timeoutMs ?? 20_000, extraCa: opts.extraCa });
  const stagerOf = (f: OriginFetcher, maxBytes = 64 * 1024 * 1024): OriginStager =>
    new OriginStager([f], store, { maxBytes });
  const ftpAccess = (user: string, password: string): OriginAccess => ({
    strategy: 'ftp',
    optimised: false,
    credentials: { user, password },
  });
  const noConnections = (port: number): Promise<boolean> =>
    waitFor(() => establishedConnections(port) === 0, {
      timeoutMs: 20_000,
      description: `vsftpd on port ${port} to have no open control connection`,
    });

  async function vsftpd(name: string, lines: string[]): Promise<{ daemon: Daemon; port: number }> {
    const port = await freePort();
    const pasv = await freePort();
    const empty = path.join(dir, `${name}-empty`);
    mkdirSync(empty);
    const config = path.join(dir, `${name}.conf`);
    writeFileSync(
      config,
      [
        'listen=YES',
        'listen_ipv6=NO',
        'listen_address=127.0.0.1',
        `listen_port=${port}`,
        'background=NO',
        'run_as_launching_user=YES',
        'seccomp_sandbox=NO',
        'anonymous_enable=YES',
        'local_enable=NO',
        'write_enable=NO',
        `anon_root=${files}`,
        'pasv_enable=YES',
        `pasv_min_port=${pasv}`,
        `pasv_max_port=${Math.min(65535, pasv + 20)}`,
        `secure_chroot_dir=${empty}`,
        'xferlog_enable=NO',
        ...lines,
        '',
      ].join('\n'),
    );
    const daemon = await startDaemon({
      command: VSFTPD!,
      args: [config],
      port,
      description: `vsftpd (${name})`,
    });
    return { daemon, port };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vellum-ftp-'));
    files = path.join(dir, 'files');
    mkdirSync(path.join(files, 'sub dir'), { recursive: true });
    for (const f of FILES) copyFileSync(fixturePath(f), path.join(files, f));
    copyFileSync(fixturePath('scan.jp2'), path.join(files, 'sub dir', 'scan copy.jp2'));
    store = new FsObjectStore(path.join(dir, 'store'));
    await store.ensureBucket('vellum-origins');
    writeFileSync(path.join(dir, 'passwords'), `${PASSWORD}\n`);

    const certLines: string[] = [];
    if (OPENSSL) {
      execFileSync(
        OPENSSL,
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          path.join(dir, 'key.pem'),
          '-out',
          path.join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      certLines.push(
        'ssl_enable=YES',
        'allow_anon_ssl=YES',
        'force_anon_logins_ssl=NO',
        'force_anon_data_ssl=NO',
        `rsa_cert_file=${path.join(dir, 'cert.pem')}`,
        `rsa_private_key_file=${path.join(dir, 'key.pem')}`,
      );
    }
    open = await vsftpd('open', ['no_anon_password=YES']);
    locked = await vsftpd('locked', [
      'secure_email_list_enable=YES',
      `email_password_file=${path.join(dir, 'passwords')}`,
      ...certLines,
    ]);
  });

  afterAll(async () => {
    await open?.daemon.stop();
    await locked?.daemon.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(FILES)('stages %s anonymously, byte for byte, then closes the connection', async (file) => {
    const url = `ftp://127.0.0.1:${open.port}/${file}`;
    const staged = await stagerOf(fetcher()).stage(url, 'vellum-origins', `ftp/anon/${file}`, 'image/jpeg');
    const bytes = readFileSync(fixturePath(file));
    expect(staged.size).toBe(bytes.length);
    expect(staged.finalUrl).toBe(url);
    expect(sha(await store.getBuffer('vellum-origins', `ftp/anon/${file}`))).toBe(sha(bytes));
    await noConnections(open.port);
  });

  it('gives the size from SIZE; an absolute (%2F) and a percent-encoded path read the same files', async () => {
    const f = fetcher();
    // run_as_launching_user: vsftpd does not chroot, so an absolute path is one of the machine's.
    const fetched = await f.fetch(
      new URL(`ftp://127.0.0.1:${open.port}/%2F${files.slice(1)}/sub%20dir/scan%20copy.jp2`),
      {
        maxBytes: 1 << 30,
      },
    );
    expect(fetched.contentLength).toBe(readFileSync(fixturePath('scan.jp2')).length);
    const chunks: Buffer[] = [];
    for await (const c of fetched.body) chunks.push(c as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(readFileSync(fixturePath('scan.jp2'))));
    await noConnections(open.port);
  });

  it('destroying the body while the transfer waits on it closes the connection', async () => {
    const fetched = await fetcher().fetch(new URL(`ftp://127.0.0.1:${open.port}/photo-large.jpg`), {
      maxBytes: 1 << 30,
    });
    // Nobody reads: the body's buffer fills and the transfer waits on it (as it would for a slow store).
    await waitFor(() => fetched.body.readableLength >= fetched.body.readableHighWaterMark, {
      description: 'the body buffer to fill',
    });
    expect(establishedConnections(open.port)).toBe(1);
    fetched.body.destroy();
    await noConnections(open.port);
  });

  it.each([
    ['the URL userinfo', (port: number) => `ftp://ftp:${PASSWORD}@127.0.0.1:${port}/scan.jp2`, undefined],
    ['the ftp strategy', (port: number) => `ftp://127.0.0.1:${port}/scan.jp2`, ftpAccess('ftp', PASSWORD)],
  ])('logs in with a user and password from %s', async (_from, urlOf, access) => {
    const f = access ? withAccess(fetcher(), access) : fetcher();
    const staged = await stagerOf(f).stage(urlOf(locked.port), 'vellum-origins', 'ftp/pw', 'image/jp2');
    expect(staged.size).toBe(readFileSync(fixturePath('scan.jp2')).length);
    expect(staged.finalUrl).toBe(`ftp://127.0.0.1:${locked.port}/scan.jp2`);
    await noConnections(locked.port);
  });

  it.each([
    ['a wrong password', `ftp://ftp:not-${PASSWORD}@HOST/scan.jp2`],
    ['no password (anonymous)', `ftp://HOST/scan.jp2`],
    ['an unknown user', `ftp://bob:${PASSWORD}x@HOST/scan.jp2`],
  ])(
    '%s: permanent "Origin refused the credentials", no password in the message',
    async (_what, template) => {
      const err = await stagerOf(fetcher())
        .stage(template.replace('HOST', `127.0.0.1:${locked.port}`), 'vellum-origins', 'ftp/bad', 'image/jp2')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentOriginError);
      expect((err as Error).message).toBe(
        `Origin refused the credentials (ftp://127.0.0.1:${locked.port}/scan.jp2)`,
      );
      expect((err as Error).message).not.toContain(PASSWORD);
      await noConnections(locked.port);
    },
  );

  it('a missing file: permanent "Origin not found (ftp://host/path)"', async () => {
    const err = await stagerOf(fetcher())
      .stage(`ftp://127.0.0.1:${open.port}/nope.jp2`, 'vellum-origins', 'ftp/missing', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toBe(`Origin not found (ftp://127.0.0.1:${open.port}/nope.jp2)`);
    await noConnections(open.port);
  });

  it('a file above the maximum origin size fails from SIZE, before any transfer (permanent)', async () => {
    const err = await stagerOf(fetcher(), 1000)
      .stage(`ftp://127.0.0.1:${open.port}/scan.jp2`, 'vellum-origins', 'ftp/big', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginTooLargeError);
    await noConnections(open.port);
  });

  it('a path smuggling FTP commands (CR LF) is refused before connecting', async () => {
    const err = await fetcher()
      .fetch(new URL(`ftp://127.0.0.1:${open.port}/a%0D%0ADELE%20scan.jp2`), { maxBytes: 1 << 30 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toMatch(/contains control characters/);
  });

  it('the SSRF guard refuses loopback unless allow-listed (permanent, nothing dialled)', async () => {
    const strict = new FtpOriginFetcher(new SsrfGuard(parseAllowList('')), { timeoutMs: 5000 });
    const err = await strict
      .fetch(new URL(`ftp://127.0.0.1:${open.port}/scan.jp2`), { maxBytes: 1 << 30 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsrfRefusedError);
    expect(establishedConnections(open.port)).toBe(0);
  });

  (OPENSSL ? describe : describe.skip)('explicit FTPS (ftps://, AUTH TLS)', () => {
    it.each([
      ['127.0.0.1 (IP SAN)', '127.0.0.1'],
      ['localhost (DNS SAN, SNI)', 'localhost'],
    ])('stages over TLS from %s when the CA is configured', async (_what, host) => {
      const url = `ftps://ftp:${PASSWORD}@${host}:${locked.port}/photo-large.jpg`;
      const staged = await stagerOf(fetcher({ extraCa: cert })).stage(
        url,
        'vellum-origins',
        'ftps/ok',
        'image/jpeg',
      );
      const bytes = readFileSync(fixturePath('photo-large.jpg'));
      expect(staged.size).toBe(bytes.length);
      expect(sha(await store.getBuffer('vellum-origins', 'ftps/ok'))).toBe(sha(bytes));
      await noConnections(locked.port);
    });

    it('refuses a certificate it cannot verify (permanent, pointing at VELLUM_FTPS_CA_FILE)', async () => {
      const err = await stagerOf(fetcher())
        .stage(
          `ftps://ftp:${PASSWORD}@127.0.0.1:${locked.port}/scan.jp2`,
          'vellum-origins',
          'ftps/bad',
          'image/jp2',
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentOriginError);
      expect((err as Error).message).toMatch(
        /^The TLS certificate of ftps:\/\/127\.0\.0\.1:\d+\/scan\.jp2 is not trusted \([A-Z_]+\); add its CA to VELLUM_FTPS_CA_FILE/,
      );
      expect((err as Error).message).not.toContain(PASSWORD);
      await noConnections(locked.port);
    });

    it('a server without TLS refuses AUTH TLS: permanent', async () => {
      const err = await stagerOf(fetcher({ extraCa: cert }))
        .stage(`ftps://127.0.0.1:${open.port}/scan.jp2`, 'vellum-origins', 'ftps/none', 'image/jp2')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentOriginError);
      expect((err as Error).message).toMatch(
        /^Origin ftps:\/\/127\.0\.0\.1:\d+\/scan\.jp2 does not offer explicit TLS \(AUTH TLS answered FTP 5\d\d\)$/,
      );
      await noConnections(open.port);
    });
  });

  describe('server down', () => {
    let silent: Server;
    let silentPort: number;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Accepts TCP but never sends the FTP greeting.
      silent = createServer((s) => {
        sockets.push(s);
        s.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentPort = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('nothing listening (ECONNREFUSED) is retryable and names the origin', async () => {
      const closed = await freePort();
      const err = await stagerOf(fetcher())
        .stage(`ftp://127.0.0.1:${closed}/scan.jp2`, 'vellum-origins', 'ftp/down', 'image/jp2')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableOriginError);
      expect((err as Error).message).toBe(
        `Origin unreachable (ftp://127.0.0.1:${closed}/scan.jp2): connection refused (ECONNREFUSED)`,
      );
    });

    it('a server that never greets times out, retryably', async () => {
      const err = await stagerOf(fetcher({ timeoutMs: 500 }))
        .stage(`ftp://127.0.0.1:${silentPort}/scan.jp2`, 'vellum-origins', 'ftp/silent', 'image/jp2')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableOriginError);
      expect((err as Error).message).toMatch(
        /^Origin timed out \(ftp:\/\/127\.0\.0\.1:\d+\/scan\.jp2\): no answer within 500 ms/,
      );
    });
  });
});
