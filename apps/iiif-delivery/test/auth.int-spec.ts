import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { AuthSigner, sessionCookieName } from '@vellum/access';
import { bootstrapService, validateEnv } from '@vellum/common';
import { AuthSessionEndedV1, CustomerAccessControlChangedV1 } from '@vellum/contracts';
import { createPrismaClient, type Prisma, type PrismaClient } from '@vellum/db';
import { createTransport, MessagePublisher } from '@vellum/messaging';
import {
  bucketsFromEnv,
  createObjectStore,
  type ObjectStore,
  pyramidKey,
  thumbnailKey,
} from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  type TestDatabase,
  type TestVhost,
  waitFor,
} from '@vellum/testing';
import sharp from 'sharp';
import { deliveryRootModule, SERVICE_NAME } from '../src/app.module';
import { DeliveryEnv } from '../src/env';
import { configureDeliveryApp, DELIVERY_CLIENT_ERROR_HEADERS } from '../src/main';

/**
 * IIIF Authorization Flow 2.0 on iiif-delivery (SPEC.md §5, §6, seed 004), against real Postgres, RabbitMQ and a
 * filesystem store: the service tree in info.json (3.0 and 2.1) and manifests, the probe service, tiles and bytes
 * with bearer tokens and session cookies (made here with AuthSigner, as auth-service makes them), refusals (none,
 * another role, another customer, expired, forged, revoked by `auth.session.ended.v1`), the open substitute
 * service, open thumbnails, `Cache-Control: private`, and `customer.access-control.changed.v1`.
 */

jest.setTimeout(120_000);

const PUBLIC = 'https://images.example.org';
const AUTH = 'https://auth.example.org';
const KEY = 'a'.repeat(64);
const OTHER_KEY = 'b'.repeat(64);
const SPACE = 5;
const W = 2000;
const H = 1500;
/** Thumbnails made for the assets (longest edge 100, 200, 400, 1200; none a pyramid level size). */
const SIZES = [
  { width: 100, height: 75 },
  { width: 200, height: 150 },
  { width: 400, height: 300 },
  { width: 1200, height: 900 },
];
const AUTH_CONTEXT = 'http://iiif.io/api/auth/2/context.json';

let db: TestDatabase;
let vhost: TestVhost;
let prisma: PrismaClient;
let store: ObjectStore;
let app: INestApplication;
let storageRoot: string;
let cacheDir: string;
let baseUrl: string;
let c = 0;
let otherCustomer = 0;
const signer = AuthSigner.fromConfig({ key: KEY, production: true });
const forger = AuthSigner.fromConfig({ key: OTHER_KEY, production: true });

async function get(p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return fetch(`${baseUrl}${p}`, { headers, method, redirect: 'manual' });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response): Promise<any> {
  return res.json();
}

/** An access token of customer `cid` granting `roles`. */
function token(roles: string[], opts: { cid?: number; sid?: string; ttl?: number; now?: number } = {}) {
  return signer.sign(
    'access',
    { sid: opts.sid ?? 'session-1', cid: opts.cid ?? c, roles, svc: 'login' },
    opts.ttl ?? 600,
    opts.now,
  );
}

const bearer = async (roles: string[], opts = {}) => ({
  Authorization: `Bearer ${await token(roles, opts)}`,
});

async function cookie(roles: string[], sid = 'session-2'): Promise<Record<string, string>> {
  const value = await signer.sign('session', { sid, cid: c, roles, svc: 'login' }, 600);
  return { Cookie: `other=1; ${sessionCookieName(c)}=${value}` };
}

const img = (id: string, rest: string, slug = '') => `/iiif-img/${slug}${c}/${SPACE}/${id}${rest}`;
/** A canonical 512-px tile at full resolution. */
const TILE = '/0,0,512,512/512,/0/default.jpg';

