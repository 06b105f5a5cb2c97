/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { randomBytes } from 'node:crypto';
import { isProblem, seedCustomer, startTestGateway, type CallResult, type TestGateway } from './harness';

/**
 * Inputs that used to answer 500 (issue 5): each must be a 400 problem naming the field; plus 405/415 and
 * unknown-field rejection on every write route. The fuzz suite (`fuzz.int-spec.ts`) keeps the class closed.
 */
describe('hostile input (integration)', () => {
  let gw: TestGateway;
  let key: string;
  let admin: string;
  let c: number;

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ key, admin, customerId: c } = await seedCustomer(gw));
  });
  afterAll(async () => {
    await gw?.close();
  });

  const fieldsOf = (r: CallResult): string[] => (r.json?.errors ?? []).map((e: any) => e.field);
  function expect400(r: CallResult, field: string): void {
    expect({ status: r.status, problem: isProblem(r), text: r.text.slice(0, 300) }).toMatchObject({
      status: 400,
      problem: true,
    });
    expect(fieldsOf(r)).toContain(field);
  }
  const asset = { origin: 'https://example.org/x.jpg', mediaType: 'image/jpeg' };
  const putAsset = (body: Record<string, unknown>) =>
    gw.call('PUT', `/customers/${c}/spaces/1/images/x1`, { key, body: { ...asset, ...body } });

  describe('U+0000', () => {
    it.each([
      ['string1', { string1: 'a\u0000b' }],
      ['origin', { origin: 'https://example.org/a\u0000.jpg' }],
      ['tags[0]', { tags: ['a\u0000'] }],
      ['manifests[0]', { manifests: ['m\u0000'] }],
      ['roles[0]', { roles: ['https://r.example/\u0000'] }],
    ])('in the asset body field %s', async (field, body) => {
      expect400(await putAsset(body), field);
    });
    it('in a space name and a customer displayName', async () => {
      expect400(await gw.call('POST', `/customers/${c}/spaces`, { key, body: { name: 'a\u0000' } }), 'name');
      expect400(
        await gw.call('POST', '/customers', { key: admin, body: { name: 'nul', displayName: 'x\u0000' } }),
        'displayName',
      );
    });
    it('in path segments', async () => {
      expect400(await gw.call('GET', '/customers/2%00/keys', { key: admin }), 'customer');
      expect400(await gw.call('GET', `/customers/${c}/spaces/1/images/a%00b`, { key }), 'id');
      expect400(await gw.call('DELETE', `/customers/${c}/keys/a%00b`, { key }), 'key');
    });
    it('in query values, q included', async () => {
      expect400(await gw.call('GET', `/customers/${c}/spaces/1/images?string1=a%00b`, { key }), 'string1');
      const q = encodeURIComponent(JSON.stringify({ string1: 'a\u0000' }));
      expect400(await gw.call('GET', `/customers/${c}/spaces/1/images?q=${q}`, { key }), 'q.string1');
    });
    it('null clears a space default on PATCH, and cannot remove the name', async () => {
      const s = await gw.call('POST', `/customers/${c}/spaces`, {
        key,
        body: { name: 'nulls', defaultMaxWidth: 5 },
      });
      const cleared = await gw.call('PATCH', `/customers/${c}/spaces/${s.json.id}`, {
        key,
        body: { defaultMaxWidth: null, defaultTags: null },
      });
      expect(cleared.status).toBe(200);
      expect(cleared.json.defaultMaxWidth).toBe(0);
      expect400(
        await gw.call('PATCH', `/customers/${c}/spaces/${s.json.id}`, { key, body: { name: null } }),
        'name',
      );
    });
    it('in an object key of the body', async () => {
      const r = await putAsset({ 'a\u0000': 1 });
      expect(r.status).toBe(400);
      expect(isProblem(r)).toBe(true);
    });
  });

  describe('integers beyond the int4 columns', () => {
    it.each(['number1', 'number2', 'number3', 'maxWidth', 'openFullMax', 'openMaxWidth', 'space'])(
      'asset %s = 3000000000 and 1e308',
      async (field) => {
        expect400(await putAsset({ [field]: 3_000_000_000 }), field);
        const raw = JSON.stringify({ ...asset }).replace(/}$/, `,"${field}":1e308}`);
        expect400(await gw.call('PUT', `/customers/${c}/spaces/1/images/x1`, { key, raw }), field);
      },
    );
    it.each(['defaultMaxWidth', 'defaultOpenFullMax', 'defaultOpenMaxWidth'])('space %s', async (field) => {
      expect400(
        await gw.call('POST', `/customers/${c}/spaces`, { key, body: { name: `s-${field}`, [field]: 3e9 } }),
        field,
      );
    });
    it('in queue members and query filters', async () => {
      const r = await gw.call('POST', `/customers/${c}/queue`, {
        key,
        body: { member: [{ ...asset, id: 'q1', space: 1, number1: 3e9 }] },
      });
      expect400(r, 'member[0].number1');
      expect400(
        await gw.call('GET', `/customers/${c}/spaces/1/images?number1=3000000000`, { key }),
        'number1',
      );
      expect400(await gw.call('GET', `/customers/${c}/spaces?page=9007199254740991`, { key }), 'page');
    });
  });

  it('bounds JSON nesting at the body parser (3,000 deep in 6 KB → 400)', async () => {
    const raw = `{"string1":${'['.repeat(3000)}${']'.repeat(3000)}}`;
    const r = await gw.call('PUT', `/customers/${c}/spaces/1/images/x1`, { key, raw });
    expect(r.status).toBe(400);
    expect(isProblem(r)).toBe(true);
    expect(r.json.detail).toMatch(/nest/i);
  });

  it('enforces the documented maximum length of string1 (1,000 characters)', async () => {
    const long = randomBytes(3000).toString('base64').slice(0, 3000);
    expect400(await putAsset({ string1: long }), 'string1');
    expect400(await putAsset({ tags: ['x'.repeat(201)] }), 'tags');
    expect400(await putAsset({ mediaType: `image/jpeg;${'x'.repeat(300)}` }), 'mediaType');
  });

  it('refuses lone surrogates in strings', async () => {
    const raw = JSON.stringify(asset).replace(/}$/, ',"string2":"a\\ud800b"}');
    expect400(await gw.call('PUT', `/customers/${c}/spaces/1/images/x1`, { key, raw }), 'string2');
    expect400(await gw.call('GET', `/customers/${c}/spaces/1/images/a%ED%A0%80`, { key }), 'id');
  });

  it('refuses a malformed %-escape in a policy URL', async () => {
    const r = await putAsset({
      deliveryChannels: [
        {
          channel: 'iiif-img',
          policy: 'https://api.example/customers/1/deliveryChannelPolicies/iiif-img/%E0%A4%A',
        },
      ],
    });
    expect400(r, 'deliveryChannels[0].policy');
  });

  it('answers a malformed %-escape in the path with a 400 problem', async () => {
    const r = await gw.call('GET', `/customers/${c}/spaces/1/images/%E0%A4%A`, { key });
    expect(r.status).toBe(400);
    expect(isProblem(r)).toBe(true);
  });

  it('answers 405 with Allow for a known path and an unknown method', async () => {
    const r = await gw.call('DELETE', '/customers', { key: admin });
    expect(r.status).toBe(405);
    expect(isProblem(r)).toBe(true);
    expect(r.headers.get('allow')).toBe('GET, HEAD, POST');
    const keys = await gw.call('PATCH', `/customers/${c}/keys/abc`, { key });
    expect(keys.status).toBe(405);
    expect(keys.headers.get('allow')).toBe('DELETE, GET, HEAD');
    expect((await gw.call('GET', '/no/such/path', { key })).status).toBe(404);
  });

  it('answers 415 for a body in another charset than UTF-8', async () => {
    const body = Buffer.from(JSON.stringify({ name: 'utf16' }), 'utf16le');
    const declared = await gw.call('POST', `/customers/${c}/spaces`, {
      key,
      raw: body,
      headers: { 'Content-Type': 'application/json; charset=utf-16le' },
    });
    expect(declared.status).toBe(415);
    expect(isProblem(declared)).toBe(true);
    const latin = await gw.call('POST', `/customers/${c}/spaces`, {
      key,
      raw: Buffer.from('{"name":"caf\xe9"}', 'latin1'),
      headers: { 'Content-Type': 'application/json; charset=iso-8859-1' },
    });
    expect(latin.status).toBe(415);
    const sniffed = await gw.call('POST', `/customers/${c}/spaces`, {
      key,
      raw: Buffer.concat([Buffer.from([0xff, 0xfe]), body]),
    });
    expect(sniffed.status).toBe(415);
    const invalid = await gw.call('POST', `/customers/${c}/spaces`, {
      key,
      raw: Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    });
    expect(invalid.status).toBe(400);
    expect(isProblem(invalid)).toBe(true);
  });

  it('rejects unknown fields on every write route', async () => {
    expect400(
      await gw.call('POST', '/customers', {
        key: admin,
        body: { name: 'evil', displayName: 'Evil', isAdmin: true },
      }),
      'isAdmin',
    );
    expect(await gw.prisma.customer.count({ where: { name: 'evil' } })).toBe(0);
    expect400(await gw.call('POST', `/customers/${c}/keys`, { key, body: { isAdmin: true } }), 'isAdmin');
    expect400(
      await gw.call('POST', `/customers/${c}/queue`, {
        key,
        body: { member: [{ ...asset, id: 'u1', space: 1 }], bogus: 1 },
      }),
      'bogus',
    );
    // Echoed JSON-LD members stay accepted.
    const ok = await gw.call('POST', `/customers/${c}/keys`, { key, body: { '@type': 'vocab:ApiKey' } });
    expect(ok.status).toBe(201);
  });
});
