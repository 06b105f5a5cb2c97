import 'reflect-metadata';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { bootstrapService, validateEnv } from '@vellum/common';
import type { AssetDerivatives } from '@vellum/contracts';
import { createPrismaClient, type Prisma, type PrismaClient } from '@vellum/db';
import { bucketsFromEnv, createObjectStore, type ObjectStore, originKey } from '@vellum/storage';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import sharp from 'sharp';
import { deliveryRootModule, SERVICE_NAME } from '../src/app.module';
import { DeliveryEnv } from '../src/env';
import { configureDeliveryApp } from '../src/main';
import { readTiffTileIndex } from '../src/tiff-tile-index';

/**
 * iiif-img/use-original (SPEC.md §4.3, §5): the origin itself, a pyramidal TIFF with 256-px JPEG tiles
 * (`pyramid-tiled.tif`, 4655×3118, 6 levels), is the tile source. The derivatives JSON is what the orchestrator writes
 * for it (`pyramid` = the staged origin, `tileSize` = the origin's own tile edge, `useOriginal`); info.json advertises
 * that grid, and a canonical tile is served from the origin's stored JPEG tile without re-encoding.
 */

jest.setTimeout(120_000);

const W = 4655;
const H = 3118;
const SPACE = 2;
const ID = 'seurat';
let db: TestDatabase;
let vhost: TestVhost;
let prisma: PrismaClient;
let store: ObjectStore;
let app: INestApplication;
let storageRoot: string;
let cacheDir: string;
let baseUrl: string;
let customerId: number;

