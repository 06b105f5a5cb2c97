import { revealOrigin, SecretBox } from '@vellum/secrets';
import { seedCustomer, startTestGateway, type TestGateway } from './harness';

/** SPEC.md §4.2 / §10: credentials in an origin are stored encrypted and never returned. */
describe('origin credentials (integration)', () => {
  let gw: TestGateway;
  let key: string;
  let c: number;
  const box = SecretBox.fromConfig({ nodeEnv: 'test' });
  const origin = 'https://reader:s3cr3t-pw@images.example.org/private/p1.jpg?token=abc';

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ key, customerId: c } = await seedCustomer(gw));
  });
  afterAll(async () => {
    await gw?.close();
  });

  const row = (id: string) =>
    gw.prisma.asset.findUniqueOrThrow({
      where: { customerId_spaceId_id: { customerId: c, spaceId: 1, id } },
    });

  it('stores the credentials sealed, renders them as xxx, and the orchestrator helper reveals them', async () => {
    const put = await gw.call('PUT', `/customers/${c}/spaces/1/images/cred-1`, {
      key,
      body: { origin, mediaType: 'image/jpeg' },
    });
    expect([201, 202]).toContain(put.status);
    expect(put.json.origin).toBe('https://xxx@images.example.org/private/p1.jpg?token=abc');
    expect(put.text).not.toContain('s3cr3t-pw');
    const stored = (await row('cred-1')).origin!;
    expect(stored).not.toContain('s3cr3t-pw');
    expect(stored).not.toContain('reader');
    expect(stored).toMatch(/^https:\/\/vellum-sealed:v1\./);
    expect(revealOrigin(stored, box)).toBe(origin);
    const get = await gw.call('GET', `/customers/${c}/spaces/1/images/cred-1`, { key });
    expect(get.json.origin).toBe(put.json.origin);
    const list = await gw.call('GET', `/customers/${c}/spaces/1/images`, { key });
    expect(list.text).not.toContain('s3cr3t-pw');
  });

  it('keeps the credentials when the rendered origin (or the same one) is sent back, without reingest', async () => {
    const before = await row('cred-1');
    await gw.prisma.asset.update({
      where: { customerId_spaceId_id: { customerId: c, spaceId: 1, id: 'cred-1' } },
      data: { ingesting: false },
    });
    const echo = await gw.call('PATCH', `/customers/${c}/spaces/1/images/cred-1`, {
      key,
      body: { origin: 'https://xxx@images.example.org/private/p1.jpg?token=abc', string1: 'echo' },
    });
    expect(echo.status).toBe(200);
    const same = await gw.call('PATCH', `/customers/${c}/spaces/1/images/cred-1`, { key, body: { origin } });
    expect(same.status).toBe(200);
    const after = await row('cred-1');
    expect(after.origin).toBe(before.origin);
    expect(after.ingestAttempt).toBe(before.ingestAttempt);
    const events = await gw.prisma.outboxMessage.findMany({ where: { routingKey: 'asset.updated.v1' } });
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events.map((e) => e.envelope))).not.toContain('s3cr3t-pw');
  });

  it('seals queue members too', async () => {
    const res = await gw.call('POST', `/customers/${c}/queue`, {
      key,
      body: { member: [{ space: 1, id: 'cred-q', origin, mediaType: 'image/jpeg' }] },
    });
    expect(res.status).toBe(201);
    const stored = (await row('cred-q')).origin!;
    expect(stored).not.toContain('s3cr3t-pw');
    expect(revealOrigin(stored, box)).toBe(origin);
  });
});
