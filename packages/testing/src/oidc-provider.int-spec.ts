import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { type OidcTestProvider, startOidcProvider } from './oidc-provider';

/** A minimal cookie jar (name → value, path) for one host: enough to walk the provider's interaction over HTTP. */
class Jar {
  private readonly cookies = new Map<string, { value: string; path: string }>();
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (k: string): string | undefined =>
        attrs.find((a) => a.toLowerCase().startsWith(`${k}=`))?.slice(k.length + 1);
      const expires = attr('expires');
      const gone = attr('max-age') === '0' || (expires !== undefined && Date.parse(expires) < Date.now());
      if (gone || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path: attr('path') ?? '/' });
    }
  }
  header(url: string): string {
    const p = new URL(url).pathname;
    return [...this.cookies]
      .filter(([, c]) => p.startsWith(c.path))
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }
}

const b64url = (b: Buffer): string => b.toString('base64url');

describe('startOidcProvider (a real oidc-provider v9 process)', () => {
  const redirectUri = 'http://127.0.0.1:1/callback';
  let op: OidcTestProvider;

  beforeAll(async () => {
    op = await startOidcProvider({
      clients: [
        { clientId: 'vellum', clientSecret: 'vellum-secret-0123456789', redirectUris: [redirectUri] },
      ],
      accounts: [
        {
          username: 'Alice',
          password: 'wonderland',
          claims: { groups: ['staff', 'readers'], email: 'alice@example.org' },
        },
      ],
    });
  });
  afterAll(async () => op?.stop());

  it('publishes discovery and keys for its loopback issuer', async () => {
    const res = await fetch(`${op.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const d = (await res.json()) as Record<string, unknown>;
    expect(d.issuer).toBe(op.issuer);
    expect(d.authorization_endpoint).toBe(`${op.issuer}/auth`);
    expect(d.token_endpoint).toBe(`${op.issuer}/token`);
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    expect(d.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'groups']));
    const jwks = (await (await fetch(String(d.jwks_uri))).json()) as { keys: unknown[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
  });

  it('runs a full authorization-code flow with PKCE over plain HTTP; the ID token carries the claims', async () => {
    const d = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    const jar = new Jar();
    const get = async (url: string): Promise<Response> => {
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } });
      jar.store(res);
      return res;
    };
    const verifier = b64url(randomBytes(32));
    const challenge = b64url(createHash('sha256').update(verifier).digest());
    const state = b64url(randomBytes(8));
    const nonce = b64url(randomBytes(8));
    const auth = new URL(d.authorization_endpoint);
    auth.search = new URLSearchParams({
      client_id: 'vellum',
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid profile email',
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();

    let res = await get(auth.href);
    expect(res.status).toBe(303);
    const interaction = new URL(res.headers.get('location')!, op.issuer).href;
    expect(interaction).toMatch(/\/interaction\/[^/]+$/);
    res = await get(interaction);
    expect(res.status).toBe(200);
    const form = await res.text();
    expect(form).toContain('id="login"');
    const action = new URL(/action="([^"]+)"/.exec(form)![1], op.issuer).href;

    const post = async (password: string): Promise<Response> => {
      const r = await fetch(action, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(action), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'alice', password }).toString(),
      });
      jar.store(r);
      return r;
    };
    res = await post('wrong');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('id="error"');
    res = await post('wonderland');
    expect([302, 303]).toContain(res.status);

    // Follow the provider's redirects (resume) until it sends the browser back to the client.
    let location = new URL(res.headers.get('location')!, op.issuer).href;
    for (let hops = 0; !location.startsWith(redirectUri); hops++) {
      expect(hops).toBeLessThan(10);
      res = await get(location);
      expect([302, 303]).toContain(res.status);
      location = new URL(res.headers.get('location')!, op.issuer).href;
    }
    const back = new URL(location);
    expect(back.searchParams.get('state')).toBe(state);
    const code = back.searchParams.get('code');
    expect(code).toBeTruthy();

    const basic = Buffer.from('vellum:vellum-secret-0123456789').toString('base64');
    const tokenRequest = (codeVerifier: string): Promise<Response> =>
      fetch(d.token_endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code!,
          redirect_uri: redirectUri,
          code_verifier: codeVerifier,
        }).toString(),
      });
    const bad = await tokenRequest(b64url(randomBytes(32)));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_grant');
    // A wrong verifier does not spend the code (oidc-provider checks PKCE before consuming it).
    const tok = await tokenRequest(verifier);
    expect(tok.status).toBe(200);
    const tokens = (await tok.json()) as { id_token: string; access_token: string; token_type: string };
    expect(tokens.token_type).toBe('Bearer');

    const [h, p, s] = tokens.id_token.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
    const jwks = (await (await fetch(d.jwks_uri)).json()) as { keys: (JsonWebKey & { kid: string })[] };
    const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
    expect(header.alg).toBe('RS256');
    expect(
      verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        createPublicKey({ key: jwk, format: 'jwk' }),
        Buffer.from(s, 'base64url'),
      ),
    ).toBe(true);
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: op.issuer,
      aud: 'vellum',
      sub: 'alice',
      nonce,
      email: 'alice@example.org',
      groups: ['staff', 'readers'],
    });
  });

  it('refuses an authorization request without PKCE', async () => {
    const auth = new URL(`${op.issuer}/auth`);
    auth.search = new URLSearchParams({
      client_id: 'vellum',
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: 's',
    }).toString();
    const res = await fetch(auth, { redirect: 'manual' });
    expect([302, 303]).toContain(res.status);
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_request');
  });
});
