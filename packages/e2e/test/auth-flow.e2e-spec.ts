/**
 * IIIF Authorization Flow 2.0 in a real browser (issue 10; SPEC.md §6; the contract in docs/access-control.md): a
 * client page on ANOTHER origin than Vellum (`startAuthViewer`, a library's site) walks the flow as a viewer does,
 * for the three kinds of role provider a customer can configure through the management API:
 * clickthrough (the customer's default), built-in accounts (a login form) and OpenID Connect (a REAL provider,
 * `startOidcProvider`, whose login form the user fills in the access service's window), and for a kiosk access
 * service (no interaction at all).
 *
 * Each flow: info.json of a restricted image names the probe, access, token and logout services → the probe says
 * 401 and offers a substitute (an open image service up to `openMaxWidth`), whose image draws → a full-resolution
 * tile does not load → the access service opens in a new window with `?origin=`, the user clicks through / logs
 * in, and the window closes itself → the token service, in a hidden iframe with `messageId` and `origin`, posts an
 * `AuthAccessToken2` to the page → the probe with `Authorization: Bearer` says 200 → the full-resolution tile draws
 * in an `<img>` (the session cookie) and fetches with the bearer token (no cookies).
 *
 * Negative paths: a token service framed with another origin than the page's posts nothing the page can receive
 * (and a page of another origin framing it with the real page's origin receives nothing either); expired, forged
 * and other-customer tokens probe 401, while one signed with the previous key of a rotation still works; logout
 * ends access (the cookie is cleared, the token service answers an error, the old cookie and the old token are
 * refused by delivery once it has heard `auth.session.ended.v1`).
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AuthSigner } from '@vellum/access';
import { startOidcProvider, waitFor, type OidcTestProvider } from '@vellum/testing';
import { launchChromium } from '../src/browser';
import { startAuthViewer, type AuthViewerServer } from '../src/auth-viewer';
import { startRig, type Json, type Rig } from '../src/rig';

/** The platform's signing key (so the test can sign expired tokens the platform would have signed). */
const SIGNING_KEY = randomBytes(32).toString('hex');
/** A key the platform was rotated away from (VELLUM_AUTH_SIGNING_PREVIOUS_KEYS): it still verifies, never signs. */
const PREVIOUS_KEY = randomBytes(32).toString('base64');
/** openMaxWidth of the restricted images: the substitute's maxWidth. */
const OPEN_MAX = 256;
/** The image (1165 × 859): a full-resolution tile of it needs a role. */
const IMAGE = { file: 'tiff-lzw.tif', mediaType: 'image/tiff', width: 1165, height: 859 };
const AUTH2_CONTEXT = 'http://iiif.io/api/auth/2/context.json';

const STAFF = { username: 'reader', password: 'correct horse battery staple' };
const OIDC_USER = {
  username: 'ada',
  password: 'analytical-engine',
  claims: { groups: ['library-readers', 'unmapped-group'], email: 'ada@example.org' },
};
const OIDC_CLIENT = { clientId: 'vellum-e2e', clientSecret: randomBytes(24).toString('hex') };

/** One way of getting a role: the asset restricted to it, and what the user does in the access service window. */
interface Flow {
  name: string;
  asset: string;
  role: string;
  accessService: string;
  /** The access service's profile (IIIF Auth 2.0 §2.2): `active` shows a page, `kiosk` none. */
  profile: 'active' | 'kiosk';
  login(popup: Page, services: Services): Promise<void>;
}

/** What the client page found in info.json (`viewer.loadInfo`). */
interface Services {
  probe: string;
  access: string;
  profile: string;
  label?: Json;
  confirmLabel?: Json;
  token: string;
  logout: string;
}

/** The first string of a IIIF language map. */
function firstString(map: Json): string {
  const values = Object.values((map ?? {}) as Record<string, string[]>);
  return values[0]?.[0] ?? '';
}

/** Calls `window.viewer.<fn>(...args)` in the page (args JSON-encoded) and returns what it resolves to. */
function call<T = Json>(page: Page, fn: string, ...args: unknown[]): Promise<T> {
  return page.evaluate<T>(`window.viewer.${fn}(...${JSON.stringify(args)})`);
}

