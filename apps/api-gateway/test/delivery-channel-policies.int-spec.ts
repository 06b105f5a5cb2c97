/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { isProblem, seedCustomer, startTestGateway, type CallResult, type TestGateway } from './harness';

/**
 * Delivery channel policies and AV presets through the real gateway, Postgres and RabbitMQ (SPEC.md §1, §3.3,
 * §4.4): the per-channel collections, the customer's own thumbs/iiif-av policies next to the shared system
 * ones, policyData validation, names unique per channel, delete refused while in use, tenant isolation.
 */
describe('delivery channel policies (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let c: number;
  let otherKey: string;
  let other: number;
  const P = () => `/customers/${c}/deliveryChannelPolicies`;

  const fields = (r: CallResult): string[] => (r.json?.errors ?? []).map((e: any) => e.field);
  const expect400 = (r: CallResult, ...names: string[]) => {
    expect({ status: r.status, problem: isProblem(r) }).toEqual({ status: 400, problem: true });
    expect(fields(r)).toEqual(expect.arrayContaining(names));
  };
  /** Every link-valued member of `body` (absolute URLs on this API) answers GET 200 with `k`. */
  async function expectLinksResolve(body: any, k: string): Promise<void> {
    const urls = Object.entries(body)
      .filter(([name, v]) => name !== '@context' && typeof v === 'string' && v.startsWith(gw.base))
      .map(([, v]) => v as string);
    for (const u of urls)
      expect({ u, status: (await gw.call('GET', u.slice(gw.base.length), { key: k })).status }).toEqual({
        u,
        status: 200,
      });
  }

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    other = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'other', displayName: 'Other' } })
    ).json.id;
    const k = await gw.call('POST', `/customers/${other}/keys`, { key: admin });
    otherKey = `${k.json.key}:${k.json.secret}`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  describe('GET /avPresets (public)', () => {
    it('lists the transcoder presets without credentials, pages, filters and orders them', async () => {
      const all = await gw.call('GET', '/avPresets');
      expect(all.status).toBe(200);
      expect(all.json).toMatchObject({ '@type': 'Collection', totalItems: 7 });
      expect(all.json.member.map((m: any) => m.name)).toEqual([
        'audio-mp3-128',
        'audio-mp3-192',
        'audio-aac-128',
        'video-mp4-480p',
        'video-mp4-720p',
        'video-mp4-1080p',
        'video-webm-720p',
      ]);
      expect(all.json.member[4]).toMatchObject({
        '@id': `${gw.base}/avPresets/video-mp4-720p`,
        '@type': 'vocab:AvPreset',
        kind: 'video',
        mediaType: 'video/mp4',
        video: { codec: 'h264', maxHeight: 720 },
      });
      for (const m of all.json.member)
        expect((await gw.call('GET', m['@id'].slice(gw.base.length))).json).toEqual(m);
      const audio = await gw.call('GET', '/avPresets?kind=audio&orderByDescending=name');
      expect(audio.json.member.map((m: any) => m.name)).toEqual([
        'audio-mp3-192',
        'audio-mp3-128',
        'audio-aac-128',
      ]);
      const paged = await gw.call('GET', '/avPresets?pageSize=3&page=2');
      expect(paged.json.member.map((m: any) => m.name)).toEqual([
        'video-mp4-480p',
        'video-mp4-720p',
        'video-mp4-1080p',
      ]);
      expect(paged.json.view).toMatchObject({ page: 2, totalPages: 3 });
      expect400(await gw.call('GET', '/avPresets?orderBy=bitrate'), 'orderBy');
      const missing = await gw.call('GET', '/avPresets/video-mp4-2160p');
      expect({ status: missing.status, problem: isProblem(missing) }).toEqual({ status: 404, problem: true });
    });

    it('is linked from the entry point', async () => {
      const root = await gw.call('GET', '/');
      expect(root.json.avPresets).toBe(`${gw.base}/avPresets`);
    });
  });

  describe('collections', () => {
    it('C/deliveryChannelPolicies: one sub-collection per channel, each resolving, linked from the customer', async () => {
      const res = await gw.call('GET', P(), { key });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ '@type': 'Collection', totalItems: 4 });
      expect(res.json.member.map((m: any) => m['@id'])).toEqual(
        ['iiif-img', 'thumbs', 'iiif-av', 'file'].map((ch) => `${gw.base}${P()}/${ch}`),
      );
      for (const m of res.json.member) {
        expect(m).toMatchObject({ '@type': 'Collection', title: expect.any(String) });
        expect((await gw.call('GET', m['@id'].slice(gw.base.length), { key })).status).toBe(200);
      }
      const customer = await gw.call('GET', `/customers/${c}`, { key });
      expect(customer.json).toMatchObject({
        deliveryChannelPolicies: `${gw.base}${P()}`,
        defaultDeliveryChannels: `${gw.base}/customers/${c}/defaultDeliveryChannels`,
        customHeaders: `${gw.base}/customers/${c}/customHeaders`,
      });
      await expectLinksResolve(customer.json, key);
    });

    it("lists the system policies next to the customer's own copies of the defaults", async () => {
      const img = await gw.call('GET', `${P()}/iiif-img`, { key });
      expect(img.json.member.map((m: any) => [m.name, m.system])).toEqual([
        ['default', true],
        ['use-original', true],
      ]);
      expect(img.json.member[0]).toMatchObject({
        '@id': `${gw.base}${P()}/iiif-img/default`,
        '@type': 'vocab:DeliveryChannelPolicy',
        channel: 'iiif-img',
        created: expect.any(String),
      });
      expect(img.json.member[0].policyData).toBeUndefined();
      const file = await gw.call('GET', `${P()}/file`, { key });
      expect(file.json.member.map((m: any) => m.name)).toEqual(['none']);
      // thumbs/default and the iiif-av defaults are the customer's own copies (SPEC.md §3.3 "Customers").
      const thumbs = await gw.call('GET', `${P()}/thumbs`, { key });
      expect(thumbs.json.member).toEqual([
        expect.objectContaining({
          name: 'default',
          system: false,
          policyData: '["!1024,1024","!400,400","!200,200","!100,100"]',
        }),
      ]);
      const av = await gw.call('GET', `${P()}/iiif-av?orderBy=name`, { key });
      expect(av.json.member.map((m: any) => [m.name, m.policyData])).toEqual([
        ['default-audio', '["audio-mp3-128"]'],
        ['default-video', '["video-mp4-720p"]'],
      ]);
      expect400(await gw.call('GET', `${P()}/thumbs?orderBy=policyData`, { key }), 'orderBy');
    });

    it('an unknown channel → 400 naming channel (none has no policy collection)', async () => {
      expect400(await gw.call('GET', `${P()}/foo`, { key }), 'channel');
      expect400(await gw.call('GET', `${P()}/none`, { key }), 'channel');
      expect400(await gw.call('GET', `${P()}/none/none`, { key }), 'channel');
      expect400(
        await gw.call('POST', `${P()}/thumbnail`, { key, body: { name: 'x', policyData: '["1,"]' } }),
        'channel',
      );
    });
  });

  describe('writes', () => {
    it('POST creates a thumbs policy (201 + Location) that resolves and that assets may name', async () => {
      const res = await gw.call('POST', `${P()}/thumbs`, {
        key,
        body: { name: 'small', displayName: 'Small thumbs', policyData: '["!200,200","^100,"]' },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`${gw.base}${P()}/thumbs/small`);
      expect(res.json).toMatchObject({
        '@context': 'https://dlcs.github.io/vocab/context/future.json',
        '@id': `${gw.base}${P()}/thumbs/small`,
        '@type': 'vocab:DeliveryChannelPolicy',
        name: 'small',
        displayName: 'Small thumbs',
        channel: 'thumbs',
        policyData: '["!200,200","^100,"]',
        system: false,
        created: expect.stringMatching(/Z$/),
        modified: expect.stringMatching(/Z$/),
      });
      expect((await gw.call('GET', `${P()}/thumbs/small`, { key })).json).toEqual(res.json);
      const asset = await gw.call('PUT', `/customers/${c}/spaces/1/images/uses-small`, {
        key,
        body: {
          origin: 'https://example.org/s.jpg',
          mediaType: 'image/jpeg',
          deliveryChannels: [
            { channel: 'iiif-img', policy: 'default' },
            { channel: 'thumbs', policy: `${gw.base}${P()}/thumbs/small` },
          ],
        },
      });
      expect([201, 202]).toContain(asset.status);
      expect(asset.json.deliveryChannels).toContainEqual(
        expect.objectContaining({ channel: 'thumbs', policy: 'small' }),
      );
      // A policy the customer does not have is still refused on the asset write path.
      expect400(
        await gw.call('PUT', `/customers/${c}/spaces/1/images/uses-nothing`, {
          key,
          body: {
            origin: 'https://example.org/s.jpg',
            mediaType: 'image/jpeg',
            deliveryChannels: [{ channel: 'thumbs', policy: 'large' }],
          },
        }),
        'deliveryChannels[0].policy',
      );
    });

    it('displayName defaults to the name; iiif-av policies name presets of GET /avPresets', async () => {
      const res = await gw.call('POST', `${P()}/iiif-av`, {
        key,
        body: { name: 'hd', policyData: '["video-mp4-1080p","audio-mp3-192"]' },
      });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({
        name: 'hd',
        displayName: 'hd',
        policyData: '["video-mp4-1080p","audio-mp3-192"]',
      });
      const bad = await gw.call('POST', `${P()}/iiif-av`, {
        key,
        body: { name: 'webm', policyData: '["video-webm"]' },
      });
      expect400(bad, 'policyData');
      expect(bad.json.errors[0].message).toMatch(/"video-webm" is not an AV preset/);
    });

    it('400 names every failed field', async () => {
      const r = await gw.call('POST', `${P()}/thumbs`, {
        key,
        body: { name: 'Bad Name', displayName: 7, policyData: '["max","!200,200","!200,200","pct:50"]' },
      });
      expect400(r, 'name', 'displayName', 'policyData');
      expect(r.json.errors.filter((e: any) => e.field === 'policyData')).toHaveLength(3);
      expect400(
        await gw.call('POST', `${P()}/thumbs`, { key, body: { displayName: 'x' } }),
        'name',
        'policyData',
      );
      expect400(
        await gw.call('POST', `${P()}/thumbs`, { key, body: { name: 'x', policyData: '[]' } }),
        'policyData',
      );
      expect400(
        await gw.call('POST', `${P()}/thumbs`, { key, body: { name: 'x', policyData: ['!1,1'] } }),
        'policyData',
      );
      expect400(
        await gw.call('POST', `${P()}/thumbs`, { key, body: { name: 'x', policyData: '["200,100"]' } }),
        'policyData',
      );
      expect400(
        await gw.call('POST', `${P()}/thumbs`, {
          key,
          body: { name: 'x', policyData: '["1,"]', colour: 'red' },
        }),
        'colour',
      );
      expect400(
        await gw.call('POST', `${P()}/thumbs`, {
          key,
          body: { name: 'x', policyData: '["1,"]', channel: 'iiif-av' },
        }),
        'channel',
      );
      // iiif-img and file policies are the platform's (as in the DLCS): no customer policies there.
      expect400(
        await gw.call('POST', `${P()}/iiif-img`, { key, body: { name: 'mine', policyData: '["default"]' } }),
        'channel',
      );
      expect400(await gw.call('PUT', `${P()}/file/mine`, { key, body: { policyData: '["x"]' } }), 'channel');
      expect((await gw.call('GET', `${P()}/thumbs/x`, { key })).status).toBe(404);
    });

    it('names are unique per channel: POST of a taken name → 409, the same name on another channel is fine', async () => {
      const dup = await gw.call('POST', `${P()}/thumbs`, {
        key,
        body: { name: 'small', policyData: '["1,"]' },
      });
      expect({ status: dup.status, problem: isProblem(dup) }).toEqual({ status: 409, problem: true });
      expect(
        (await gw.call('POST', `${P()}/thumbs`, { key, body: { name: 'default', policyData: '["1,"]' } }))
          .status,
      ).toBe(409);
      const av = await gw.call('POST', `${P()}/iiif-av`, {
        key,
        body: { name: 'small', policyData: '["audio-mp3-128"]' },
      });
      expect(av.status).toBe(201);
    });

    it('PUT creates (201) or replaces (200); the URL names it', async () => {
      const created = await gw.call('PUT', `${P()}/thumbs/tiny`, { key, body: { policyData: '[",50"]' } });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`${gw.base}${P()}/thumbs/tiny`);
      expect(created.json).toMatchObject({ name: 'tiny', displayName: 'tiny', policyData: '[",50"]' });
      const replaced = await gw.call('PUT', `${P()}/thumbs/tiny`, {
        key,
        body: { ...created.json, displayName: 'Tiny', policyData: '["!60,60"]' },
      });
      expect(replaced.status).toBe(200);
      expect(replaced.json).toMatchObject({
        name: 'tiny',
        displayName: 'Tiny',
        policyData: '["!60,60"]',
        created: created.json.created,
      });
      expect400(
        await gw.call('PUT', `${P()}/thumbs/tiny`, { key, body: { name: 'other', policyData: '["1,"]' } }),
        'name',
      );
      expect400(
        await gw.call('PUT', `${P()}/thumbs/tiny`, { key, body: { displayName: 'no data' } }),
        'policyData',
      );
      expect400(
        await gw.call('PUT', `${P()}/thumbs/Not_OK`, { key, body: { policyData: '["1,"]' } }),
        'name',
      );
    });

    it('PATCH changes only what is sent; 404 for a policy the customer does not have', async () => {
      const res = await gw.call('PATCH', `${P()}/thumbs/tiny`, { key, body: { displayName: 'Tiny thumbs' } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ displayName: 'Tiny thumbs', policyData: '["!60,60"]' });
      const data = await gw.call('PATCH', `${P()}/thumbs/tiny`, { key, body: { policyData: '["!70,70"]' } });
      expect(data.json).toMatchObject({ displayName: 'Tiny thumbs', policyData: '["!70,70"]' });
      expect400(
        await gw.call('PATCH', `${P()}/thumbs/tiny`, { key, body: { policyData: null } }),
        'policyData',
      );
      expect400(
        await gw.call('PATCH', `${P()}/thumbs/tiny`, {
          key,
          body: { policyData: '["max"]', displayName: null },
        }),
        'policyData',
        'displayName',
      );
      const missing = await gw.call('PATCH', `${P()}/thumbs/nope`, { key, body: { displayName: 'x' } });
      expect({ status: missing.status, problem: isProblem(missing) }).toEqual({ status: 404, problem: true });
      expect((await gw.call('GET', `${P()}/thumbs/nope`, { key })).status).toBe(404);
      expect((await gw.call('GET', `${P()}/thumbs/${encodeURIComponent('Ünïcode')}`, { key })).status).toBe(
        404,
      );
    });

    it('system policies are visible to every customer and read-only (403); their names are taken (409)', async () => {
      await gw.prisma.deliveryChannelPolicy.create({
        data: {
          customerId: 0,
          channel: 'thumbs',
          name: 'platform-sizes',
          displayName: 'Platform',
          system: true,
          policyData: ['!300,300'],
        },
      });
      for (const k of [key, otherKey]) {
        const cid = k === key ? c : other;
        const got = await gw.call('GET', `/customers/${cid}/deliveryChannelPolicies/thumbs/platform-sizes`, {
          key: k,
        });
        expect(got.json).toMatchObject({ name: 'platform-sizes', system: true, policyData: '["!300,300"]' });
      }
      const list = await gw.call('GET', `${P()}/thumbs`, { key });
      expect(list.json.member.map((m: any) => m.name)).toContain('platform-sizes');
      for (const [method, body] of [
        ['PUT', { policyData: '["1,"]' }],
        ['PATCH', { displayName: 'mine now' }],
        ['DELETE', undefined],
      ] as const) {
        const r = await gw.call(method, `${P()}/thumbs/platform-sizes`, { key, body });
        expect({ method, status: r.status, problem: isProblem(r) }).toEqual({
          method,
          status: 403,
          problem: true,
        });
      }
      expect(
        (
          await gw.call('POST', `${P()}/thumbs`, {
            key,
            body: { name: 'platform-sizes', policyData: '["1,"]' },
          })
        ).status,
      ).toBe(409);
      const row = await gw.prisma.deliveryChannelPolicy.findFirst({
        where: { customerId: 0, name: 'platform-sizes' },
      });
      expect(row).toMatchObject({ displayName: 'Platform', policyData: ['!300,300'] });
      expect(await gw.prisma.deliveryChannelPolicy.count({ where: { name: 'platform-sizes' } })).toBe(1);
    });
  });

  describe('DELETE', () => {
    it('→ 409 while an asset names the policy, 204 once none does', async () => {
      const inUse = await gw.call('DELETE', `${P()}/thumbs/small`, { key });
      expect({ status: inUse.status, problem: isProblem(inUse) }).toEqual({ status: 409, problem: true });
      expect(inUse.json.detail).toMatch(/1 asset/);
      expect((await gw.call('GET', `${P()}/thumbs/small`, { key })).status).toBe(200);
      await gw.prisma.asset.update({
        where: { customerId_spaceId_id: { customerId: c, spaceId: 1, id: 'uses-small' } },
        data: { deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }] },
      });
      expect((await gw.call('DELETE', `${P()}/thumbs/small`, { key })).status).toBe(204);
      expect((await gw.call('GET', `${P()}/thumbs/small`, { key })).status).toBe(404);
      expect((await gw.call('DELETE', `${P()}/thumbs/small`, { key })).status).toBe(404);
    });

    it('→ 409 while a default delivery channel rule names it (the copied thumbs/default: its rule and assets)', async () => {
      const res = await gw.call('DELETE', `${P()}/thumbs/default`, { key });
      expect(res.status).toBe(409);
      expect(res.json.detail).toMatch(/default delivery channel rule/);
      await gw.call('POST', `${P()}/iiif-av`, {
        key,
        body: { name: 'ruled', policyData: '["audio-mp3-192"]' },
      });
      const rule = await gw.call('POST', `/customers/${c}/spaces/1/defaultDeliveryChannels`, {
        key,
        body: { channel: 'iiif-av', policy: 'ruled', mediaType: 'audio/mpeg' },
      });
      expect(rule.status).toBe(201);
      const blocked = await gw.call('DELETE', `${P()}/iiif-av/ruled`, { key });
      expect(blocked.status).toBe(409);
      expect(blocked.json.detail).toMatch(/1 default delivery channel rule/);
      expect(
        (await gw.call('DELETE', rule.headers.get('location')!.slice(gw.base.length), { key })).status,
      ).toBe(204);
      expect((await gw.call('DELETE', `${P()}/iiif-av/ruled`, { key })).status).toBe(204);
    });
  });

  describe('tenant isolation', () => {
    it("another customer's key gets 403 on every route and changes nothing", async () => {
      const before = await gw.prisma.deliveryChannelPolicy.findMany({
        where: { customerId: c },
        orderBy: { name: 'asc' },
      });
      const routes: [string, string, unknown?][] = [
        ['GET', P()],
        ['GET', `${P()}/thumbs`],
        ['POST', `${P()}/thumbs`, { name: 'intruder', policyData: '["1,"]' }],
        ['GET', `${P()}/thumbs/tiny`],
        ['PUT', `${P()}/thumbs/tiny`, { policyData: '["2,"]' }],
        ['PATCH', `${P()}/thumbs/tiny`, { displayName: 'hacked' }],
        ['DELETE', `${P()}/thumbs/tiny`],
      ];
      for (const [method, path, body] of routes) {
        const r = await gw.call(method, path, { key: otherKey, body });
        expect({ method, path, status: r.status }).toEqual({ method, path, status: 403 });
        expect((await gw.call(method, path, { body })).status).toBe(401);
      }
      expect(
        await gw.prisma.deliveryChannelPolicy.findMany({
          where: { customerId: c },
          orderBy: { name: 'asc' },
        }),
      ).toEqual(before);
      // Its own view holds none of acme's policies.
      expect(
        (await gw.call('GET', `/customers/${other}/deliveryChannelPolicies/thumbs/tiny`, { key: otherKey }))
          .status,
      ).toBe(404);
      const theirs = await gw.call('GET', `/customers/${other}/deliveryChannelPolicies/thumbs`, {
        key: otherKey,
      });
      expect(theirs.json.member.map((m: any) => m.name).sort()).toEqual(['default', 'platform-sizes']);
    });
  });
});
