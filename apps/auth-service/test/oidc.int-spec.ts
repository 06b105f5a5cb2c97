import 'reflect-metadata';
import { AuthSigner, sessionCookieName } from '@vellum/access';
import { SecretBox } from '@vellum/secrets';
import { freePort, type OidcTestProvider, startOidcProvider } from '@vellum/testing';
import { Jar, makeCustomer, startTestAuthService, type TestAuthService } from './harness';

const SECRET = 'vellum-oidc-secret-0123456789';

/**
 * OIDC role providers against a REAL OpenID provider (oidc-provider v9 in a child process, @vellum/testing
 * startOidcProvider): authorization code + PKCE S256, state, nonce, the ID token's `groups` mapped to roles; no
 * open redirect; forged state, provider errors and an unreachable provider.
 */
describe('auth-service OIDC access service (integration, real provider)', () => {
  let svc: TestAuthService;
  let op: OidcTestProvider;
  let c: number;
  /** A port nobody listens on: the unreachable provider. */
  let deadPort: number;
  const signer = AuthSigner.fromConfig({ production: false });
  const access = (s: string): string => `${svc.base}/auth/v2/access/${c}/${s}`;

  beforeAll(async () => {
    // Free ports: a fixed one in the ephemeral range may be some client socket's local port.
    svc = await startTestAuthService(await freePort());
    deadPort = await freePort();
    c = await makeCustomer(svc.prisma, 'oidc-customer');
    op = await startOidcProvider({
      clients: [
        {
          clientId: 'vellum',
          clientSecret: SECRET,
          redirectUris: [`${svc.base}/auth/v2/access/${c}/sso/callback`],
        },
      ],
      accounts: [
        { username: 'alice', password: 'wonderland', claims: { groups: ['staff', 'readers', 'admins'] } },
        { username: 'eve', password: 'eve-password', claims: { groups: [] } },
      ],
    });
    const box = SecretBox.fromConfig({ nodeEnv: 'test' });
    const p = svc.prisma;
    await p.roleProvider.createMany({
      data: [
        {
          customerId: c,
          name: 'idp',
          type: 'oidc',
          issuer: op.issuer,
          clientId: 'vellum',
          clientSecret: box.seal(SECRET, `role-provider:${c}:idp`),
          claim: 'groups',
          roleMapping: {
            staff: ['staff'],
            readers: [`https://api.example.org/customers/${c}/roles/reader`],
            admins: ['ghost', `https://api.example.org/customers/${c + 1}/roles/clickthrough`],
            '*': ['member'],
          },
        },
        {
          customerId: c,
          name: 'dead',
          type: 'oidc',
          issuer: `http://127.0.0.1:${deadPort}`,
          clientId: 'vellum',
          clientSecret: box.seal(SECRET, `role-provider:${c}:dead`),
          claim: 'groups',
          roleMapping: {},
        },
      ],
    });
    await p.accessService.createMany({
      data: [
        {
          customerId: c,
          name: 'sso',
          profile: 'active',
          label: { en: ['Staff sign-in'] },
          roleProvider: 'idp',
        },
        { customerId: c, name: 'down', profile: 'active', label: { en: ['Down'] }, roleProvider: 'dead' },
      ],
    });
    await p.role.createMany({
      data: ['staff', 'reader', 'member', 'clickthrough'].map((name) => ({
        customerId: c,
        name,
        label: { en: [name] },
        accessService: 'sso',
      })),
    });
  }, 90_000);

  afterAll(async () => {
    await op?.stop();
    await svc?.close();
  });

  /** GET the access service; returns the redirect to the provider. */
  async function begin(jar: Jar, query = ''): Promise<URL> {
    const res = await jar.get(
      `${access('sso')}?origin=${encodeURIComponent('https://viewer.example')}${query}`,
    );
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  }

  /** Signs in at the provider's own login form and follows its redirects back to our callback URL. */
  async function signIn(jar: Jar, authorize: URL, username: string, password: string): Promise<string> {
    let res = await jar.get(authorize.href);
    let location = new URL(res.headers.get('location')!, op.issuer).href;
    res = await jar.get(location);
    const form = await res.text();
    const action = new URL(/action="([^"]+)"/.exec(form)![1], op.issuer).href;
    res = await jar.post(action, { username, password });
    location = new URL(res.headers.get('location')!, op.issuer).href;
    for (let hops = 0; !location.startsWith(svc.base); hops++) {
      expect(hops).toBeLessThan(10);
      res = await jar.get(location);
      location = new URL(res.headers.get('location')!, op.issuer).href;
    }
    return location;
  }

  it('redirects to the provider with code + PKCE S256, state and nonce, to our callback only (no open redirect)', async () => {
    const jar = new Jar();
    const evil =
      '&returnTo=https%3A%2F%2Fevil.example%2F&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&next=%2F%2Fevil.example';
    const url = await begin(jar, evil);
    expect(url.origin).toBe(op.issuer);
    expect(url.pathname).toBe('/auth');
    const q = url.searchParams;
    expect(q.get('redirect_uri')).toBe(`${svc.base}/auth/v2/access/${c}/sso/callback`);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe('vellum');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toBeTruthy();
    expect(q.get('nonce')).toBeTruthy();
    expect(q.get('scope')).toBe('openid profile email');
    expect(url.href).not.toContain('evil.example');
    const state = jar.cookies.get('vellum-oidc')!;
    expect(state.path).toBe(`/auth/v2/access/${c}/sso/callback`);
    expect(state.raw).toContain('HttpOnly');
  });

  it("signs in at the real provider; the callback maps the groups claim to this customer's roles and closes the window", async () => {
    const jar = new Jar();
    const back = await signIn(jar, await begin(jar), 'alice', 'wonderland');
    expect(back).toContain(`/auth/v2/access/${c}/sso/callback?`);
    const res = await jar.get(back);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('window.close()');
    expect(jar.cookies.has('vellum-oidc')).toBe(false);
    const v = await signer.verify('session', jar.cookies.get(sessionCookieName(c))!.value);
    // staff → staff, readers → reader (URI form), * → member; ghost (no such role) and another customer's role never.
    expect(v.ok && [...v.claims.roles].sort()).toEqual(['member', 'reader', 'staff']);
    const row = await svc.prisma.authSession.findUniqueOrThrow({ where: { id: v.ok ? v.claims.sid : '' } });
    expect(row).toMatchObject({ accessService: 'sso', subject: 'alice' });
    // The code is spent: replaying the callback yields nothing (the state cookie is gone too).
    const again = await jar.get(back);
    expect(again.status).toBe(400);
  });

  it("refuses a callback without its state cookie, with a forged state, or with the provider's error", async () => {
    const jar = new Jar();
    const url = await begin(jar);
    const back = await signIn(jar, url, 'eve', 'eve-password');
    // Another browser (no state cookie) cannot complete it.
    const stranger = await fetch(back, { redirect: 'manual' });
    expect(stranger.status).toBe(400);
    expect(
      stranger.headers
        .getSetCookie()
        .some((l) => l.startsWith(`${sessionCookieName(c)}=`) && !l.includes('Max-Age=0')),
    ).toBe(false);
    // A state that is not the one this browser started with.
    const forged = new URL(back);
    forged.searchParams.set('state', 'forged-state');
    const f = await jar.get(forged.href);
    expect(f.status).toBe(401);
    expect(await f.text()).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(jar.cookies.has(sessionCookieName(c))).toBe(false);
    // The provider's error (user refused).
    const jar2 = new Jar();
    await begin(jar2);
    const denied = await jar2.get(`${access('sso')}/callback?error=access_denied&state=x`);
    expect(denied.status).toBe(401);
    expect(jar2.cookies.has(sessionCookieName(c))).toBe(false);
  });

  it('rejects a bogus code (the provider refuses the exchange): 401 page', async () => {
    const jar = new Jar();
    const url = await begin(jar);
    const res = await jar.get(
      `${access('sso')}/callback?code=bogus&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(op.issuer)}`,
    );
    expect(res.status).toBe(401);
    expect(jar.cookies.has(sessionCookieName(c))).toBe(false);
  });

  it('answers 502 with a plain page when the provider is unreachable', async () => {
    const res = await fetch(`${access('down')}?origin=https%3A%2F%2Fviewer.example`, { redirect: 'manual' });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('cannot be reached');
    expect(html).not.toMatch(/ECONNREFUSED|at .*\.(ts|js):\d+/);
  });
});