beforeAll(async () => {
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-auth-store-'));
  cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-auth-cache-'));
  const env = validateEnv(DeliveryEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_DELIVERY_URL: PUBLIC,
    VELLUM_AUTH_URL: AUTH,
    VELLUM_AUTH_SIGNING_KEY: KEY,
    VELLUM_STORAGE_ROOT: storageRoot,
    VELLUM_DELIVERY_CACHE_DIR: cacheDir,
    VELLUM_DELIVERY_LOOKUP_TTL_MS: '600000',
    SERVICE_INSTANCE: `delivery-auth-test-${vhost.id}`,
  });
  const buckets = bucketsFromEnv(env);
  store = createObjectStore({ driver: 'fs', root: storageRoot });
  await store.ensureBucket(buckets.derivatives);
  await store.ensureBucket(buckets.thumbnails);
  prisma = createPrismaClient(db.url);

  const customer = await prisma.customer.create({ data: { name: 'auth-test', displayName: 'Auth test' } });
  c = customer.id;
  otherCustomer = (await prisma.customer.create({ data: { name: 'other', displayName: 'Other' } })).id;
  await prisma.space.create({ data: { customerId: c, id: SPACE, name: 'photos' } });
  await prisma.roleProvider.createMany({
    data: [
      { customerId: c, name: 'clickthrough', type: 'clickthrough' },
      { customerId: c, name: 'accounts', type: 'builtin' },
    ],
  });
  await prisma.accessService.createMany({
    data: [
      {
        customerId: c,
        name: 'clickthrough',
        profile: 'active',
        label: { en: ['Terms of use'] },
        heading: { en: ['Please read the terms'] },
        note: { en: ['These images are for research.'] },
        confirmLabel: { en: ['Accept the terms'] },
        roleProvider: 'clickthrough',
      },
      {
        customerId: c,
        name: 'login',
        profile: 'active',
        label: { en: ['Log in'] },
        roleProvider: 'accounts',
      },
      {
        customerId: c,
        name: 'campus',
        profile: 'external',
        label: { en: ['On campus'] },
        roleProvider: 'accounts',
      },
    ],
  });
  await prisma.role.createMany({
    data: [
      { customerId: c, name: 'staff', label: { en: ['Staff'] }, accessService: 'login' },
      { customerId: c, name: 'reading-room', label: { en: ['Readers'] }, accessService: 'clickthrough' },
      { customerId: c, name: 'campus', label: { en: ['Campus'] }, accessService: 'campus' },
      { customerId: c, name: 'other', label: { en: ['Other'] }, accessService: 'login' },
    ],
  });

  const source = sharp({ create: { width: W, height: H, channels: 3, background: '#7a8a9a' } });
  const pyramid = await source
    .clone()
    .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 80 })
    .toBuffer();
  const bytes = Buffer.from('restricted bytes '.repeat(64));

  async function derivativesOf(id: string, openEdge: number): Promise<Prisma.InputJsonObject> {
    const ref = { customerId: c, spaceId: SPACE, assetId: id };
    await store.put(buckets.derivatives, pyramidKey(ref), pyramid);
    const keys: Record<string, string> = {};
    for (const s of SIZES) {
      keys[`${s.width},${s.height}`] = thumbnailKey(ref, s.width, s.height);
      const jpeg = await source.clone().resize(s.width, s.height).jpeg().toBuffer();
      await store.put(buckets.thumbnails, keys[`${s.width},${s.height}`], jpeg);
    }
    const open = SIZES.filter((s) => Math.max(s.width, s.height) <= openEdge);
    const auth = SIZES.filter((s) => Math.max(s.width, s.height) > openEdge);
    await store.put(buckets.derivatives, `${id}/bytes`, bytes);
    return {
      pyramid: { bucket: buckets.derivatives, key: pyramidKey(ref), size: pyramid.length, tileSize: 512 },
      thumbnails: {
        bucket: buckets.thumbnails,
        open: open.map((s) => [s.width, s.height]),
        auth: auth.map((s) => [s.width, s.height]),
        keys,
        size: 1,
      },
      original: { bucket: buckets.derivatives, key: `${id}/bytes`, size: bytes.length },
      transcodes: [
        {
          preset: 'audio-mp3-128',
          bucket: buckets.derivatives,
          key: `${id}/bytes`,
          mediaType: 'audio/mpeg',
          size: bytes.length,
        },
      ],
    };
  }

  const channels = [
    { channel: 'iiif-img', policy: 'default' },
    { channel: 'thumbs', policy: 'default' },
    { channel: 'file', policy: 'none' },
  ];
  const finished = new Date('2026-05-01T10:00:00Z');
  const base = { customerId: c, spaceId: SPACE, mediaType: 'image/jpeg', width: W, height: H, finished };
  const assets: Array<{
    id: string;
    roles: string[];
    openFullMax?: number;
    openMaxWidth?: number;
    av?: boolean;
  }> = [
    { id: 'open', roles: [] },
    { id: 'staff', roles: ['staff'] },
    { id: 'sub', roles: ['staff', 'reading-room'], openMaxWidth: 512 },
    { id: 'fullmax', roles: ['staff'], openFullMax: 400 },
    { id: 'campus', roles: ['campus', 'staff'] },
    { id: 'legacy', roles: ['https://api.example.org/customers/1/roles/gone'] },
    { id: 'sound', roles: ['staff'], av: true },
  ];
  for (const a of assets) {
    const openEdge = a.roles.length === 0 ? Infinity : Math.max(a.openFullMax ?? 0, a.openMaxWidth ?? 0);
    await prisma.asset.create({
      data: {
        ...base,
        id: a.id,
        roles: a.roles,
        openFullMax: a.openFullMax ?? 0,
        openMaxWidth: a.openMaxWidth ?? 0,
        ...(a.av
          ? {
              mediaType: 'audio/mpeg',
              width: null,
              height: null,
              duration: 1000,
              deliveryChannels: [{ channel: 'iiif-av', policy: 'default-audio' }],
            }
          : { deliveryChannels: channels }),
        derivatives: await derivativesOf(a.id, openEdge),
      },
    });
  }

  const transport = createTransport({
    serviceName: SERVICE_NAME,
    amqpUrl: vhost.url,
    exchange: vhost.exchange,
    retryDelaysMs: [],
  });
  app = await bootstrapService(deliveryRootModule(env, { objectStore: store }), {
    serviceName: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
    transport,
    configure: configureDeliveryApp,
    clientErrorHeaders: DELIVERY_CLIENT_ERROR_HEADERS,
  });
  baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
});