/** The claims inside a compact JWS (not verified: the platform's own). */
function claimsOf(token: string): Json {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

let oidc: OidcTestProvider | undefined;

const FLOWS: Flow[] = [
  {
    name: 'clickthrough (the default access service of every customer)',
    asset: 'terms-image',
    role: 'clickthrough',
    accessService: 'clickthrough',
    profile: 'active',
    async login(popup, services) {
      // The access service page shows the service's confirmLabel on its confirm button (IIIF Auth 2.0 §2.2).
      await popup.getByRole('button', { name: firstString(services.confirmLabel) }).click();
    },
  },
  {
    name: 'built-in accounts (a login form)',
    asset: 'staff-image',
    role: 'staff',
    accessService: 'staff',
    profile: 'active',
    async login(popup) {
      const submit = async (username: string, password: string): Promise<void> => {
        await popup.locator('input[name="username"]').fill(username);
        await popup.locator('input[name="password"]').fill(password);
        const posted = popup.waitForResponse((r) => r.request().method() === 'POST', { timeout: 30_000 });
        await popup.locator('input[name="password"]').press('Enter');
        await posted;
      };
      // A wrong password: the form again, the window stays open.
      await submit(STAFF.username, 'not the password');
      await popup.waitForLoadState();
      expect(popup.isClosed()).toBe(false);
      await popup.locator('input[name="password"]').waitFor({ timeout: 10_000 });
      await submit(STAFF.username, STAFF.password);
    },
  },
  {
    name: 'OpenID Connect (a real provider: its own login form in the window)',
    asset: 'sso-image',
    role: 'readers',
    accessService: 'library-sso',
    profile: 'active',
    async login(popup) {
      const issuer = oidc!.issuer;
      await popup.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`), { timeout: 30_000 });
      await popup.locator('#username').fill(OIDC_USER.username);
      await popup.locator('#password').fill(OIDC_USER.password);
      await popup.locator('#submit').click();
    },
  },
  {
    name: 'kiosk (a reading-room machine: the window opens and closes with no interaction)',
    asset: 'kiosk-image',
    role: 'reading-room',
    accessService: 'reading-room',
    profile: 'kiosk',
    async login() {
      /* nothing to do: the access service grants the role on opening and closes its window */
    },
  },
];

describe('IIIF Authorization Flow 2.0 in headless Chromium: a client on another origin gets access', () => {
  let rig: Rig;
  let viewer: AuthViewerServer;
  let other: AuthViewerServer;
  let browser: Browser;
  let customer: number;
  let authUrl: string;
  let failed = false;
  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });

  /** A management API call that must answer `status`; throws with the response otherwise. */
  async function must(method: string, path: string, body: unknown, status = 201): Promise<Json> {
    const res = await rig.api(method, path, body);
    if (res.status !== status)
      throw new Error(`${method} ${path}: ${res.status} (expected ${status}) ${JSON.stringify(res.body)}`);
    return res.body;
  }

  const infoUrl = (asset: string): string =>
    `${rig.platform.deliveryUrl}/iiif-img/${customer}/1/${asset}/info.json`;
  /** A full-resolution canonical tile (512 × 512 at scale factor 1) at x = `x` (0 or 512): each URL loads once per page. */
  const tileUrl = (asset: string, x = 0): string =>
    `${rig.platform.deliveryUrl}/iiif-img/${customer}/1/${asset}/${x},0,512,512/512,/0/default.jpg`;

  beforeAll(async () => {
    [rig, viewer, other, browser] = await Promise.all([
      startRig('auth-flow', {
        env: { VELLUM_AUTH_SIGNING_KEY: SIGNING_KEY, VELLUM_AUTH_SIGNING_PREVIOUS_KEYS: PREVIOUS_KEY },
      }),
      // Free ports throughout: a fixed one in the ephemeral range may be some client socket's local port.
      startAuthViewer(),
      startAuthViewer(),
      launchChromium(),
    ]);
    authUrl = rig.platform.services['auth-service'].url;
    customer = (await must('POST', '/customers', { name: 'library', displayName: 'A library' })).id;
    const c = `/customers/${customer}`;
    await must('POST', `${c}/spaces`, { name: 'restricted' });

    // Built-in accounts: provider → access service → role → user.
    await must('POST', `${c}/roleProviders`, { name: 'staff-accounts', type: 'builtin' });
    await must('POST', `${c}/accessServices`, {
      name: 'staff',
      profile: 'active',
      label: { en: ['Staff login'] },
      heading: { en: ['Staff only'] },
      note: { en: ['Log in with your staff account to see the full image.'] },
      confirmLabel: { en: ['Log in'] },
      roleProvider: 'staff-accounts',
    });
    await must('POST', `${c}/roles`, { name: 'staff', label: { en: ['Staff'] }, accessService: 'staff' });
    await must('POST', `${c}/users`, { ...STAFF, roles: ['staff'], enabled: true });

    // OpenID Connect: the role first (on the default access service), the provider mapping a group to it, its
    // access service, then the role moved to that service. The redirect URI registered at the provider is
    // {auth}/auth/v2/access/{c}/{service}/callback.
    await must('POST', `${c}/roles`, { name: 'readers', label: { en: ['Readers'] } });
    oidc = await startOidcProvider({
      clients: [
        { ...OIDC_CLIENT, redirectUris: [`${authUrl}/auth/v2/access/${customer}/library-sso/callback`] },
      ],
      accounts: [OIDC_USER],
    });
    await must('POST', `${c}/roleProviders`, {
      name: 'library-idp',
      type: 'oidc',
      issuer: oidc.issuer,
      clientId: OIDC_CLIENT.clientId,
      clientSecret: OIDC_CLIENT.clientSecret,
      scopes: 'openid profile email',
      claim: 'groups',
      roleMapping: { 'library-readers': ['readers'] },
    });
    await must('POST', `${c}/accessServices`, {
      name: 'library-sso',
      profile: 'active',
      label: { en: ['Library single sign-on'] },
      heading: { en: ['Library members'] },
      note: { en: ['Sign in with your library account.'] },
      confirmLabel: { en: ['Sign in'] },
      roleProvider: 'library-idp',
    });
    await must('PATCH', `${c}/roles/readers`, { accessService: 'library-sso' }, 200);

    // Kiosk: an access service of profile kiosk (on the clickthrough role provider) and its role.
    await must('POST', `${c}/accessServices`, {
      name: 'reading-room',
      profile: 'kiosk',
      label: { en: ['Reading room'] },
      roleProvider: 'clickthrough',
    });
    await must('POST', `${c}/roles`, {
      name: 'reading-room',
      label: { en: ['Reading room'] },
      accessService: 'reading-room',
    });

    for (const flow of FLOWS) {
      const res = await rig.api('PUT', `${c}/spaces/1/images/${flow.asset}`, {
        origin: `${rig.originUrl}/${IMAGE.file}`,
        mediaType: IMAGE.mediaType,
        roles: [flow.role],
        openMaxWidth: OPEN_MAX,
      });
      if (![200, 201, 202].includes(res.status))
        throw new Error(`PUT ${flow.asset}: ${res.status} ${JSON.stringify(res.body)}`);
      await waitFor(
        async () => {
          const a = await rig.api('GET', `${c}/spaces/1/images/${flow.asset}`);
          if (a.body.error) throw new Error(`${flow.asset}: ${a.body.error}`);
          return a.body.ingesting === false && a.body.finished;
        },
        { timeoutMs: 120_000, intervalMs: 250, description: `${flow.asset} to be ingested` },
      );
    }
  }, 300_000);

  afterAll(async () => {
    if (failed && oidc) console.log(`--- oidc-provider\n${oidc.output().slice(-3000)}`);
    await browser?.close();
    await Promise.all([viewer?.close(), other?.close(), oidc?.stop()]);
    await rig?.stop({ printLogs: failed });
  }, 60_000);

  it('a new customer has the default clickthrough role provider, access service and role', async () => {
    const c = `${rig.platform.apiUrl}/customers/${customer}`;
    expect((await rig.api('GET', `/customers/${customer}/roleProviders/clickthrough`)).body).toMatchObject({
      '@type': 'vocab:RoleProvider',
      type: 'clickthrough',
    });
    expect((await rig.api('GET', `/customers/${customer}/accessServices/clickthrough`)).body).toMatchObject({
      '@type': 'vocab:AccessService',
      profile: 'active',
      roleProvider: `${c}/roleProviders/clickthrough`,
      service: `${authUrl}/auth/v2/access/${customer}/clickthrough`,
      confirmLabel: { en: ['Accept the terms'] },
    });
    expect((await rig.api('GET', `/customers/${customer}/roles/clickthrough`)).body).toMatchObject({
      '@type': 'vocab:Role',
      accessService: `${c}/accessServices/clickthrough`,
    });
  });

  it('an anonymous info.json and the thumbs channel list only sizes anyone may have', async () => {
    // SPEC.md §5 info.json `sizes`: "the open thumbnail sizes, plus auth sizes for an authorised caller".
    const edges = (doc: Json): number[] =>
      ((doc.sizes ?? []) as Json[]).map((s) => Math.max(Number(s.width), Number(s.height)));
    for (const flow of FLOWS) {
      const info = (await (await fetch(infoUrl(flow.asset))).json()) as Json;
      expect([flow.asset, edges(info).filter((e) => e > OPEN_MAX)]).toEqual([flow.asset, []]);
      const thumbs = (await (
        await fetch(`${rig.platform.deliveryUrl}/thumbs/${customer}/1/${flow.asset}/info.json`)
      ).json()) as Json;
      expect(edges(thumbs).length).toBeGreaterThan(0);
      expect([flow.asset, edges(thumbs).filter((e) => e > OPEN_MAX)]).toEqual([flow.asset, []]);
    }
  });

  /** A fresh browser profile with the client page open. */
  async function openClient(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (err) => console.log(`page error: ${err.message}`));
    await page.goto(viewer.url);
    return { context, page };
  }

  /** Clicks the page's login button, lets `flow` act in the access service window, waits for it to close. */
  async function logIn(page: Page, flow: Flow, services: Services): Promise<void> {
    const popupPromise = page.waitForEvent('popup', { timeout: 15_000 });
    const opened = page.context().waitForEvent('request', {
      predicate: (r) => r.url().startsWith(services.access),
      timeout: 15_000,
    });
    await page.click('#login');
    const popup = await popupPromise;
    // A kiosk window may close itself before a 'close' listener is attached: it then never fires.
    const closed = (
      popup.isClosed() ? Promise.resolve() : popup.waitForEvent('close', { timeout: 60_000 })
    ).catch(async (err: Error) => {
      if (popup.isClosed()) return;
      throw new Error(
        `the access service window did not close itself: ${err.message}; it shows ${popup.url()}:\n` +
          (await popup.content().catch(() => '(gone)')).slice(0, 2000),
      );
    });
    expect((await opened).url()).toBe(`${services.access}?origin=${encodeURIComponent(viewer.origin)}`);
    // A kiosk window may have closed itself already.
    await popup.waitForLoadState().catch((err: Error) => {
      if (!popup.isClosed()) throw err;
    });
    await flow.login(popup, services);
    await closed;
    await expect(call<boolean>(page, 'accessClosed')).resolves.toBe(true);
  }

  for (const flow of FLOWS) {
    describe(flow.name, () => {
      let context: BrowserContext;
      let page: Page;
      let services: Services;
      let token: string;

      beforeAll(async () => ({ context, page } = await openClient()), 60_000);
      afterAll(async () => context?.close());

      it('info.json names the probe service and its access, token and logout services', async () => {
        const r = await call(page, 'loadInfo', infoUrl(flow.asset));
        expect(r.status).toBe(200);
        expect([r.info['@context']].flat()[0]).toBe(AUTH2_CONTEXT);
        services = r.services;
        expect(services).toMatchObject({
          probe: `${rig.platform.deliveryUrl}/auth/v2/probe/${customer}/1/${flow.asset}`,
          access: `${authUrl}/auth/v2/access/${customer}/${flow.accessService}`,
          profile: flow.profile,
          token: `${authUrl}/auth/v2/token/${customer}`,
          logout: `${authUrl}/auth/v2/access/${customer}/${flow.accessService}/logout`,
        });
        expect(firstString(services.label)).not.toBe('');
      });

      it('the probe says 401 and offers the substitute, whose image draws; a full-resolution tile does not', async () => {
        const probe = await call(page, 'probe');
        expect(probe.httpStatus).toBe(200);
        expect(probe.body).toMatchObject({
          '@context': AUTH2_CONTEXT,
          type: 'AuthProbeResult2',
          status: 401,
        });
        const substitutes: Json[] = [probe.body.substitute].flat().filter(Boolean);
        expect(substitutes.length).toBeGreaterThan(0);
        const sub = substitutes[0];
        const subId = String(sub.id ?? sub['@id']);
        expect(subId).toBe(`${rig.platform.deliveryUrl}/iiif-img/${customer}/1/${flow.asset}/substitute`);
        const subInfo = (await (await fetch(`${subId}/info.json`)).json()) as Json;
        expect(subInfo.maxWidth).toBe(OPEN_MAX);
        expect(JSON.stringify(subInfo)).not.toContain('AuthProbeService2');
        const drawn = await call(page, 'showImage', `${subId}/full/max/0/default.jpg`);
        expect(drawn).toMatchObject({ ok: true, width: OPEN_MAX });
        expect(Math.abs(drawn.height - (IMAGE.height * OPEN_MAX) / IMAGE.width)).toBeLessThan(1);
        expect(await call(page, 'showImage', tileUrl(flow.asset))).toMatchObject({ ok: false });
        expect((await call(page, 'fetchImage', tileUrl(flow.asset))).status).toBe(401);
      });

      it('the access service window (opened with ?origin=) grants access and closes itself', async () => {
        await logIn(page, flow, services);
        const cookie = (await context.cookies(authUrl)).find((k) => k.name === `vellum-auth-${customer}`);
        expect(cookie).toMatchObject({ httpOnly: true, path: '/', sameSite: 'Lax', secure: false });
      });

      it('the token service iframe posts an AuthAccessToken2 to the page; the probe with it says 200', async () => {
        const r = await call(page, 'requestToken');
        expect(r.timeout).toBeUndefined();
        expect(r.message).toMatchObject({
          '@context': AUTH2_CONTEXT,
          type: 'AuthAccessToken2',
          messageId: r.messageId,
          accessToken: expect.any(String),
          expiresIn: expect.any(Number),
        });
        expect(r.message.expiresIn).toBeGreaterThan(0);
        expect(r.message.expiresIn).toBeLessThanOrEqual(600);
        token = r.message.accessToken;
        expect(claimsOf(token)).toMatchObject({ cid: customer, roles: [flow.role], svc: flow.accessService });
        const probe = await call(page, 'probe', token);
        expect(probe.body).toMatchObject({ type: 'AuthProbeResult2', status: 200 });
        expect(probe.body.substitute).toBeUndefined();
      });

      it('the full-resolution tile draws with the cookie (<img>) and fetches with the bearer token', async () => {
        // Another tile than the one refused before login (the page would not load a failed image URL again).
        expect(await call(page, 'showImage', tileUrl(flow.asset, 512))).toEqual({
          ok: true,
          width: 512,
          height: 512,
        });
        expect(await call(page, 'fetchImage', tileUrl(flow.asset), token)).toMatchObject({
          status: 200,
          contentType: 'image/jpeg',
          width: 512,
          height: 512,
        });
        // The role is this asset's only: another flow's image still needs its own role (403: authenticated).
        const otherFlow = FLOWS.find((f) => f !== flow)!;
        expect((await call(page, 'fetchImage', tileUrl(otherFlow.asset), token)).status).toBe(403);
      });
    });
  }

  describe('what must not work', () => {
    const flow = FLOWS[0];
    let context: BrowserContext;
    let page: Page;
    let services: Services;
    let token: string;
    let cookieValue: string;
    const signer = AuthSigner.fromConfig({ key: SIGNING_KEY, production: false });

    beforeAll(async () => {
      ({ context, page } = await openClient());
      services = (await call(page, 'loadInfo', infoUrl(flow.asset))).services;
      await logIn(page, flow, services);
      const r = await call(page, 'requestToken');
      token = r.message.accessToken;
      cookieValue = (await context.cookies(authUrl)).find((k) => k.name === `vellum-auth-${customer}`)!.value;
    }, 120_000);
    afterAll(async () => context?.close());

    it('a token service iframe opened with another origin than the page’s posts nothing the page receives', async () => {
      const before = (await call<Json[]>(page, 'messages.slice')).length;
      const r = await call(page, 'requestToken', { origin: other.origin, timeoutMs: 4000 });
      expect(r).toMatchObject({ timeout: true });
      const after: Json[] = await call(page, 'messages.slice');
      expect(after.slice(before)).toEqual([]);
    });

    it('a page of another origin framing the token service with the real page’s origin receives nothing', async () => {
      const attacker = await context.newPage();
      try {
        await attacker.goto(other.url);
        const r = await attacker.evaluate(
          `window.viewer.requestToken(${JSON.stringify({ service: services.token, origin: viewer.origin, timeoutMs: 4000 })})`,
        );
        expect(r).toMatchObject({ timeout: true });
        expect(await attacker.evaluate('window.viewer.messages.length')).toBe(0);
      } finally {
        await attacker.close();
      }
    });

    it('an expired, a forged and another customer’s token probe 401', async () => {
      const claims = claimsOf(token);
      const base = { sid: claims.sid, cid: claims.cid, roles: claims.roles, svc: claims.svc };
      const expired = await signer.sign('access', base, 60, Date.now() - 2 * 3600_000);
      const forged = await AuthSigner.fromConfig({
        key: randomBytes(32).toString('hex'),
        production: false,
      }).sign('access', base, 600);
      const otherCustomer = await signer.sign('access', { ...base, cid: customer + 1000 }, 600);
      const sessionAsToken = cookieValue;
      for (const [what, t] of Object.entries({ expired, forged, otherCustomer, sessionAsToken })) {
        const probe = await call(page, 'probe', t);
        expect([what, probe.body.status]).toEqual([what, 401]);
        expect([what, (await call(page, 'fetchImage', tileUrl(flow.asset), t)).status]).toEqual([what, 401]);
      }
      // The real one still works.
      expect((await call(page, 'probe', token)).body.status).toBe(200);
    });

    it('key rotation: a token signed with the previous key still verifies, the new key signs', async () => {
      const claims = claimsOf(token);
      const base = { sid: claims.sid, cid: claims.cid, roles: claims.roles, svc: claims.svc };
      const previous = AuthSigner.fromConfig({ key: PREVIOUS_KEY, production: false });
      const old = await previous.sign('access', base, 600);
      expect((await call(page, 'probe', old)).body.status).toBe(200);
      expect((await call(page, 'fetchImage', tileUrl(flow.asset), old)).status).toBe(200);
      const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
      expect(header.kid).toBe(signer.keyId);
    });

    it('logout ends access: the token service answers an error, the old cookie and token are refused', async () => {
      // Delivery honours the old cookie until logout.
      const withCookie = (): Promise<Response> =>
        fetch(tileUrl(flow.asset), { headers: { cookie: `vellum-auth-${customer}=${cookieValue}` } });
      expect((await withCookie()).status).toBe(200);

      const popupPromise = page.waitForEvent('popup', { timeout: 15_000 });
      const opened = context.waitForEvent('request', {
        predicate: (req) => req.url().startsWith(services.logout),
        timeout: 15_000,
      });
      await page.click('#logout');
      const popup = await popupPromise;
      expect((await opened).url()).toBe(services.logout);
      await popup.waitForLoadState().catch(() => undefined);
      if (!popup.isClosed()) await popup.close();

      // The browser's cookie is cleared.
      await waitFor(
        async () => !(await context.cookies(authUrl)).some((k) => k.name === `vellum-auth-${customer}`),
        { timeoutMs: 10_000, description: 'the logout service to clear the session cookie' },
      );
      const r = await call(page, 'requestToken');
      expect(r.timeout).toBeUndefined();
      expect(r.message).toMatchObject({ type: 'AuthAccessTokenError2', messageId: r.messageId });
      expect(['missingAspect', 'expiredAspect', 'invalidAspect']).toContain(r.message.profile);
      expect(await call(page, 'showImage', tileUrl(flow.asset))).toMatchObject({ ok: false });
      // The ended session is refused by delivery once auth.session.ended.v1 has reached it.
      await waitFor(async () => (await withCookie()).status === 401, {
        timeoutMs: 20_000,
        description: 'delivery to refuse the logged-out session cookie',
      });
      await waitFor(async () => (await call(page, 'probe', token)).body.status === 401, {
        timeoutMs: 20_000,
        description: 'delivery to refuse the logged-out session’s access token',
      });
    });
  });
});
