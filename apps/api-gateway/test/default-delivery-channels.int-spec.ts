/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { isProblem, seedCustomer, startTestGateway, type CallResult, type TestGateway } from './harness';

/**
 * Default delivery channels through the real gateway, Postgres and RabbitMQ (SPEC.md §1 "Default delivery
 * channels", §3.3): the customer's rules (copied from the platform's at customer creation) and a space's, CRUD,
 * one rule per mediaType and channel in a scope, and the asset write path choosing the space rule over the
 * customer rule.
 */
describe('default delivery channels (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let c: number;
  let otherKey: string;
  const C = () => `/customers/${c}/defaultDeliveryChannels`;
  const S = (s = 1) => `/customers/${c}/spaces/${s}/defaultDeliveryChannels`;
  const path = (r: CallResult) => r.headers.get('location')!.slice(gw.base.length);

  const fields = (r: CallResult): string[] => (r.json?.errors ?? []).map((e: any) => e.field);
  const expectStatus = (r: CallResult, status: number) =>
    expect({ status: r.status, problem: status >= 400 ? isProblem(r) : true }).toEqual({
      status,
      problem: true,
    });
  const expect400 = (r: CallResult, ...names: string[]) => {
    expectStatus(r, 400);
    expect(fields(r)).toEqual(expect.arrayContaining(names));
  };
  /** Registers an asset without delivery channels and returns the channels the platform gave it. */
  async function channelsOfNew(space: number, id: string, mediaType: string): Promise<string[]> {
    const r = await gw.call('PUT', `/customers/${c}/spaces/${space}/images/${id}`, {
      key,
      body: { origin: `https://example.org/${id}`, mediaType },
    });
    expect([201, 202]).toContain(r.status);
    return r.json.deliveryChannels.map((d: any) => `${d.channel}/${d.policy}`).sort();
  }

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    await gw.call('POST', `/customers/${c}/spaces`, { key, body: { name: 'second' } });
    const other = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'other', displayName: 'Other' } })
    ).json.id;
    const k = await gw.call('POST', `/customers/${other}/keys`, { key: admin });
    otherKey = `${k.json.key}:${k.json.secret}`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('lists the customer rules copied from the platform; own policies render as links that resolve', async () => {
    const res = await gw.call('GET', C(), { key });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ '@type': 'Collection', totalItems: 5 });
    const P = `${gw.base}/customers/${c}/deliveryChannelPolicies`;
    expect(res.json.member.map((m: any) => `${m.mediaType} ${m.channel} ${m.policy}`)).toEqual([
      'application/* file none',
      'audio/* iiif-av ' + `${P}/iiif-av/default-audio`,
      'image/* iiif-img default',
      'image/* thumbs ' + `${P}/thumbs/default`,
      'video/* iiif-av ' + `${P}/iiif-av/default-video`,
    ]);
    for (const m of res.json.member) {
      expect(m['@id']).toMatch(new RegExp(`^${gw.base}${C()}/[0-9a-f-]{36}$`));
      expect(m['@type']).toBe('vocab:DefaultDeliveryChannel');
      expect((await gw.call('GET', m['@id'].slice(gw.base.length), { key })).json).toEqual(m);
      if (m.policy.startsWith('http'))
        expect((await gw.call('GET', m.policy.slice(gw.base.length), { key })).status).toBe(200);
    }
    const filtered = await gw.call('GET', `${C()}?channel=iiif-av&orderByDescending=mediaType`, { key });
    expect(filtered.json.member.map((m: any) => m.mediaType)).toEqual(['video/*', 'audio/*']);
    expect400(await gw.call('GET', `${C()}?orderBy=policyData`, { key }), 'orderBy');
    const space = await gw.call('GET', S(), { key });
    expect(space.json).toMatchObject({ totalItems: 0, member: [] });
  });

  it('documents both scopes in OpenAPI', async () => {
    const doc = (await gw.call('GET', '/openapi.json')).json;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/customers/{customer}/defaultDeliveryChannels',
        '/customers/{customer}/defaultDeliveryChannels/{id}',
        '/customers/{customer}/spaces/{space}/defaultDeliveryChannels',
        '/customers/{customer}/spaces/{space}/defaultDeliveryChannels/{id}',
        '/customers/{customer}/deliveryChannelPolicies/{channel}/{name}',
        '/customers/{customer}/customHeaders/{id}',
        '/avPresets',
      ]),
    );
  });

  it('one rule per mediaType and channel in a scope: a duplicate → 409, the same in a space is fine', async () => {
    const dup = await gw.call('POST', C(), {
      key,
      body: { channel: 'iiif-img', policy: 'default', mediaType: 'image/*' },
    });
    expectStatus(dup, 409);
    // mediaType is compared case-insensitively (stored lower-case).
    expectStatus(
      await gw.call('POST', C(), {
        key,
        body: { channel: 'iiif-img', policy: 'default', mediaType: 'IMAGE/*' },
      }),
      409,
    );
    const space = await gw.call('POST', S(), {
      key,
      body: {
        '@type': 'vocab:DefaultDeliveryChannel',
        channel: 'iiif-img',
        policy: 'use-original',
        mediaType: 'Image/*',
      },
    });
    expectStatus(space, 201);
    expect(space.headers.get('location')).toMatch(new RegExp(`^${gw.base}${S()}/[0-9a-f-]{36}$`));
    expect(space.json).toMatchObject({
      '@id': space.headers.get('location'),
      '@type': 'vocab:DefaultDeliveryChannel',
      channel: 'iiif-img',
      policy: 'use-original',
      mediaType: 'image/*',
    });
    expect((await gw.call('GET', path(space), { key })).json).toEqual(space.json);
    expectStatus(
      await gw.call('POST', S(), {
        key,
        body: { channel: 'iiif-img', policy: 'default', mediaType: 'image/*' },
      }),
      409,
    );
    // The space's rule is not the customer's, nor another space's.
    expectStatus(await gw.call('GET', path(space).replace('/spaces/1', '/spaces/2'), { key }), 404);
    expectStatus(await gw.call('GET', `${C()}/${path(space).split('/').pop()}`, { key }), 404);
  });

  it('a new asset gets the space rule over the customer rule, whichever glob is longer (SPEC.md §1)', async () => {
    // Customer rules: image/* → iiif-img default + thumbs default (copies); space 1: image/* → iiif-img use-original.
    expect(await channelsOfNew(1, 'in-space-1.jpg', 'image/jpeg')).toEqual([
      'iiif-img/use-original',
      'thumbs/default',
    ]);
    expect(await channelsOfNew(2, 'in-space-2.jpg', 'image/jpeg')).toEqual([
      'iiif-img/default',
      'thumbs/default',
    ]);
    // A longer customer glob still loses to the space's rule; it wins in spaces without one.
    await gw.call('POST', `/customers/${c}/deliveryChannelPolicies/thumbs`, {
      key,
      body: { name: 'jpeg-thumbs', policyData: '["!50,50"]' },
    });
    const longer = await gw.call('POST', C(), {
      key,
      body: {
        channel: 'thumbs',
        policy: `${gw.base}/customers/${c}/deliveryChannelPolicies/thumbs/jpeg-thumbs`,
        mediaType: 'image/jpeg',
      },
    });
    expectStatus(longer, 201);
    expect(longer.json.policy).toBe(`${gw.base}/customers/${c}/deliveryChannelPolicies/thumbs/jpeg-thumbs`);
    const spaceThumbs = await gw.call('POST', S(), {
      key,
      body: { channel: 'thumbs', policy: 'default', mediaType: 'image/*' },
    });
    expectStatus(spaceThumbs, 201);
    expect(await channelsOfNew(1, 'jpeg-in-1.jpg', 'image/jpeg')).toEqual([
      'iiif-img/use-original',
      'thumbs/default',
    ]);
    expect(await channelsOfNew(2, 'jpeg-in-2.jpg', 'image/jpeg')).toEqual([
      'iiif-img/default',
      'thumbs/jpeg-thumbs',
    ]);
    expect(await channelsOfNew(2, 'png-in-2.png', 'image/png')).toEqual([
      'iiif-img/default',
      'thumbs/default',
    ]);
    // Explicit channels are never overridden by rules.
    const explicit = await gw.call('PUT', `/customers/${c}/spaces/1/images/explicit.jpg`, {
      key,
      body: { origin: 'https://example.org/e.jpg', mediaType: 'image/jpeg', deliveryChannels: ['iiif-img'] },
    });
    expect(explicit.json.deliveryChannels).toEqual([
      expect.objectContaining({ channel: 'iiif-img', policy: 'default' }),
    ]);
  });

  it('PUT replaces a rule (200); an unknown rule → 404, a clash → 409', async () => {
    const created = await gw.call('POST', S(2), {
      key,
      body: { channel: 'file', policy: 'none', mediaType: 'application/pdf' },
    });
    expectStatus(created, 201);
    const replaced = await gw.call('PUT', path(created), {
      key,
      body: { ...created.json, mediaType: 'application/zip' },
    });
    expectStatus(replaced, 200);
    expect(replaced.json).toMatchObject({
      '@id': created.json['@id'],
      channel: 'file',
      policy: 'none',
      mediaType: 'application/zip',
    });
    expect400(
      await gw.call('PUT', path(created), { key, body: { channel: 'file', policy: 'none' } }),
      'mediaType',
    );
    await gw.call('POST', S(2), { key, body: { channel: 'file', policy: 'none', mediaType: 'text/*' } });
    expectStatus(
      await gw.call('PUT', path(created), {
        key,
        body: { channel: 'file', policy: 'none', mediaType: 'text/*' },
      }),
      409,
    );
    const body = { channel: 'file', policy: 'none', mediaType: 'text/csv' };
    expectStatus(await gw.call('PUT', `${S(2)}/00000000-0000-4000-8000-00000000ffff`, { key, body }), 404);
    expectStatus(await gw.call('PUT', `${S(2)}/not-a-uuid`, { key, body }), 404);
    expectStatus(await gw.call('GET', `${C()}/not-a-uuid`, { key }), 404);
  });

  it('400 names every failed field: channel, policy (unknown, other channel), mediaType, fit', async () => {
    expect400(await gw.call('POST', C(), { key, body: {} }), 'channel', 'policy', 'mediaType');
    expect400(
      await gw.call('POST', C(), {
        key,
        body: { channel: 'iiif-image', policy: 'default', mediaType: 'image' },
      }),
      'channel',
      'mediaType',
    );
    const unknown = await gw.call('POST', C(), {
      key,
      body: { channel: 'thumbs', policy: 'huge', mediaType: 'image/png' },
    });
    expect400(unknown, 'policy');
    expect(unknown.json.errors[0].message).toMatch(/no thumbs policy "huge"/);
    expect400(
      await gw.call('POST', C(), {
        key,
        body: {
          channel: 'thumbs',
          policy: `${gw.base}/customers/${c}/deliveryChannelPolicies/iiif-av/default-video`,
          mediaType: 'image/png',
        },
      }),
      'policy',
    );
    expect400(
      await gw.call('POST', C(), {
        key,
        body: { channel: 'iiif-img', policy: 'default', mediaType: 'video/*' },
      }),
      'channel',
    );
    expect400(
      await gw.call('POST', C(), {
        key,
        body: { channel: 'iiif-av', policy: 'default-video', mediaType: '*/*' },
      }),
      'channel',
    );
    // A PDF's first page is an image (SPEC.md §4.3): application/pdf may take iiif-img; application/* may not.
    expectStatus(
      await gw.call('POST', C(), {
        key,
        body: { channel: 'iiif-img', policy: 'default', mediaType: 'application/pdf' },
      }),
      201,
    );
    expect400(
      await gw.call('POST', C(), {
        key,
        body: { channel: 'thumbs', policy: 'default', mediaType: 'application/*' },
      }),
      'channel',
    );
    expect400(
      await gw.call('POST', C(), {
        key,
        body: { channel: 'file', policy: 'none', mediaType: 'text/*', space: 1 },
      }),
      'space',
    );
  });

  it('DELETE removes a rule (204, then 404); unknown spaces → 404', async () => {
    const created = await gw.call('POST', S(2), {
      key,
      body: { channel: 'none', policy: 'none', mediaType: 'model/*' },
    });
    expectStatus(created, 201);
    expectStatus(await gw.call('DELETE', path(created), { key }), 204);
    expectStatus(await gw.call('GET', path(created), { key }), 404);
    expectStatus(await gw.call('DELETE', path(created), { key }), 404);
    expectStatus(await gw.call('GET', S(99), { key }), 404);
    expectStatus(
      await gw.call('POST', S(99), { key, body: { channel: 'file', policy: 'none', mediaType: 'text/*' } }),
      404,
    );
    expectStatus(
      await gw.call('GET', '/customers/' + c + '/spaces/zero/defaultDeliveryChannels', { key }),
      404,
    );
  });

  it("another customer's key gets 403 on every route and changes nothing", async () => {
    const before = await gw.prisma.defaultDeliveryChannel.findMany({
      where: { customerId: c },
      orderBy: { id: 'asc' },
    });
    const rule = before.find((r) => r.spaceId === 0)!;
    const body = { channel: 'file', policy: 'none', mediaType: 'font/*' };
    for (const [method, p, b] of [
      ['GET', C()],
      ['POST', C(), body],
      ['GET', `${C()}/${rule.id}`],
      ['PUT', `${C()}/${rule.id}`, body],
      ['DELETE', `${C()}/${rule.id}`],
      ['GET', S()],
      ['POST', S(), body],
    ] as const) {
      const r = await gw.call(method, p, { key: otherKey, body: b });
      expect({ method, p, status: r.status }).toEqual({ method, p, status: 403 });
      expect((await gw.call(method, p, { body: b })).status).toBe(401);
    }
    expect(
      await gw.prisma.defaultDeliveryChannel.findMany({ where: { customerId: c }, orderBy: { id: 'asc' } }),
    ).toEqual(before);
  });
});