beforeAll(async () => {
  [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  storageRoot = await mkdtemp(path.join(tmpdir(), 'vellum-delivery-uo-store-'));
  cacheDir = await mkdtemp(path.join(tmpdir(), 'vellum-delivery-uo-cache-'));
  const env = validateEnv(DeliveryEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    VELLUM_STORAGE_ROOT: storageRoot,
    VELLUM_DELIVERY_CACHE_DIR: cacheDir,
    SERVICE_INSTANCE: `delivery-uo-${process.pid}`,
  });
  const buckets = bucketsFromEnv(env);
  store = createObjectStore({ driver: 'fs', root: storageRoot });
  await store.ensureBucket(buckets.origins);
  prisma = createPrismaClient(db.url);
  const customer = await prisma.customer.create({ data: { name: 'use-original', displayName: 'UO' } });
  customerId = customer.id;
  await prisma.space.create({ data: { customerId, id: SPACE, name: 'tiffs' } });

  // The staged origin, byte for byte, where the orchestrator keeps it.
  const key = originKey({ customerId, spaceId: SPACE, assetId: ID });
  const { size } = await store.putFile(buckets.origins, key, fixturePath('pyramid-tiled.tif'));
  const derivatives: AssetDerivatives = {
    pyramid: { bucket: buckets.origins, key, size, tileSize: 256, useOriginal: true },
  };
  // A small JPEG (one tile) is tile-ready as well: the image-processor records the platform tile size for it.
  const smallKey = originKey({ customerId, spaceId: SPACE, assetId: 'small' });
  const small = await sharp(fixturePath('photo-large.jpg')).resize(400).jpeg().toBuffer();
  await store.put(buckets.origins, smallKey, small);
  await prisma.asset.create({
    data: {
      customerId,
      spaceId: SPACE,
      id: 'small',
      mediaType: 'image/jpeg',
      width: 400,
      height: 225,
      deliveryChannels: [{ channel: 'iiif-img', policy: 'use-original' }],
      derivatives: {
        pyramid: {
          bucket: buckets.origins,
          key: smallKey,
          size: small.length,
          tileSize: 512,
          useOriginal: true,
        },
      },
      finished: new Date('2024-05-01T10:00:00Z'),
    },
  });
  await prisma.asset.create({
    data: {
      customerId,
      spaceId: SPACE,
      id: ID,
      mediaType: 'image/tiff',
      width: W,
      height: H,
      deliveryChannels: [{ channel: 'iiif-img', policy: 'use-original' }],
      derivatives: derivatives as unknown as Prisma.InputJsonObject,
      finished: new Date('2024-05-01T10:00:00Z'),
    },
  });

  app = await bootstrapService(deliveryRootModule(env, { objectStore: store }), {
    serviceName: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
    configure: configureDeliveryApp,
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

const url = (p: string, id = ID): string => `${baseUrl}/iiif-img/v3/${customerId}/${SPACE}/${id}${p}`;

it('info.json advertises the origin’s own grid: 256-px tiles, one scale factor per level', async () => {
  const res = await fetch(url('/info.json'));
  expect(res.status).toBe(200);
  const info = (await res.json()) as { width: number; height: number; tiles: unknown };
  expect(info).toMatchObject({
    width: W,
    height: H,
    tiles: [{ width: 256, height: 256, scaleFactors: [1, 2, 4, 8, 16, 32] }],
  });
});

it('a canonical tile is the origin’s stored JPEG tile, served as stored (no re-encoding)', async () => {
  // Level 2 (scale factor 4: 1163×779), tile column 1, row 1 = full-resolution region 1024,1024,1024,1024.
  const res = await fetch(url('/1024,1024,1024,1024/256,256/0/default.jpg'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/jpeg');
  const body = Buffer.from(await res.arrayBuffer());
  const m = await sharp(body).metadata();
  expect([m.format, m.width, m.height]).toEqual(['jpeg', 256, 256]);
  // Byte for byte the origin's stored tile (column 1, row 1 of page 2): the response ends with that tile's JPEG
  // stream (after its SOI), i.e. nothing was decoded or re-encoded.
  const tiff = await readFile(fixturePath('pyramid-tiled.tif'));
  const index = await readTiffTileIndex(async (o, l) => tiff.subarray(o, o + l), tiff.length);
  const page = index.pages[2];
  expect([page.width, page.height, page.tileWidth]).toEqual([1163, 779, 256]);
  const i = 1 * page.tilesAcross + 1;
  const tile = tiff.subarray(page.tileOffsets[i], page.tileOffsets[i] + page.tileByteCounts[i]);
  expect(tile.length).toBeGreaterThan(1000);
  expect(body.subarray(body.length - (tile.length - 2)).equals(tile.subarray(2))).toBe(true);

  const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
  expect(metrics).toMatch(/vellum_tile_requests_total\{[^}]*kind="tile"[^}]*\} [1-9]/);
  expect(metrics).not.toMatch(/vellum_tile_requests_total\{[^}]*kind="tile-rendered"[^}]*\} [1-9]/);
});

it('full-resolution and edge tiles, and an arbitrary region, are served from the origin too', async () => {
  const full = await fetch(url('/0,0,256,256/256,256/0/default.jpg'));
  expect(full.status).toBe(200);
  // The right edge of level 0: 4655 − 18·256 = 47 px wide.
  const edge = await fetch(url('/4608,0,47,256/47,256/0/default.jpg'));
  expect(edge.status).toBe(200);
  expect((await sharp(Buffer.from(await edge.arrayBuffer())).metadata()).width).toBe(47);
  const region = await fetch(url('/1000,700,1500,900/500,/0/default.png'));
  expect(region.status).toBe(200);
  const m = await sharp(Buffer.from(await region.arrayBuffer())).metadata();
  expect([m.format, m.width, m.height]).toEqual(['png', 500, 300]);
});

it('a small JPEG origin (use-original) is one 512-px tile: info.json, the tile and a region are served from it', async () => {
  const info = (await (await fetch(url('/info.json', 'small'))).json()) as { tiles: unknown };
  expect(info.tiles).toEqual([{ width: 512, height: 512, scaleFactors: [1] }]);
  for (const p of [
    '/full/max/0/default.jpg',
    '/0,0,400,225/400,225/0/default.jpg',
    '/100,50,200,100/100,/0/gray.png',
  ]) {
    const res = await fetch(url(p, 'small'));
    expect(res.status).toBe(200);
    const m = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(m.width).toBe(p.startsWith('/100') ? 100 : 400);
  }
});