afterAll(async () => {
  await app?.close();
  await prisma?.$disconnect();
  await Promise.allSettled([db?.drop(), vhost?.drop()]);
  await rm(storageRoot, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
});

/** The access service `name` as info.json and manifests describe it (Auth 2.0 §2.2-§2.4). */
const accessService = (name: string, extra: Record<string, unknown>) => ({
  id: `${AUTH}/auth/v2/access/${c}/${name}`,
  type: 'AuthAccessService2',
  profile: 'active',
  ...extra,
  service: [
    { id: `${AUTH}/auth/v2/token/${c}`, type: 'AuthAccessTokenService2' },
    {
      id: `${AUTH}/auth/v2/access/${c}/${name}/logout`,
      type: 'AuthLogoutService2',
      label: { en: ['Log out of Auth test'] },
    },
  ],
});
const LOGIN = () => accessService('login', { label: { en: ['Log in'] } });
const CLICKTHROUGH = () =>
  accessService('clickthrough', {
    label: { en: ['Terms of use'] },
    heading: { en: ['Please read the terms'] },
    note: { en: ['These images are for research.'] },
    confirmLabel: { en: ['Accept the terms'] },
  });
const probe = (id: string) => `${PUBLIC}/auth/v2/probe/${c}/${SPACE}/${id}`;

describe('info.json of a restricted image (Image API 3.0 §5, Auth 2.0 §2)', () => {
  it('3.0: the Auth 2.0 context first, the probe service tree, open sizes only, private', async () => {
    const res = await get(img('sub', '/info.json'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^private/);
    expect(res.headers.get('vary')).toBe('Accept, Cookie, Authorization');
    const info = await json(res);
    expect(Object.keys(info)[0]).toBe('@context');
    expect(info['@context']).toEqual([AUTH_CONTEXT, 'http://iiif.io/api/image/3/context.json']);
    expect(info.id).toBe(`${PUBLIC}${img('sub', '')}`);
    expect(info.service).toEqual([
      { id: probe('sub'), type: 'AuthProbeService2', service: [LOGIN(), CLICKTHROUGH()] },
    ]);
    // The open thumbnails (with level sizes for OpenSeadragon, see advertisedSizes), never the auth ones.
    expect(info.sizes).toEqual(expect.arrayContaining(SIZES.slice(0, 3)));
    expect(info.sizes).not.toContainEqual(SIZES[3]);
  });

  it('lists the auth sizes to a caller holding a role, bearer or cookie', async () => {
    for (const headers of [await bearer(['staff']), await cookie(['reading-room'])]) {
      const info = await json(await get(img('sub', '/info.json'), headers));
      expect(info.sizes).toEqual(expect.arrayContaining(SIZES));
    }
    const other = await json(await get(img('sub', '/info.json'), await bearer(['other'])));
    expect(other.sizes).not.toContainEqual(SIZES[3]);
  });

  it('2.1: the Image 2 context, and the service carries the Auth 2.0 context itself', async () => {
    const info = await json(await get(img('staff', '/info.json', 'v2/')));
    expect(info['@context']).toBe('http://iiif.io/api/image/2/context.json');
    expect(info['@id']).toBe(`${PUBLIC}${img('staff', '', 'v2/')}`);
    expect(Object.keys(info.service)[0]).toBe('@context');
    expect(info.service).toEqual({
      '@context': AUTH_CONTEXT,
      id: probe('staff'),
      type: 'AuthProbeService2',
      service: [LOGIN()],
    });
    expect(info.sizes ?? []).toEqual([]);
  });

  it('an external access service has no id; unknown roles offer no access service', async () => {
    const info = await json(await get(img('campus', '/info.json')));
    const [external, login] = info.service[0].service;
    expect(external).not.toHaveProperty('id');
    expect(external).toMatchObject({
      type: 'AuthAccessService2',
      profile: 'external',
      label: { en: ['On campus'] },
    });
    expect(login).toEqual(LOGIN());
    const legacy = await json(await get(img('legacy', '/info.json')));
    expect(legacy.service).toEqual([{ id: probe('legacy'), type: 'AuthProbeService2' }]);
  });

  it('an open image has neither auth services nor the auth context, and is public', async () => {
    const res = await get(img('open', '/info.json'));
    expect(res.headers.get('cache-control')).toMatch(/^public/);
    const info = await json(res);
    expect(info['@context']).toBe('http://iiif.io/api/image/3/context.json');
    expect(info.service).toBeUndefined();
  });
});

describe('image requests (SPEC.md §6: imageRequestAccess)', () => {
  it('a tile: 401 without a credential, 200 with a bearer token or the cookie, private', async () => {
    const anonymous = await get(img('staff', TILE));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/problem\+json/);
    // Problem documents are never stored (the problem filter's no-store).
    expect(anonymous.headers.get('cache-control')).toMatch(/no-store/);
    expect(anonymous.headers.get('vary')).toBe('Cookie, Authorization');
    expect((await json(anonymous)).detail).toMatch(/requires authorisation/);
    for (const headers of [await bearer(['staff']), await cookie(['staff'])]) {
      const res = await get(img('staff', TILE), headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect(res.headers.get('cache-control')).toMatch(/^private/);
      expect(res.headers.get('vary')).toBe('Cookie, Authorization');
    }
  });

  it.each<[string, () => Promise<Record<string, string>>, number]>([
    ['another role', () => bearer(['other']), 403],
    ['a credential without roles', () => bearer([]), 403],
    ['another customer', () => bearer(['staff'], { cid: otherCustomer }), 401],
    ['expired', () => bearer(['staff'], { ttl: 1, now: Date.now() - 60_000 }), 401],
    [
      'forged (another key)',
      async () => ({
        Authorization: `Bearer ${await forger.sign('access', { sid: 's', cid: c, roles: ['staff'], svc: 'x' }, 600)}`,
      }),
      401,
    ],
    [
      'a session cookie sent as a bearer token',
      async () => ({
        Authorization: `Bearer ${await signer.sign('session', { sid: 's', cid: c, roles: ['staff'], svc: 'x' }, 600)}`,
      }),
      401,
    ],
    [
      "another customer's cookie name",
      async () => ({
        Cookie: `${sessionCookieName(otherCustomer)}=${await signer.sign('session', { sid: 's', cid: otherCustomer, roles: ['staff'], svc: 'x' }, 600)}`,
      }),
      401,
    ],
    [
      'garbage',
      async () => ({ Authorization: 'Bearer not.a.token', Cookie: `${sessionCookieName(c)}=x` }),
      401,
    ],
  ])('%s → %s', async (_name, headers, status) => {
    const res = await get(img('staff', TILE), await headers());
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
  });

  it('a table over roles and sizes: open sizes for anyone, the rest for a role', async () => {
    const staff = await bearer(['staff']);
    const cases: Array<[string, string, Record<string, string>, number]> = [
      ['open', TILE, {}, 200],
      ['sub', '/full/512,/0/default.jpg', {}, 200],
      ['sub', '/0,0,512,512/512,/0/default.jpg', {}, 200],
      ['sub', '/full/513,/0/default.jpg', {}, 401],
      ['sub', '/full/1200,/0/default.jpg', staff, 200],
      ['fullmax', '/full/400,/0/default.jpg', {}, 200],
      ['fullmax', '/full/401,/0/default.jpg', {}, 401],
      ['fullmax', '/0,0,200,200/200,/0/default.jpg', {}, 401],
      ['fullmax', '/0,0,200,200/200,/0/default.jpg', staff, 200],
      ['staff', '/full/100,/0/default.jpg', {}, 401],
    ];
    for (const [id, rest, headers, status] of cases) {
      const res = await get(img(id, rest), headers);
      expect(`${id}${rest} ${res.status}`).toBe(`${id}${rest} ${status}`);
    }
  });

  it('refuses a revoked session (auth.session.ended.v1) until it expires, cookie and tokens alike', async () => {
    const headers = await bearer(['staff'], { sid: 'ended' });
    const cookies = await cookie(['staff'], 'ended');
    expect((await get(img('staff', TILE), headers)).status).toBe(200);
    const event = Object.assign(new AuthSessionEndedV1(), {
      customerId: c,
      sessionId: 'ended',
      expires: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await app.get(MessagePublisher).publish(event);
    await waitFor(async () => (await get(img('staff', TILE), headers)).status === 401, {
      timeoutMs: 10_000,
      description: 'the revoked token refused',
    });
    expect((await get(img('staff', TILE), cookies)).status).toBe(401);
    expect((await get(img('staff', TILE), await bearer(['staff'], { sid: 'still-on' }))).status).toBe(200);
  });

  it('thumbnails never need a credential (the thumbs channel is open)', async () => {
    const info = await json(await get(`/thumbs/${c}/${SPACE}/sub/info.json`));
    expect(info.sizes).toEqual(SIZES.slice(0, 3));
    const res = await get(`/thumbs/${c}/${SPACE}/sub/full/400,300/0/default.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
  });
});

describe('the substitute image service (Auth 2.0 §2.1.1, seed 004 openMaxWidth)', () => {
  it('info.json: open, maxWidth = openMaxWidth, no auth services, its own id', async () => {
    for (const [slug, type] of [
      ['', 'ImageService3'],
      ['v2/', 'ImageService2'],
    ]) {
      const res = await get(img('sub', '/substitute/info.json', slug));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toMatch(/^public/);
      const info = await json(res);
      expect(info[slug ? '@id' : 'id']).toBe(`${PUBLIC}${img('sub', '/substitute', slug)}`);
      if (type === 'ImageService3') expect(info.type).toBe(type);
      // 2.1 §5.3: the limits are in the profile's description object.
      expect(slug ? info.profile[1].maxWidth : info.maxWidth).toBe(512);
      expect(info.service).toBeUndefined();
      expect(JSON.stringify(info)).not.toContain('auth/2');
      expect(info.sizes).toEqual(expect.arrayContaining(SIZES.slice(0, 3)));
      for (const s of info.sizes as Array<{ width: number; height: number }>)
        expect(Math.max(s.width, s.height)).toBeLessThanOrEqual(512);
    }
  });

  it('serves within openMaxWidth to anyone, 400 beyond; the base URL redirects to its info.json', async () => {
    const ok = await get(img('sub', '/substitute/full/max/0/default.jpg'));
    expect(ok.status).toBe(200);
    expect((await sharp(Buffer.from(await ok.arrayBuffer())).metadata()).width).toBe(512);
    expect(ok.headers.get('link')).toContain(
      `<${PUBLIC}${img('sub', '/substitute')}/full/max/0/default.jpg>;rel="canonical"`,
    );
    expect((await get(img('sub', '/substitute/full/512,/0/default.jpg'))).status).toBe(200);
    expect((await get(img('sub', '/substitute/full/513,/0/default.jpg'))).status).toBe(400);
    const redirect = await get(img('sub', '/substitute'));
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('location')).toBe(`${PUBLIC}${img('sub', '/substitute/info.json')}`);
  });

  it('404 for an asset without a substitute (open, or no openMaxWidth); thumbs has none', async () => {
    for (const id of ['open', 'staff', 'fullmax']) {
      expect((await get(img(id, '/substitute/info.json'))).status).toBe(404);
      expect((await get(img(id, '/substitute/full/100,/0/default.jpg'))).status).toBe(404);
    }
    expect((await get(`/thumbs/${c}/${SPACE}/sub/substitute/info.json`)).status).toBe(404);
  });

  it('an asset whose id is "substitute" is not confused with the service', async () => {
    expect((await get(`/iiif-img/${c}/${SPACE}/substitute/info.json`)).status).toBe(404);
    const sub = await json(await get(`/iiif-img/${c}/${SPACE}/sub%2Fsubstitute/info.json`));
    expect(sub.detail).toMatch(/not found/);
  });
});

describe('the probe service (Auth 2.0 §2.1)', () => {
  const probePath = (id: string) => `/auth/v2/probe/${c}/${SPACE}/${id}`;

  it('open asset: 200; restricted: 401 with heading and note, 403 with another role, 200 with the role', async () => {
    const open = await get(probePath('open'));
    expect(open.status).toBe(200);
    expect(open.headers.get('access-control-allow-origin')).toBe('*');
    expect(await json(open)).toEqual({
      '@context': AUTH_CONTEXT,
      id: probe('open'),
      type: 'AuthProbeResult2',
      status: 200,
    });
    const anonymous = await get(probePath('staff'));
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get('cache-control')).toBe('private, no-store');
    expect(anonymous.headers.get('vary')).toBe('Cookie, Authorization');
    const refused = await json(anonymous);
    expect(refused).toMatchObject({ id: probe('staff'), type: 'AuthProbeResult2', status: 401 });
    expect(refused.heading).toEqual({ en: [expect.any(String)] });
    expect(refused.note).toEqual({ en: [expect.any(String)] });
    expect(refused.substitute).toBeUndefined();
    expect((await json(await get(probePath('staff'), await bearer(['other'])))).status).toBe(403);
    expect((await json(await get(probePath('staff'), await bearer(['staff'])))).status).toBe(200);
    expect((await json(await get(probePath('staff'), await cookie(['staff'])))).status).toBe(200);
    expect(
      (await json(await get(probePath('staff'), await bearer(['staff'], { cid: otherCustomer })))).status,
    ).toBe(401);
  });

  it('offers the substitute image services when openMaxWidth is set', async () => {
    const anonymous = await json(await get(probePath('sub')));
    expect(anonymous.status).toBe(401);
    expect(anonymous.substitute).toEqual([
      { id: `${PUBLIC}${img('sub', '/substitute')}`, type: 'ImageService3', profile: 'level2' },
      { id: `${PUBLIC}${img('sub', '/substitute', 'v2/')}`, type: 'ImageService2', profile: 'level2' },
    ]);
    const other = await json(await get(probePath('sub'), await bearer(['other'])));
    expect(other).toMatchObject({ status: 403, substitute: anonymous.substitute });
    const allowed = await json(await get(probePath('sub'), await bearer(['reading-room'])));
    expect(allowed.status).toBe(200);
    expect(allowed.substitute).toBeUndefined();
  });

  it('works for AV (no substitute), HEAD, the CORS preflight with Authorization; 404 when unknown', async () => {
    expect((await json(await get(probePath('sound')))).status).toBe(401);
    expect((await json(await get(probePath('sound'), await bearer(['staff'])))).status).toBe(200);
    expect((await get(probePath('sound'), {}, 'HEAD')).status).toBe(200);
    const preflight = await get(
      probePath('staff'),
      {
        Origin: 'https://viewer.example.net',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
      'OPTIONS',
    );
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect((preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain(
      'authorization',
    );
    const unknown = await get(probePath('nope'));
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/problem\+json/);
  });
});

describe('bytes: /file/ and /iiif-av/ (SPEC.md §6: bytesAccess)', () => {
  it.each([
    ['file', () => `/file/${c}/${SPACE}/staff`],
    ['iiif-av', () => `/iiif-av/${c}/${SPACE}/sound/full/max/default.mp3`],
  ])('%s: 401 without, 403 another role, 200 with the role (private)', async (_name, url) => {
    expect((await get(url())).status).toBe(401);
    expect((await get(url(), await bearer(['other']))).status).toBe(403);
    for (const headers of [await bearer(['staff']), await cookie(['staff'])]) {
      const res = await get(url(), headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toMatch(/^private/);
      expect(res.headers.get('vary')).toBe('Cookie, Authorization');
    }
    const open = await get(`/file/${c}/${SPACE}/open`);
    expect(open.status).toBe(200);
    expect(open.headers.get('cache-control')).toMatch(/^public/);
  });
});

describe('manifests (Presentation 3.0 with Auth 2.0)', () => {
  it('the probe service of a restricted image offers its access services', async () => {
    const manifest = await json(await get(`/iiif-manifest/${c}/${SPACE}/sub`));
    expect(manifest['@context']).toEqual([AUTH_CONTEXT, 'http://iiif.io/api/presentation/3/context.json']);
    const text = JSON.stringify(manifest);
    expect(text).toContain(
      JSON.stringify({ id: probe('sub'), type: 'AuthProbeService2', service: [LOGIN(), CLICKTHROUGH()] }),
    );
  });

  it('AV bodies carry the probe service too', async () => {
    const manifest = await json(await get(`/iiif-manifest/${c}/${SPACE}/sound`));
    const body = manifest.items[0].items[0].items[0].body;
    expect(body.service).toEqual([{ id: probe('sound'), type: 'AuthProbeService2', service: [LOGIN()] }]);
  });
});

describe('customer.access-control.changed.v1', () => {
  it('drops the cached access view: a changed access service shows in info.json, probe and manifest', async () => {
    const before = await json(await get(img('staff', '/info.json')));
    expect(before.service[0].service[0].label).toEqual({ en: ['Log in'] });
    await prisma.accessService.update({
      where: { customerId_name: { customerId: c, name: 'login' } },
      data: { label: { en: ['Staff log in'] }, heading: { en: ['Staff only'] } },
    });
    // Cached (10-minute TTL here) until the event.
    expect((await json(await get(img('staff', '/info.json')))).service[0].service[0].label).toEqual({
      en: ['Log in'],
    });
    const event = Object.assign(new CustomerAccessControlChangedV1(), { customerId: c });
    await app.get(MessagePublisher).publish(event);
    await waitFor(
      async () =>
        JSON.stringify((await json(await get(img('staff', '/info.json')))).service[0].service[0].label) ===
        JSON.stringify({ en: ['Staff log in'] }),
      { timeoutMs: 10_000, description: 'the new label after customer.access-control.changed.v1' },
    );
    const probeResult = await json(await get(`/auth/v2/probe/${c}/${SPACE}/staff`));
    expect(probeResult.heading).toEqual({ en: ['Staff only'] });
    const manifest = JSON.stringify(await json(await get(`/iiif-manifest/${c}/${SPACE}/staff`)));
    expect(manifest).toContain('Staff log in');
  });
});
