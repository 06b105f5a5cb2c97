import 'reflect-metadata';
import { AuthSigner, hashPassword, sessionCookieName } from '@vellum/access';
import { freePort, waitFor } from '@vellum/testing';
import {
  csrfOf,
  Jar,
  makeCustomer,
  postedMessage,
  startTestAuthService,
  type TestAuthService,
} from './harness';

const ORIGIN = 'https://viewer.example';

/**
 * IIIF Auth 2.0 access, token and logout services of auth-service over real Postgres and RabbitMQ (issue 10
 * contract): clickthrough, built-in login (rate limit, no enumeration), kiosk, external, every token error
 * profile, escaping, forged/expired/other-customer cookies, sliding expiry, logout.
 */
describe('auth-service Auth 2.0 flows (integration)', () => {
  let svc: TestAuthService;
  let c: number;
  let other: number;
  const signer = AuthSigner.fromConfig({ production: false });

  beforeAll(async () => {
    svc = await startTestAuthService(await freePort(), { VELLUM_AUTH_LOGIN_MAX_FAILURES: '3' });
    const p = svc.prisma;
    c = await makeCustomer(p, 'acme');
    other = await makeCustomer(p, 'other');
    for (const cid of [c, other]) {
      await p.roleProvider.create({ data: { customerId: cid, name: 'clickthrough', type: 'clickthrough' } });
      await p.accessService.create({
        data: {
          customerId: cid,
          name: 'clickthrough',
          profile: 'active',
          label: { en: ['Terms of use'] },
          heading: { en: ['Please accept the terms'], fr: ['Acceptez les conditions'] },
          note: { en: ['Be <nice>'], fr: ['Soyez sages'] },
          confirmLabel: { en: ['Accept the terms'], fr: ['Accepter'] },
          roleProvider: 'clickthrough',
        },
      });
      await p.role.create({
        data: {
          customerId: cid,
          name: 'clickthrough',
          label: { en: ['Clickthrough'] },
          accessService: 'clickthrough',
        },
      });
    }
    await p.roleProvider.create({ data: { customerId: c, name: 'accounts', type: 'builtin' } });
    await p.accessService.create({
      data: {
        customerId: c,
        name: 'login',
        profile: 'active',
        label: { en: ['Staff login'] },
        roleProvider: 'accounts',
      },
    });
    await p.accessService.create({
      data: {
        customerId: c,
        name: 'reading-room',
        profile: 'kiosk',
        label: { en: ['Reading room'] },
        roleProvider: 'clickthrough',
      },
    });
    await p.accessService.create({
      data: {
        customerId: c,
        name: 'ip-range',
        profile: 'external',
        label: { en: ['On site'] },
        roleProvider: 'clickthrough',
      },
    });
    await p.role.createMany({
      data: [
        { customerId: c, name: 'staff', label: { en: ['Staff'] }, accessService: 'login' },
        { customerId: c, name: 'room', label: { en: ['Room'] }, accessService: 'reading-room' },
      ],
    });
    const hash = await hashPassword('correct horse');
    await p.authUser.createMany({
      data: [
        { customerId: c, username: 'alice', passwordHash: hash, roles: ['staff', 'ghost'] },
        { customerId: c, username: 'bob', passwordHash: hash, roles: ['staff'], enabled: false },
      ],
    });
  });

  afterAll(async () => svc?.close());

  const access = (cid: number, s: string): string => `${svc.base}/auth/v2/access/${cid}/${s}`;
  const token = (cid: number, q: Record<string, string>): string =>
    `${svc.base}/auth/v2/token/${cid}?${new URLSearchParams(q).toString()}`;

  /** Walks the clickthrough: page, confirm; returns the jar holding the session cookie. */
  async function clickthrough(cid = c): Promise<Jar> {
    const jar = new Jar();
    const page = await jar.get(`${access(cid, 'clickthrough')}?origin=${encodeURIComponent(ORIGIN)}`);
    expect(page.status).toBe(200);
    const res = await jar.post(access(cid, 'clickthrough'), { csrf: csrfOf(await page.text()) });
    expect(res.status).toBe(200);
    expect(jar.cookies.has(sessionCookieName(cid))).toBe(true);
    return jar;
  }

  async function tokenPage(jar: Jar, cid: number, q: Record<string, string>) {
    const res = await jar.get(token(cid, q));
    expect(res.status).toBe(200);
    return { res, ...postedMessage(await res.text()) };
  }

  it('clickthrough: a page in the best language; its confirm opens a session, sets the cookie and closes the window', async () => {
    const jar = new Jar();
    const fr = await jar.get(access(c, 'clickthrough'), { 'accept-language': 'fr-CH, en;q=0.5' });
    const frHtml = await fr.text();
    expect(fr.headers.get('content-type')).toContain('text/html');
    expect(fr.headers.get('x-frame-options')).toBe('DENY');
    expect(frHtml).toContain('Acceptez les conditions');
    expect(frHtml).toContain('>Accepter</button>');
    const en = await jar.get(access(c, 'clickthrough'), { 'accept-language': 'de' });
    const html = await en.text();
    expect(html).toContain('Please accept the terms');
    expect(html).toContain('Be &#60;nice&#62;');
    expect(html).toContain('method="post"');

    // A POST without the form's cookie (cross-site) or with a forged token is refused.
    const forged = await fetch(access(c, 'clickthrough'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(csrfOf(html))}`,
    });
    expect(forged.status).toBe(400);
    expect(await forged.text()).not.toContain('window.close');
    expect((await jar.post(access(c, 'clickthrough'), { csrf: 'x.y' })).status).toBe(400);

    const res = await jar.post(access(c, 'clickthrough'), { csrf: csrfOf(html) });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('window.close()');
    const cookie = jar.cookies.get(sessionCookieName(c))!;
    expect(cookie.raw).toMatch(/; Path=\/; HttpOnly; Max-Age=3600; SameSite=Lax$/);
    const v = await signer.verify('session', cookie.value);
    expect(v.ok && v.claims).toMatchObject({ cid: c, roles: ['clickthrough'], svc: 'clickthrough' });
    const row = await svc.prisma.authSession.findUnique({ where: { id: v.ok ? v.claims.sid : '' } });
    expect(row).toMatchObject({
      customerId: c,
      accessService: 'clickthrough',
      roles: ['clickthrough'],
      ended: null,
    });
    expect(row!.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('token service: an AuthAccessToken2 posted to exactly the origin; no-store, frameable; sliding expiry re-issues the cookie', async () => {
    const jar = await clickthrough();
    const sid = (
      (await signer.verify('session', jar.cookies.get(sessionCookieName(c))!.value)) as {
        claims: { sid: string };
      }
    ).claims.sid;
    // Pretend the session is about to expire: the token service pushes it forward.
    await svc.prisma.authSession.update({
      where: { id: sid },
      data: { expires: new Date(Date.now() + 60_000) },
    });
    const { res, message, target } = await tokenPage(jar, c, { messageId: 'm1', origin: ORIGIN });
    expect(target).toBe(ORIGIN);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('content-security-policy')).not.toContain('frame-ancestors');
    expect(message).toMatchObject({
      '@context': 'http://iiif.io/api/auth/2/context.json',
      type: 'AuthAccessToken2',
      expiresIn: 600,
      messageId: 'm1',
    });
    const t = await signer.verify('access', String(message.accessToken));
    expect(t.ok && t.claims).toMatchObject({ sid, cid: c, roles: ['clickthrough'] });
    expect((await signer.verify('session', String(message.accessToken))).ok).toBe(false);
    const row = await svc.prisma.authSession.findUniqueOrThrow({ where: { id: sid } });
    expect(row.expires.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(res.headers.getSetCookie().some((l) => l.startsWith(`${sessionCookieName(c)}=`))).toBe(true);

    // Never past created + VELLUM_AUTH_SESSION_MAX_S (43200 s).
    const created = new Date(Date.now() - 43_200_000 + 120_000);
    await svc.prisma.authSession.update({
      where: { id: sid },
      data: { created, expires: new Date(Date.now() + 30_000) },
    });
    const late = await tokenPage(jar, c, { messageId: 'm2', origin: ORIGIN });
    expect(late.message.type).toBe('AuthAccessToken2');
    expect(Number(late.message.expiresIn)).toBeLessThanOrEqual(120);
    const bounded = await svc.prisma.authSession.findUniqueOrThrow({ where: { id: sid } });
    expect(bounded.expires.getTime()).toBe(created.getTime() + 43_200_000);
  });

  it('token service error profiles: invalidOrigin (to *), invalidRequest, missingAspect, expiredAspect, invalidAspect', async () => {
    const jar = await clickthrough();
    const none = new Jar();
    for (const bad of [
      'https://viewer.example/',
      'https://viewer.example/path',
      'javascript:alert(1)',
      'null',
      '',
    ]) {
      const r = await tokenPage(jar, c, { messageId: 'm', origin: bad });
      expect(r.target).toBe('*');
      expect(r.message).toMatchObject({
        type: 'AuthAccessTokenError2',
        profile: 'invalidOrigin',
        messageId: 'm',
      });
      expect(r.message.accessToken).toBeUndefined();
    }
    expect((await tokenPage(jar, c, { origin: ORIGIN })).message).toMatchObject({
      profile: 'invalidRequest',
    });
    expect((await tokenPage(jar, 999_999, { messageId: 'm', origin: ORIGIN })).message).toMatchObject({
      profile: 'invalidRequest',
    });
    const missing = await tokenPage(none, c, { messageId: 'm', origin: ORIGIN });
    expect(missing.target).toBe(ORIGIN);
    expect(missing.message).toMatchObject({
      '@context': 'http://iiif.io/api/auth/2/context.json',
      type: 'AuthAccessTokenError2',
      profile: 'missingAspect',
      messageId: 'm',
      heading: { en: [expect.any(String)] },
    });

    const value = jar.cookies.get(sessionCookieName(c))!.value;
    const claims = (
      (await signer.verify('session', value)) as unknown as { claims: { sid: string; roles: string[] } }
    ).claims;
    const withCookie = async (v: string, cid = c) => {
      const res = await fetch(token(cid, { messageId: 'x', origin: ORIGIN }), {
        headers: { cookie: `${sessionCookieName(cid)}=${v}` },
      });
      return postedMessage(await res.text()).message;
    };
    // Forged: tampered signature; signed with another key; a token instead of a cookie.
    expect(await withCookie(`${value.slice(0, -3)}abc`)).toMatchObject({ profile: 'invalidAspect' });
    const foreign = new AuthSigner(Buffer.alloc(32, 7));
    expect(
      await withCookie(await foreign.sign('session', { sid: claims.sid, cid: c, roles: [], svc: 'x' }, 600)),
    ).toMatchObject({
      profile: 'invalidAspect',
    });
    expect(
      await withCookie(await signer.sign('access', { sid: claims.sid, cid: c, roles: [], svc: 'x' }, 600)),
    ).toMatchObject({
      profile: 'invalidAspect',
    });
    // Another customer's cookie under this customer's name.
    const otherJar = await clickthrough(other);
    expect(await withCookie(otherJar.cookies.get(sessionCookieName(other))!.value)).toMatchObject({
      profile: 'invalidAspect',
    });
    // Well signed, no such session.
    expect(
      await withCookie(
        await signer.sign(
          'session',
          { sid: 'nope', cid: c, roles: ['clickthrough'], svc: 'clickthrough' },
          600,
        ),
      ),
    ).toMatchObject({
      profile: 'invalidAspect',
    });
    // Expired cookie; expired session row.
    const old = await signer.sign(
      'session',
      { sid: claims.sid, cid: c, roles: claims.roles, svc: 'clickthrough' },
      60,
      Date.now() - 3_600_000,
    );
    expect(await withCookie(old)).toMatchObject({ profile: 'expiredAspect' });
    await svc.prisma.authSession.update({
      where: { id: claims.sid },
      data: { expires: new Date(Date.now() - 1000) },
    });
    expect(await withCookie(value)).toMatchObject({ profile: 'expiredAspect' });
  });

  it('token service: a messageId with markup or line separators cannot break out of the script', async () => {
    const jar = await clickthrough();
    const evil = '</script><script>alert(1)</script><!-- & \u2028\u2029 "\'';
    const res = await jar.get(token(c, { messageId: evil, origin: ORIGIN }));
    const html = await res.text();
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).not.toContain('<!--');
    expect(html).not.toMatch(/[\u2028\u2029]/);
    expect(html.match(/<script/g)).toHaveLength(1);
    const { message } = postedMessage(html);
    expect(message).toMatchObject({ type: 'AuthAccessToken2', messageId: evil });
  });

  it("built-in login: generic failure for a wrong password, an unknown or a disabled user; success grants the user's roles", async () => {
    const jar = new Jar();
    const page = await jar.get(access(c, 'login'));
    const html = await page.text();
    expect(html).toContain('name="username"');
    expect(html).toContain('type="password"');
    const attempt = async (username: string, password: string): Promise<{ status: number; html: string }> => {
      const form = await jar.get(access(c, 'login'));
      const res = await jar.post(
        access(c, 'login'),
        { csrf: csrfOf(await form.text()), username, password },
        {
          'x-forwarded-for': `10.0.0.${username.length}`,
        },
      );
      return { status: res.status, html: await res.text() };
    };
    const failures = [
      await attempt('alice', 'wrong password'),
      await attempt('nobody', 'correct horse'),
      await attempt('bob', 'correct horse'),
    ];
    for (const f of failures) {
      expect(f.status).toBe(401);
      expect(f.html).toContain('The username or password is incorrect.');
      expect(f.html).not.toContain('window.close');
    }
    expect(failures[1].html.replace(/value="[^"]*"/g, '')).toBe(
      failures[2].html.replace(/value="[^"]*"/g, '').replace(/bob/g, 'nobody'),
    );
    expect(jar.cookies.has(sessionCookieName(c))).toBe(false);
    const ok = await attempt('Alice', 'correct horse');
    expect(ok.status).toBe(200);
    expect(ok.html).toContain('window.close()');
    const v = await signer.verify('session', jar.cookies.get(sessionCookieName(c))!.value);
    // `ghost` is not a role of the customer: never granted.
    expect(v.ok && v.claims).toMatchObject({ cid: c, roles: ['staff'], svc: 'login' });
    const row = await svc.prisma.authSession.findUniqueOrThrow({ where: { id: v.ok ? v.claims.sid : '' } });
    const alice = await svc.prisma.authUser.findFirstOrThrow({ where: { username: 'alice' } });
    expect(row.subject).toBe(alice.id);
  });

  it('built-in login: rate-limited per user (429 with Retry-After), even with the right password', async () => {
    const jar = new Jar();
    const attempt = async (password: string, ip: string) => {
      const form = await jar.get(access(c, 'login'));
      return jar.post(
        access(c, 'login'),
        { csrf: csrfOf(await form.text()), username: 'carol', password },
        { 'x-forwarded-for': ip },
      );
    };
    await svc.prisma.authUser.create({
      data: {
        customerId: c,
        username: 'carol',
        passwordHash: await hashPassword('carol password'),
        roles: ['staff'],
      },
    });
    for (let i = 0; i < 3; i++) expect((await attempt('bad', `10.1.0.${i}`)).status).toBe(401);
    const limited = await attempt('carol password', '10.1.0.9');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(jar.cookies.has(sessionCookieName(c))).toBe(false);
    // Per address too: three failures for different users from one address.
    for (const u of ['u1', 'u2', 'u3']) {
      const form = await jar.get(access(c, 'login'));
      await jar.post(
        access(c, 'login'),
        { csrf: csrfOf(await form.text()), username: u, password: 'x' },
        { 'x-forwarded-for': '10.2.0.1' },
      );
    }
    const form = await jar.get(access(c, 'login'));
    const byAddr = await jar.post(
      access(c, 'login'),
      { csrf: csrfOf(await form.text()), username: 'alice', password: 'correct horse' },
      { 'x-forwarded-for': '10.2.0.1' },
    );
    expect(byAddr.status).toBe(429);
  });

  it('kiosk: the GET itself opens the session; external: 400 problem; unknown customer or service: 404', async () => {
    const jar = new Jar();
    const res = await jar.get(access(c, 'reading-room'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('window.close()');
    const v = await signer.verify('session', jar.cookies.get(sessionCookieName(c))!.value);
    expect(v.ok && v.claims).toMatchObject({ roles: ['room'], svc: 'reading-room' });
    const ext = await fetch(access(c, 'ip-range'));
    expect(ext.status).toBe(400);
    expect(ext.headers.get('content-type')).toContain('application/problem+json');
    for (const url of [
      access(999_999, 'clickthrough'),
      access(c, 'nope'),
      `${svc.base}/auth/v2/access/abc/clickthrough`,
      access(other, 'login'),
    ]) {
      const r = await fetch(url);
      expect(r.status).toBe(404);
      expect(await r.text()).not.toMatch(/at .*\.ts:\d+/);
    }
  });

  it('logout: ends the session, clears the cookie, publishes auth.session.ended.v1; the token service then refuses it', async () => {
    const jar = await clickthrough();
    const sid = (
      (await signer.verify('session', jar.cookies.get(sessionCookieName(c))!.value)) as {
        claims: { sid: string };
      }
    ).claims.sid;
    const cookie = jar.header(token(c, {}));
    const res = await jar.get(`${access(c, 'clickthrough')}/logout`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('logged out');
    expect(res.headers.getSetCookie().find((l) => l.startsWith(`${sessionCookieName(c)}=;`))).toMatch(
      /Max-Age=0/,
    );
    expect(jar.cookies.has(sessionCookieName(c))).toBe(false);
    const row = await svc.prisma.authSession.findUniqueOrThrow({ where: { id: sid } });
    expect(row.ended).not.toBeNull();
    const sent = await waitFor(
      async () => {
        const rows = await svc.prisma.outboxMessage.findMany({
          where: { routingKey: 'auth.session.ended.v1' },
        });
        const mine = rows.find(
          (r) => (r.envelope as { data?: { sessionId?: string } }).data?.sessionId === sid,
        );
        return mine?.sentAt ? mine : undefined;
      },
      { timeoutMs: 15_000, description: 'auth.session.ended.v1 published' },
    );
    expect((sent.envelope as { data: unknown }).data).toMatchObject({
      customerId: c,
      sessionId: sid,
      expires: expect.any(String),
    });
    // The old cookie, replayed, is worth nothing now.
    const replay = await fetch(token(c, { messageId: 'r', origin: ORIGIN }), { headers: { cookie } });
    expect(postedMessage(await replay.text()).message).toMatchObject({ profile: 'invalidAspect' });
    // A second logout (no cookie) still answers and publishes nothing new.
    expect((await jar.get(`${access(c, 'clickthrough')}/logout`)).status).toBe(200);
  });
});
