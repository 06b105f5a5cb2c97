#!/usr/bin/env node
// Seeds one benchmark asset for iiif-delivery (not a test): a customer, a space and a finished image asset whose
// pyramid TIFF (512-px JPEG tiles, one page per scale factor) and default thumbnails are made from a local image
// with sharp and written to the object store the environment names (VELLUM_STORAGE_ROOT / S3_*).
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<migrated db> VELLUM_STORAGE_ROOT=/tmp/vellum-store \
//     node scripts/bench-seed.mjs [--image ../../fixtures/photo-large.jpg] [--customer bench] [--space 1] [--id bench-1]
//
// Prints the service URL path of the asset (`/iiif-img/{customer}/{space}/{id}`).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const sharp = require('sharp');
const { createPrismaClient } = require('@vellum/db');
const { bucketsFromEnv, objectStoreFromEnv, pyramidKey, thumbnailKey } = require('@vellum/storage');
const { thumbnailSizesFor } = require('@vellum/iiif');
const { DEFAULT_THUMBNAIL_SIZES } = require('@vellum/contracts');

const { values } = parseArgs({
  options: {
    image: {
      type: 'string',
      default: path.resolve(import.meta.dirname, '../../../fixtures/photo-large.jpg'),
    },
    customer: { type: 'string', default: 'bench' },
    space: { type: 'string', default: '1' },
    id: { type: 'string', default: 'bench-1' },
  },
});
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is required (a migrated Vellum database)');

const prisma = createPrismaClient(process.env.DATABASE_URL);
const store = objectStoreFromEnv();
const buckets = bucketsFromEnv();
await store.ensureBucket(buckets.derivatives);
await store.ensureBucket(buckets.thumbnails);

const customer = await prisma.customer.upsert({
  where: { name: values.customer },
  create: { name: values.customer, displayName: values.customer },
  update: {},
});
const spaceId = Number(values.space);
await prisma.space.upsert({
  where: { customerId_id: { customerId: customer.id, id: spaceId } },
  create: { customerId: customer.id, id: spaceId, name: `space-${spaceId}` },
  update: {},
});
const ref = { customerId: customer.id, spaceId, assetId: values.id };
const { width, height } = await sharp(values.image).rotate().metadata();
const pyramid = await sharp(values.image)
  .rotate()
  .tiff({ tile: true, pyramid: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 85 })
  .toBuffer();
const meta = await sharp(pyramid).metadata();
await store.put(buckets.derivatives, pyramidKey(ref), pyramid);
const sizes = thumbnailSizesFor(DEFAULT_THUMBNAIL_SIZES, meta.width, meta.height);
const keys = {};
let thumbBytes = 0;
for (const s of sizes) {
  const bytes = await sharp(values.image)
    .rotate()
    .resize(s.width, s.height, { fit: 'fill' })
    .jpeg({ quality: 85 })
    .toBuffer();
  keys[`${s.width},${s.height}`] = thumbnailKey(ref, s.width, s.height);
  thumbBytes += bytes.length;
  await store.put(buckets.thumbnails, keys[`${s.width},${s.height}`], bytes);
}
const data = {
  mediaType: 'image/jpeg',
  width: meta.width,
  height: meta.height,
  finished: new Date(),
  ingesting: false,
  error: null,
  deliveryChannels: [
    { channel: 'iiif-img', policy: 'default' },
    { channel: 'thumbs', policy: 'default' },
  ],
  derivatives: {
    pyramid: { bucket: buckets.derivatives, key: pyramidKey(ref), size: pyramid.length, tileSize: 512 },
    thumbnails: {
      bucket: buckets.thumbnails,
      open: sizes.map((s) => [s.width, s.height]),
      auth: [],
      keys,
      size: thumbBytes,
    },
  },
};
await prisma.asset.upsert({
  where: { customerId_spaceId_id: { customerId: customer.id, spaceId, id: values.id } },
  create: { customerId: customer.id, spaceId, id: values.id, ...data },
  update: data,
});
await prisma.$disconnect();
console.error(`seeded ${width}x${height} → pyramid ${pyramid.length} bytes, ${sizes.length} thumbnails`);
console.log(`/iiif-img/${customer.id}/${spaceId}/${encodeURIComponent(values.id)}`);
