import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PermanentOriginError, RetryableOriginError } from './origin-errors';
import {
  decodeOriginPath,
  idleGuarded,
  isUnreachable,
  loginCredentials,
  transportOriginError,
} from './remote-file-origin';

const label = 'sftp://h/x';

describe('loginCredentials (SPEC.md §1 origin strategy, §4.2)', () => {
  const url = new URL('sftp://url%20user:p%40ss%3Aword@h/x');

  it('takes the URL userinfo, percent-decoded, without a strategy or with default', () => {
    expect(loginCredentials(url, undefined, 'sftp', label)).toEqual({
      user: 'url user',
      password: 'p@ss:word',
    });
    expect(loginCredentials(url, { strategy: 'default', optimised: false }, 'sftp', label)).toEqual({
      user: 'url user',
      password: 'p@ss:word',
    });
    expect(loginCredentials(new URL('ftp://h/x'), undefined, 'ftp', label)).toBeUndefined();
    expect(loginCredentials(new URL('ftp://anna@h/x'), undefined, 'ftp', label)).toEqual({ user: 'anna' });
  });

  it("prefers the matching strategy's credentials over the URL", () => {
    const access = {
      strategy: 'sftp' as const,
      optimised: false,
      credentials: {
        user: 'svc',
        privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----',
      },
    };
    expect(loginCredentials(url, access, 'sftp', label)).toEqual(access.credentials);
    expect(
      loginCredentials(
        url,
        { strategy: 'ftp', optimised: false, credentials: { user: 'f', password: 'p' } },
        'ftp',
        label,
      ),
    ).toEqual({ user: 'f', password: 'p' });
  });

  it('refuses a strategy of another kind, naming it and the origin (never the secret)', () => {
    const access = {
      strategy: 'basic-http-authentication' as const,
      optimised: false,
      credentials: { user: 'u', password: 'topsecret' },
    };
    expect(() => loginCredentials(url, access, 'sftp', label)).toThrow(
      new PermanentOriginError(
        'The origin strategy basic-http-authentication cannot fetch sftp://h/x: use a sftp (or default) strategy',
      ),
    );
    expect(() =>
      loginCredentials(new URL('ftp://h/x'), { strategy: 'sftp', optimised: false }, 'ftp', 'ftp://h/x'),
    ).toThrow(PermanentOriginError);
  });

  it.each(['sftp://a%0D%0AQUIT:p@h/x', 'sftp://a:p%0Aw@h/x', 'sftp://a%ZZ@h/x'])(
    'refuses control characters or bad percent-encoding in %s, quoting nothing',
    (u) => {
      let message = '';
      try {
        loginCredentials(new URL(u), undefined, 'sftp', label);
      } catch (e) {
        expect(e).toBeInstanceOf(PermanentOriginError);
        message = (e as Error).message;
      }
      expect(message).toMatch(/^The (user name or password|user information) (for|of) sftp:\/\/h\/x/);
      expect(message).not.toMatch(/QUIT|p%0Aw/);
    },
  );
});

describe('decodeOriginPath', () => {
  it.each([
    ['/a%20b/c%C3%A9.tif', '/a b/cé.tif'],
    ['/plain.jp2', '/plain.jp2'],
    ['/a%2Fb', '/a/b'],
  ])('%s → %s', (raw, decoded) => expect(decodeOriginPath(raw, label)).toBe(decoded));

  it.each([
    ['', /names a directory/],
    ['/', /names a directory/],
    ['/dir/', /names a directory/],
    ['/a%0D%0ARETR%20b', /control characters/],
    ['/a%7F', /control characters/],
    ['/%C3', /not valid percent-encoding/],
  ])('%j is refused permanently (%s)', (raw, why) => {
    expect(() => decodeOriginPath(raw, label)).toThrow(PermanentOriginError);
    expect(() => decodeOriginPath(raw, label)).toThrow(why);
  });
});

