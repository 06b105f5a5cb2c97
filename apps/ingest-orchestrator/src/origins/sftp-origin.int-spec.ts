import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
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
import type { OriginAccess, OriginFetcher } from './origin-fetcher';
import { OriginTooLargeError, PermanentOriginError, RetryableOriginError } from './origin-errors';
import { OriginStager } from './origin-stager';
import { SftpOriginFetcher, sftpPath } from './sftp-origin.fetcher';
import { parseAllowList, SsrfGuard, SsrfRefusedError } from './ssrf-guard';

jest.setTimeout(120_000);

const SSHD = findExecutable('sshd');
const SSH_KEYGEN = findExecutable('ssh-keygen');
const HAVE_SSHD = SSHD !== undefined && SSH_KEYGEN !== undefined;
if (!HAVE_SSHD)
  console.warn(
    'SKIPPED sftp-origin.int-spec: /usr/sbin/sshd or ssh-keygen is not installed (Debian openssh-server, ' +
      'openssh-client; scripts/setup.mjs installs them)',
  );
const describeSshd = HAVE_SSHD ? describe : describe.skip;

const FILES = ['scan.jp2', 'photo-large.jpg'];
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Accepts one access for every fetch: what the orchestrator passes once it resolved the origin strategy. */
function withAccess(fetcher: OriginFetcher, access: OriginAccess): OriginFetcher {
  return { schemes: fetcher.schemes, fetch: (url, limits) => fetcher.fetch(url, limits, access) };
}

describe('sftpPath (SSH URI draft: absolute, or home-relative after /~/)', () => {
  it.each([
    ['sftp://h/data/a.tif', '/data/a.tif'],
    ['sftp://h/a%20b/c%2Bd.jp2', '/a b/c+d.jp2'],
    ['sftp://h/~/a.tif', 'a.tif'],
    ['sftp://h/~/sub/a.tif', 'sub/a.tif'],
    ['sftp://h/%7E/a.tif', 'a.tif'],
    ['sftp://h//srv/a.tif', '//srv/a.tif'],
  ])('%s → %s', (url, expected) => {
    expect(sftpPath(new URL(url), url)).toBe(expected);
  });

  it.each([
    'sftp://h/',
    'sftp://h/dir/',
    'sftp://h/a%0Ab',
    'sftp://h/a%00b',
    'sftp://h/%E0%A4%A',
    'sftp://h/~/',
  ])('%s is refused permanently', (url) => {
    expect(() => sftpPath(new URL(url), url)).toThrow(PermanentOriginError);
  });
});

/**
 * A real OpenSSH sshd on a free loopback port, run by the test: throwaway host key, an authorized-keys file of its
 * own, public-key authentication only (password logins need a system account with a password, which a test must
 * not create), internal-sftp starting in a directory of fixture copies (the "home" of `/~/` paths).
 */
