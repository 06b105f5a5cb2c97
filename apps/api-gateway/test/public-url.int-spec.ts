/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { request as httpRequest } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { validateEnv } from '@vellum/common';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import {
  createTestDatabase,
  createTestVhost,
  freePort,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { bootstrapAdmin } from '../src/auth/bootstrap-admin';
import { GatewayEnv } from '../src/config/gateway-env';
import { startGateway } from '../src/gateway';

/**
 * The gateway's public URLs without VELLUM_API_URL / VELLUM_DELIVERY_URL (SPEC.md §5): `@id`s from the request's
 * `Host` (or the forwarded headers of a trusted proxy, here 127.0.0.1 only), delivery URLs on the same host name
 * with VELLUM_DELIVERY_PORT. Requests go through node:http, which sends the `Host` header given, from 127.0.0.1
 * (trusted) or 127.0.0.2 (an untrusted loopback peer).
 */
describe('api-gateway public URLs (integration)', () => {
  const DELIVERY_PORT = 3999;
  const ADMIN = { key: 'url-test-admin', secret: 'url-test-admin-secret-0123' };
  let db: TestDatabase;
  let vhost: TestVhost;
  let app: INestApplication;
  let prisma: PrismaClient;
  let port: number;
  let customerId: number;

  function get(
    path: string,
    headers: Record<string, string>,
    localAddress = '127.0.0.1',
  ): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
    return new Promise((resolve, reject) => {
      const auth = `Basic ${Buffer.from(`${ADMIN.key}:${ADMIN.secret}`).toString('base64')}`;
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          localAddress,
          agent: false,
          headers: { Authorization: auth, ...headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              json: text ? JSON.parse(text) : undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    port = await freePort();
    const env = validateEnv(GatewayEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
      VELLUM_DELIVERY_PORT: String(DELIVERY_PORT),
      VELLUM_TRUSTED_PROXIES: '127.0.0.1',
    });
    expect(env.VELLUM_API_URL).toBeUndefined();
    expect(env.VELLUM_DELIVERY_URL).toBeUndefined();
    app = await startGateway(env, { host: '127.0.0.1' });
    prisma = createPrismaClient(db.url);
    await bootstrapAdmin(prisma, ADMIN.key, ADMIN.secret);
    const customer = await prisma.customer.create({ data: { name: 'urls', displayName: 'URLs' } });
    customerId = customer.id;
    await prisma.space.create({ data: { customerId, id: 1, name: 'one' } });
    await prisma.asset.create({
      data: {
        customerId,
        spaceId: 1,
        id: 'img-1',
        mediaType: 'image/jpeg',
        width: 100,
        height: 100,
        finished: new Date(),
        deliveryChannels: [
          { channel: 'iiif-img', policy: 'default' },
          { channel: 'thumbs', policy: 'default' },
        ],
      },
    });
  });

  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
    await Promise.all([db?.drop(), vhost?.drop()]);
  });

  const assetPath = () => `/customers/${customerId}/spaces/1/images/img-1`;

  it.each(['127.0.0.1', 'localhost'])('writes @ids and delivery URLs for a client of %s', async (name) => {
    const root = await get('/', { Host: `${name}:${port}` });
    expect(root.json).toMatchObject({
      '@id': `http://${name}:${port}/`,
      customers: `http://${name}:${port}/customers`,
    });
    const asset = await get(assetPath(), { Host: `${name}:${port}` });
    expect(asset.status).toBe(200);
    expect(asset.json).toMatchObject({
      '@id': `http://${name}:${port}${assetPath()}`,
      imageService: `http://${name}:${DELIVERY_PORT}/iiif-img/${customerId}/1/img-1`,
      thumbnailImageService: `http://${name}:${DELIVERY_PORT}/thumbs/${customerId}/1/img-1`,
    });
  });

  it('honours X-Forwarded-Host/-Proto from a trusted proxy only', async () => {
    const headers = {
      Host: `127.0.0.1:${port}`,
      'X-Forwarded-Host': 'api.example.org',
      'X-Forwarded-Proto': 'https',
    };
    const trusted = await get(assetPath(), headers);
    expect(trusted.json['@id']).toBe(`https://api.example.org${assetPath()}`);
    expect(trusted.json.imageService).toBe(
      `https://api.example.org:${DELIVERY_PORT}/iiif-img/${customerId}/1/img-1`,
    );
    const untrusted = await get(assetPath(), headers, '127.0.0.2');
    expect(untrusted.json['@id']).toBe(`http://127.0.0.1:${port}${assetPath()}`);
    expect(untrusted.json.imageService).toBe(
      `http://127.0.0.1:${DELIVERY_PORT}/iiif-img/${customerId}/1/img-1`,
    );
  });

  it('never reflects a malformed Host', async () => {
    const res = await get('/', { Host: 'evil.example/<script>' });
    expect(res.json['@id']).toBe(`http://127.0.0.1:${port}/`);
  });
});
