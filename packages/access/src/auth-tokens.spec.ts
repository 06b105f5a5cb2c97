import { AuthKeyError, AuthSigner } from './auth-tokens';
import { bearerToken, cookieValue, sessionCookieName } from './auth-paths';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const claims = { sid: 'session-1', cid: 7, roles: ['staff'], svc: 'clickthrough' };

describe('AuthSigner', () => {
  it('signs and verifies, kind by kind', async () => {
    const signer = AuthSigner.fromConfig({ key: KEY_A, production: true });
    const token = await signer.sign('access', claims, 60);
    const result = await signer.verify('access', token);
    expect(result).toEqual({ ok: true, claims: expect.objectContaining(claims) });
    expect(await signer.verify('session', token)).toEqual({ ok: false, reason: 'invalid' });
    // The cache remembers the kind too.
    expect(await signer.verify('session', token)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses expired credentials, told apart from invalid ones', async () => {
    const signer = AuthSigner.fromConfig({ key: KEY_A, production: true });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const token = await signer.sign('session', claims, 10, t0);
    expect((await signer.verify('session', token, t0 + 5_000)).ok).toBe(true);
    expect(await signer.verify('session', token, t0 + 10_000)).toEqual({ ok: false, reason: 'expired' });
    const fresh = await signer.sign('session', claims, 10, t0);
    const other = AuthSigner.fromConfig({ key: KEY_A, production: true });
    expect(await other.verify('session', fresh, t0 + 11_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses forgeries: another key, a changed payload, garbage', async () => {
    const a = AuthSigner.fromConfig({ key: KEY_A, production: true });
    const b = AuthSigner.fromConfig({ key: KEY_B, production: true });
    const token = await b.sign('access', claims, 60);
    expect(await a.verify('access', token)).toEqual({ ok: false, reason: 'invalid' });
    const [h, , s] = (await a.sign('access', claims, 60)).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'], exp: 9e9 })).toString(
      'base64url',
    );
    expect(await a.verify('access', `${h}.${forged}.${s}`)).toEqual({ ok: false, reason: 'invalid' });
    for (const junk of ['', 'x', 'a.b.c', '<script>']) {
      expect(await a.verify('access', junk)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('rotates: previous keys verify, the current key signs', async () => {
    const before = AuthSigner.fromConfig({ key: KEY_A, production: true });
    const old = await before.sign('access', claims, 60);
    const after = AuthSigner.fromConfig({ key: KEY_B, previousKeys: KEY_A, production: true });
    expect((await after.verify('access', old)).ok).toBe(true);
    expect((await before.verify('access', await after.sign('access', claims, 60))).ok).toBe(false);
  });

  it('needs a key in production, and a well-formed one', () => {
    expect(() => AuthSigner.fromConfig({ production: true })).toThrow(AuthKeyError);
    expect(() => AuthSigner.fromConfig({ key: 'short', production: false })).toThrow(
      /VELLUM_AUTH_SIGNING_KEY/,
    );
    expect(AuthSigner.fromConfig({ production: false }).keyId).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('headers', () => {
  it('reads bearer tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken(['Bearer x'])).toBe('x');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('reads cookies', () => {
    const name = sessionCookieName(3);
    expect(name).toBe('vellum-auth-3');
    expect(cookieValue(`a=1; ${name}=tok; b=2`, name)).toBe('tok');
    expect(cookieValue(`${name}="q"`, name)).toBe('q');
    expect(cookieValue('vellum-auth-33=x', name)).toBeUndefined();
    expect(cookieValue(undefined, name)).toBeUndefined();
  });
});