describe('transportOriginError and isUnreachable', () => {
  const err = (code: string) => Object.assign(new Error(`connect ${code} 10.1.2.3:22`), { code });

  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ECONNRESET', 'connection reset'],
    ['ETIMEDOUT', 'timed out'],
    ['EHOSTUNREACH', 'host unreachable'],
  ])('%s is retryable and names the origin', (code, words) => {
    const e = transportOriginError(label, err(code));
    expect(e).toBeInstanceOf(RetryableOriginError);
    expect(e.message).toBe(`Origin unreachable (${label}): ${words} (${code})`);
  });

  it('an unknown host and a bad certificate are permanent; anything else retryable', () => {
    expect(transportOriginError(label, err('ENOTFOUND'))).toBeInstanceOf(PermanentOriginError);
    expect(transportOriginError(label, err('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBeInstanceOf(
      PermanentOriginError,
    );
    expect(transportOriginError(label, new Error('odd'))).toBeInstanceOf(RetryableOriginError);
  });

  it('isUnreachable: only failures that are immediate', () => {
    expect(
      ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].every((c) => isUnreachable(err(c))),
    ).toBe(true);
    expect(isUnreachable(err('ETIMEDOUT'))).toBe(false);
    expect(isUnreachable(new Error('x'))).toBe(false);
  });
});

describe('idleGuarded (an idle timeout that backpressure does not trip)', () => {
  const timeout = () => Object.assign(new Error('idle'), { code: 'ETIMEDOUT' });

  it('passes every byte through and ends', async () => {
    const src = Readable.from([Buffer.from('ab'), Buffer.from('cd')]);
    const chunks: Buffer[] = [];
    for await (const c of idleGuarded(src, 1000, timeout)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abcd');
  });

  it('fails with the idle error when the source sends nothing while the consumer waits', async () => {
    const src = new PassThrough();
    src.write('first');
    const out = idleGuarded(src, 50, timeout);
    const seen: string[] = [];
    const err = await new Promise<Error>((resolve) => {
      out.on('data', (c: Buffer) => seen.push(c.toString()));
      out.once('error', resolve);
    });
    expect(err.message).toBe('idle');
    expect(seen).toEqual(['first']);
    expect(src.destroyed).toBe(true);
  });

  it('does not time out while the consumer holds the stream back, however long', async () => {
    const src = new PassThrough();
    const out = idleGuarded(src, 30, timeout);
    const payload = Buffer.alloc(256 * 1024, 7);
    // Many chunks, so the source still has data while it is paused.
    for (let at = 0; at < payload.length; at += 4096) src.write(payload.subarray(at, at + 4096));
    src.end();
    let received = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        // The first chunk is held until the source has been idle (paused by backpressure) far beyond the timeout.
        if (received === chunk.length) void held.then(() => cb());
        else cb();
      },
    });
    const done = pipeline(out, slow);
    await new Promise((r) => setTimeout(r, 200));
    release();
    await done;
    expect(received).toBe(payload.length);
  });

  it('maps source errors and destroys the source when the consumer destroys the stream', async () => {
    const src = new PassThrough();
    const out = idleGuarded(src, 0, timeout, (e) => new Error(`mapped: ${e.message}`));
    const failed = new Promise<Error>((resolve) => out.once('error', resolve));
    out.resume();
    src.destroy(new Error('boom'));
    expect((await failed).message).toBe('mapped: boom');

    const src2 = new PassThrough();
    const out2 = idleGuarded(src2, 1000, timeout);
    out2.destroy();
    expect(src2.destroyed).toBe(true);
  });

  it('fails (never hangs) when the source closes without ending', async () => {
    const src = new PassThrough();
    const out = idleGuarded(src, 0, timeout);
    const failed = new Promise<Error & { code?: string }>((resolve) => out.once('error', resolve));
    out.resume();
    src.destroy();
    expect((await failed).code).toBe('ECONNRESET');
  });
});
