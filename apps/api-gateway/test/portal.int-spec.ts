/**
 * The portal's routes on the gateway (issue 13; apps/api-gateway/src/portal): the built app at /portal/ (index.html
 * with no-cache for every client-side route, content-hashed assets cached for a year, a missing asset a 404
 * problem, no path escaping dist/, `/portal` redirected), and the 401 challenge for the portal's requests
 * (`X-Vellum-Client: portal` → `VellumBasic`, so browsers show no credentials dialog; every other client still
 * gets `Basic`). The portal package must be built (`turbo run build` builds it before the gateway).
 */
import { startTestGateway, type TestGateway } from './harness';

describe('portal (integration)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.close());

  it('serves index.html for /portal/ and its client-side routes, with no-cache and a CSP', async () => {
    for (const p of ['/portal/', '/portal/spaces/1/images/a.jpg', '/portal/batches/7?x=1']) {
      const r = await gw.call('GET', p);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(r.text).toContain('<div id="app">');
    }
    const redirect = await fetch(`${gw.base}/portal`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/portal/');
  });

  it('serves hashed assets for a year; a missing one or a path out of assets/ is not served', async () => {
    const html = (await gw.call('GET', '/portal/')).text;
    const js = /src="(\/portal\/assets\/[^"]+\.js)"/.exec(html)![1];
    const css = /href="(\/portal\/assets\/[^"]+\.css)"/.exec(html)![1];
    const a = await gw.call('GET', js);
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await gw.call('GET', css)).headers.get('content-type')).toMatch(/^text\/css/);
    const missing = await gw.call('GET', '/portal/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await gw.call('GET', '/portal/assets/..%2f..%2fpackage.json')).status).toBe(404);
  });

  it('answers the portal a 401 with a VellumBasic challenge, everyone else with Basic', async () => {
    const portal = await gw.call('GET', '/customers', {
      key: 'nobody:wrong',
      headers: { 'X-Vellum-Client': 'portal' },
    });
    expect(portal.status).toBe(401);
    expect(portal.headers.get('www-authenticate')).toBe('VellumBasic realm="Vellum"');
    expect(portal.json).toMatchObject({ status: 401 });
    const other = await gw.call('GET', '/customers', { key: 'nobody:wrong' });
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toBe('Basic realm="Vellum"');
  });
});
