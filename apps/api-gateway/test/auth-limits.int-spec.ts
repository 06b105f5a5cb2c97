import { basic, isProblem, seedCustomer, startTestGateway, type TestGateway } from './harness';

/** Failed-authentication limits through the real gateway (all test traffic comes from 127.0.0.1). */
describe('authentication limits (integration)', () => {
  let gw: TestGateway;
  let key: string;
  let c: number;

  beforeAll(async () => {
    gw = await startTestGateway({ VELLUM_AUTH_FAILURES_PER_ADDRESS: '5', VELLUM_AUTH_FAILURES_PER_KEY: '0' });
    ({ key, customerId: c } = await seedCustomer(gw));
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers a key no column can hold (NUL) with 401, not 500', async () => {
    const res = await gw.call('GET', `/customers/${c}`, { headers: basic('a\u0000b:secret') });
    expect(res.status).toBe(401);
  });

  it('answers 429 with Retry-After once an address has used up its failures; cached pairs keep working', async () => {
    const [k] = key.split(':');
    // The seed's requests left this pair in the verified cache.
    expect((await gw.call('GET', `/customers/${c}`, { key })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await gw.call('GET', `/customers/${c}`, { key: `${k}:wrong-${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    // 100 concurrent wrong secrets: at most one more reaches scrypt, the rest are refused at once.
    const flood = await Promise.all(
      Array.from({ length: 100 }, (_, i) => gw.call('GET', `/customers/${c}`, { key: `unknown-${i}:nope` })),
    );
    const refused = flood.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(99);
    expect(flood.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    const r = refused[0];
    expect(isProblem(r)).toBe(true);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await gw.call('GET', `/customers/${c}`, { key })).status).toBe(200);
  });
});