describeSshd('SftpOriginFetcher against a real sshd', () => {
  let dir: string;
  let files: string;
  let port: number;
  let sshd: Daemon;
  let store: FsObjectStore;
  let clientKey: string;
  let passphraseKey: string;
  let strangerKey: string;
  let hostFingerprint: string;
  let otherFingerprint: string;
  const user = userInfo().username;
  const guard = new SsrfGuard(parseAllowList('127.0.0.1/32'));
  const fetcher = (opts: { timeoutMs?: number; hostFingerprints?: string[] } = {}): SftpOriginFetcher =>
    new SftpOriginFetcher(guard, {
      timeoutMs: opts.timeoutMs ?? 20_000,
      hostFingerprints: opts.hostFingerprints,
    });
  const keyAccess = (privateKey: string, passphrase?: string): OriginAccess => ({
    strategy: 'sftp',
    optimised: false,
    credentials: { user, privateKey, ...(passphrase ? { passphrase } : {}) },
  });
  const url = (p: string): string => `sftp://127.0.0.1:${port}${p}`;
  const stagerOf = (f: OriginFetcher, maxBytes = 64 * 1024 * 1024): OriginStager =>
    new OriginStager([f], store, { maxBytes });
  const noConnections = (): Promise<boolean> =>
    waitFor(() => establishedConnections(port) === 0, {
      timeoutMs: 20_000,
      description: `sshd on port ${port} to have no open connection`,
    });

  function keygen(file: string, passphrase = ''): string {
    execFileSync(SSH_KEYGEN!, ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'vellum-test', '-f', file]);
    return readFileSync(file, 'utf8');
  }
  const fingerprintOf = (pub: string): string =>
    /(SHA256:\S+)/.exec(execFileSync(SSH_KEYGEN!, ['-l', '-f', pub], { encoding: 'utf8' }))![1];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vellum-sftp-'));
    files = path.join(dir, 'files');
    mkdirSync(path.join(files, 'with space'), { recursive: true });
    for (const f of FILES) copyFileSync(fixturePath(f), path.join(files, f));
    copyFileSync(fixturePath('scan.jp2'), path.join(files, 'with space', 'scan copy.jp2'));
    store = new FsObjectStore(path.join(dir, 'store'));
    await store.ensureBucket('vellum-origins');

    keygen(path.join(dir, 'host_key'));
    keygen(path.join(dir, 'other_host_key'));
    hostFingerprint = fingerprintOf(path.join(dir, 'host_key.pub'));
    otherFingerprint = fingerprintOf(path.join(dir, 'other_host_key.pub'));
    clientKey = keygen(path.join(dir, 'client_key'));
    passphraseKey = keygen(path.join(dir, 'passphrase_key'), 'correct horse');
    strangerKey = keygen(path.join(dir, 'stranger_key'));
    writeFileSync(
      path.join(dir, 'authorized_keys'),
      readFileSync(path.join(dir, 'client_key.pub'), 'utf8') +
        readFileSync(path.join(dir, 'passphrase_key.pub'), 'utf8'),
    );
    // Run as root, sshd insists on its privilege-separation directory (which the Debian service would create).
    if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });

    port = await freePort();
    const config = path.join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${path.join(dir, 'host_key')}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'LogLevel VERBOSE',
        `Subsystem sftp internal-sftp -d ${files.replace(/ /g, '\\ ')}`,
        '',
      ].join('\n'),
    );
    sshd = await startDaemon({ command: SSHD!, args: ['-D', '-e', '-f', config], port, description: 'sshd' });
    await noConnections();
  });

  afterAll(async () => {
    await sshd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(FILES)(
    'stages %s byte for byte (private key from the sftp strategy), then closes the connection',
    async (file) => {
      const stager = stagerOf(withAccess(fetcher(), keyAccess(clientKey)));
      const staged = await stager.stage(
        url(`${files}/${file}`),
        'vellum-origins',
        `sftp/${file}`,
        'image/jpeg',
      );
      const bytes = readFileSync(fixturePath(file));
      expect(staged.size).toBe(bytes.length);
      expect(staged.finalUrl).toBe(url(`${files}/${file}`));
      expect(sha(await store.getBuffer('vellum-origins', `sftp/${file}`))).toBe(sha(bytes));
      await noConnections();
    },
  );

  it('gives the size from stat and streams the body; destroying the body half-way closes the connection', async () => {
    const fetched = await fetcher().fetch(
      new URL(url(`${files}/photo-large.jpg`)),
      { maxBytes: 1 << 30 },
      keyAccess(clientKey),
    );
    expect(fetched.contentLength).toBe(readFileSync(fixturePath('photo-large.jpg')).length);
    await new Promise<void>((resolve) => fetched.body.once('readable', resolve));
    expect(fetched.body.read()).not.toBeNull();
    expect(establishedConnections(port)).toBe(1);
    fetched.body.destroy();
    await noConnections();
  });

  it('reads a home-relative path (/~/) from the login directory and percent-decodes the path', async () => {
    const stager = stagerOf(withAccess(fetcher(), keyAccess(clientKey)));
    const a = await stager.stage(url('/~/scan.jp2'), 'vellum-origins', 'sftp/home', 'image/jp2');
    const b = await stager.stage(
      url(`${files}/with%20space/scan%20copy.jp2`),
      'vellum-origins',
      'sftp/space',
      'image/jp2',
    );
    const bytes = readFileSync(fixturePath('scan.jp2'));
    expect(a.size).toBe(bytes.length);
    expect(sha(await store.getBuffer('vellum-origins', 'sftp/space'))).toBe(sha(bytes));
    expect(b.size).toBe(bytes.length);
    await noConnections();
  });

  it('logs in with a passphrase-protected private key; a wrong passphrase is permanent and quotes nothing', async () => {
    const ok = stagerOf(withAccess(fetcher(), keyAccess(passphraseKey, 'correct horse')));
    expect(
      (await ok.stage(url(`${files}/scan.jp2`), 'vellum-origins', 'sftp/pp', 'image/jp2')).size,
    ).toBeGreaterThan(0);
    const err = await stagerOf(withAccess(fetcher(), keyAccess(passphraseKey, 'wrong horse')))
      .stage(url(`${files}/scan.jp2`), 'vellum-origins', 'sftp/pp2', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toMatch(
      /^The private key for sftp:\/\/127\.0\.0\.1:\d+\/.* cannot be used/,
    );
    expect((err as Error).message).not.toMatch(/horse|PRIVATE KEY/);
    await noConnections();
  });

  it('a key the server does not know: permanent "Origin refused the credentials", naming the origin only', async () => {
    const err = await stagerOf(withAccess(fetcher(), keyAccess(strangerKey)))
      .stage(url(`${files}/scan.jp2`), 'vellum-origins', 'sftp/stranger', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toBe(`Origin refused the credentials (${url(`${files}/scan.jp2`)})`);
    expect((err as Error).message).not.toContain(strangerKey.split('\n')[1]);
    await noConnections();
  });

  it('a password in the URL that the server refuses: permanent, and the password is never in the message', async () => {
    const err = await stagerOf(fetcher())
      .stage(
        `sftp://${user}:hunter2-secret@127.0.0.1:${port}${files}/scan.jp2`,
        'vellum-origins',
        'sftp/pw',
        'image/jp2',
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toBe(`Origin refused the credentials (${url(`${files}/scan.jp2`)})`);
    expect((err as Error).message).not.toContain('hunter2');
    await noConnections();
  });

  it('a missing file: permanent "Origin not found (sftp://host/path)"', async () => {
    const err = await stagerOf(withAccess(fetcher(), keyAccess(clientKey)))
      .stage(url(`${files}/nope.jp2`), 'vellum-origins', 'sftp/missing', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toBe(`Origin not found (${url(`${files}/nope.jp2`)})`);
    await noConnections();
  });

  it('a directory is not a file (permanent)', async () => {
    const err = await stagerOf(withAccess(fetcher(), keyAccess(clientKey)))
      .stage(url(`${files}/with%20space`), 'vellum-origins', 'sftp/dir', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toMatch(/is not a regular file$/);
    await noConnections();
  });

  it('a file above the maximum origin size fails before reading (permanent) and closes the connection', async () => {
    const err = await stagerOf(withAccess(fetcher(), keyAccess(clientKey)), 1000)
      .stage(url(`${files}/scan.jp2`), 'vellum-origins', 'sftp/big', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginTooLargeError);
    await noConnections();
  });

  it('pins host keys: the listed fingerprint passes, an unlisted one is refused permanently', async () => {
    const pinned = stagerOf(
      withAccess(fetcher({ hostFingerprints: [otherFingerprint, hostFingerprint] }), keyAccess(clientKey)),
    );
    expect(
      (await pinned.stage(url(`${files}/scan.jp2`), 'vellum-origins', 'sftp/pin', 'image/jp2')).size,
    ).toBeGreaterThan(0);
    const err = await stagerOf(
      withAccess(fetcher({ hostFingerprints: [otherFingerprint] }), keyAccess(clientKey)),
    )
      .stage(url(`${files}/scan.jp2`), 'vellum-origins', 'sftp/pin2', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toContain(
      `presented host key ${hostFingerprint}, which is not in VELLUM_SFTP_HOST_FINGERPRINTS`,
    );
    await noConnections();
  });

  it('no user anywhere, or a foreign strategy: permanent, without connecting', async () => {
    const a = await fetcher()
      .fetch(new URL(url(`${files}/scan.jp2`)), { maxBytes: 1 << 30 })
      .catch((e: unknown) => e);
    expect(a).toBeInstanceOf(PermanentOriginError);
    expect((a as Error).message).toMatch(/needs a user/);
    const b = await fetcher()
      .fetch(
        new URL(url(`${files}/scan.jp2`)),
        { maxBytes: 1 << 30 },
        {
          strategy: 'basic-http-authentication',
          optimised: false,
          credentials: { user: 'u', password: 'p' },
        },
      )
      .catch((e: unknown) => e);
    expect(b).toBeInstanceOf(PermanentOriginError);
    expect((b as Error).message).toMatch(/basic-http-authentication cannot fetch sftp:/);
  });

  it('the SSRF guard refuses loopback unless allow-listed (permanent, nothing dialled)', async () => {
    const strict = new SftpOriginFetcher(new SsrfGuard(parseAllowList('')), { timeoutMs: 5000 });
    const err = await strict
      .fetch(new URL(url(`${files}/scan.jp2`)), { maxBytes: 1 << 30 }, keyAccess(clientKey))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsrfRefusedError);
    expect(establishedConnections(port)).toBe(0);
  });

  describe('server down', () => {
    let silent: Server;
    let silentPort: number;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Accepts TCP but never speaks SSH: the handshake times out.
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
      const err = await stagerOf(withAccess(fetcher(), keyAccess(clientKey)))
        .stage(`sftp://127.0.0.1:${closed}/x/scan.jp2`, 'vellum-origins', 'sftp/down', 'image/jp2')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableOriginError);
      expect((err as Error).message).toBe(
        `Origin unreachable (sftp://127.0.0.1:${closed}/x/scan.jp2): connection refused (ECONNREFUSED)`,
      );
    });

    it('a server that never completes the handshake times out, retryably', async () => {
      const err = await stagerOf(withAccess(fetcher({ timeoutMs: 500 }), keyAccess(clientKey)))
        .stage(`sftp://127.0.0.1:${silentPort}/x/scan.jp2`, 'vellum-origins', 'sftp/silent', 'image/jp2')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableOriginError);
      expect((err as Error).message).toMatch(
        /^Origin timed out \(sftp:\/\/127\.0\.0\.1:\d+\/x\/scan\.jp2\): no SSH handshake/,
      );
      await waitFor(() => establishedConnections(silentPort) === 0, {
        description: 'the timed-out connection to be closed',
      });
    });
  });
});

/**
 * Password logins. OpenSSH's sshd checks a password only against a system account (shadow/PAM), which a test must
 * not create; so this part runs the SSH and SFTP server of the `ssh2` library (the protocol implementation
 * `ssh2-sftp-client` is built on, here on the server side) on a free loopback port: a real SSH handshake, real
 * password authentication and a read-only SFTP subsystem over the fixture copies.
 */
describe('SftpOriginFetcher password logins against an ssh2 SSH server', () => {
  const PASSWORD = 'correct-battery-staple';
  let dir: string;
  let port: number;
  let server: ssh2.Server;
  let store: FsObjectStore;
  const guard = new SsrfGuard(parseAllowList('127.0.0.1/32'));
  const fetcher = new SftpOriginFetcher(guard, { timeoutMs: 20_000 });
  const url = (p: string, userinfo = ''): string => `sftp://${userinfo}127.0.0.1:${port}${p}`;
  const noConnections = (): Promise<boolean> =>
    waitFor(() => establishedConnections(port) === 0, {
      timeoutMs: 20_000,
      description: `the ssh2 server on port ${port} to have no open connection`,
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vellum-sftp-pw-'));
    for (const f of FILES) copyFileSync(fixturePath(f), path.join(dir, f));
    store = new FsObjectStore(path.join(dir, '.store'));
    await store.ensureBucket('vellum-origins');
    const { private: hostKey } = ssh2.utils.generateKeyPairSync('ed25519');
    const { STATUS_CODE } = ssh2.utils.sftp;
    server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => {
        if (ctx.method === 'password' && ctx.username === 'alice' && ctx.password === PASSWORD) ctx.accept();
        else ctx.reject(['password']);
      });
      client.on('ready', () => {
        client.on('session', (acceptSession) => {
          acceptSession().on('sftp', (acceptSftp) => {
            const sftp = acceptSftp();
            const open = new Map<string, number>();
            // Every path is inside `dir` (absolute ones too): a read-only server of the fixture copies.
            const local = (p: string): string => path.join(dir, path.posix.normalize(`/${p}`));
            const attrsOf = (s: import('node:fs').Stats) => ({
              mode: s.mode,
              uid: s.uid,
              gid: s.gid,
              size: s.size,
              atime: Math.floor(s.atimeMs / 1000),
              mtime: Math.floor(s.mtimeMs / 1000),
            });
            const stat = (reqId: number, p: string): void => {
              const s = statSync(local(p), { throwIfNoEntry: false });
              if (s) sftp.attrs(reqId, attrsOf(s));
              else sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE);
            };
            sftp.on('STAT', stat).on('LSTAT', stat);
            sftp.on('OPEN', (reqId, filename) => {
              try {
                const fd = openSync(local(filename), 'r');
                const handle = Buffer.from(String(fd));
                open.set(handle.toString(), fd);
                sftp.handle(reqId, handle);
              } catch {
                sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE);
              }
            });
            sftp.on('FSTAT', (reqId, handle) => {
              const fd = open.get(handle.toString());
              if (fd === undefined) sftp.status(reqId, STATUS_CODE.FAILURE);
              else sftp.attrs(reqId, attrsOf(fstatSync(fd)));
            });
            sftp.on('READ', (reqId, handle, offset, length) => {
              const fd = open.get(handle.toString());
              if (fd === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE);
              const buf = Buffer.alloc(length);
              const n = readSync(fd, buf, 0, length, offset);
              if (n === 0) sftp.status(reqId, STATUS_CODE.EOF);
              else sftp.data(reqId, buf.subarray(0, n));
            });
            sftp.on('CLOSE', (reqId, handle) => {
              const fd = open.get(handle.toString());
              if (fd !== undefined) closeSync(fd);
              open.delete(handle.toString());
              sftp.status(reqId, STATUS_CODE.OK);
            });
          });
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['the URL userinfo', () => url('/photo-large.jpg', `alice:${PASSWORD}@`), undefined],
    [
      'the sftp strategy',
      () => url('/photo-large.jpg'),
      { strategy: 'sftp' as const, optimised: false, credentials: { user: 'alice', password: PASSWORD } },
    ],
  ])(
    'stages byte for byte with a password from %s, then closes the connection',
    async (_from, urlOf, access) => {
      const f = access ? withAccess(fetcher, access) : fetcher;
      const staged = await new OriginStager([f], store, { maxBytes: 64 * 1024 * 1024 }).stage(
        urlOf(),
        'vellum-origins',
        'sftp-pw/photo',
        'image/jpeg',
      );
      const bytes = readFileSync(fixturePath('photo-large.jpg'));
      expect(staged.size).toBe(bytes.length);
      expect(staged.finalUrl).toBe(url('/photo-large.jpg'));
      expect(sha(await store.getBuffer('vellum-origins', 'sftp-pw/photo'))).toBe(sha(bytes));
      await noConnections();
    },
  );

  it('a wrong password: permanent "Origin refused the credentials", the password never in the message', async () => {
    const err = await new OriginStager([fetcher], store, { maxBytes: 1 << 30 })
      .stage(url('/scan.jp2', `alice:not-${PASSWORD}@`), 'vellum-origins', 'sftp-pw/bad', 'image/jp2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toBe(`Origin refused the credentials (${url('/scan.jp2')})`);
    expect((err as Error).message).not.toContain(PASSWORD);
    await noConnections();
  });
});
