/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { readFileSync } from 'node:fs';
import { createObjectStore, storageConfigFromEnv, type ObjectStore } from '@vellum/storage';
import { fixturePath, startS3Server, waitFor, type S3TestServer } from '@vellum/testing';
import { isProblem, seedCustomer, startTestGateway, type CallResult, type TestGateway } from './harness';

const BUCKET = 'vellum-origins';
const JPEG = readFileSync(fixturePath('photo-large.jpg')); // 1.4 MB
const PNG = readFileSync(fixturePath('png-alpha.png'));
const TOO_BIG = readFileSync(fixturePath('tiff-lzw.tif')); // 2.3 MB > the 2 MiB limit set below

type Part = [name: string, value: string | Buffer, type?: string];

/**
 * Multipart `POST C/queue` (SPEC.md §3.3 "Queue and batches" with uploads; docs/api/queue.md): a `batch` field
 * whose members name file parts, and the files, through the real gateway, an S3-protocol server, Postgres and
 * RabbitMQ. The files land at their assets' origin keys, the batch queues each asset once (one ingest request per
 * member, none other), and every refused form leaves nothing in the store or the database.
 */
describe('queue uploads (integration)', () => {
  let s3: S3TestServer;
  let store: ObjectStore;
  let gw: TestGateway;
  let key: string;
  let c: number;

  beforeAll(async () => {
    s3 = await startS3Server();
    store = createObjectStore(storageConfigFromEnv(s3.env));
    gw = await startTestGateway({ ...s3.env, VELLUM_MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) });
    ({ key, customerId: c } = await seedCustomer(gw));
  });
  afterAll(async () => {
    await gw?.close();
    await s3?.stop();
  });

  const objectKey = (id: string, space = 1) => `${c}/${space}/${encodeURIComponent(id)}/origin`;
  const storedKeys = async (prefix = `${c}/`) => {
    const keys: string[] = [];
    try {
      for await (const o of store.list(BUCKET, prefix)) keys.push(o.key);
    } catch {
      // the bucket may not exist yet
    }
    return keys.sort();
  };

  async function post(parts: Part[], path = `/customers/${c}/queue`): Promise<CallResult> {
    const form = new FormData();
    for (const [name, value, type] of parts) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([value], { type: type ?? 'application/octet-stream' }), `${name}.bin`);
    }
    const res = await fetch(`${gw.base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(key).toString('base64')}` },
      body: form,
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  const batch = (...members: object[]) => JSON.stringify({ '@type': 'Collection', member: members });
  const jpeg = (id: string, file = id) => ({ space: 1, id, mediaType: 'image/jpeg', file });
  const png = (id: string, file = id) => ({ space: 1, id, mediaType: 'image/png', file });

  /** Expects a 400 (or `status`) problem naming `field`, and nothing stored or written for the ids. */
  async function refused(res: CallResult, field: string, ids: string[], status = 400) {
    expect(res.status).toBe(status);
    expect(isProblem(res)).toBe(true);
    if (status === 400) expect(res.json.errors.map((e: any) => e.field)).toContain(field);
    else expect(res.json.detail).toContain(field);
    for (const id of ids) {
      expect(await store.stat(BUCKET, objectKey(id))).toBeNull();
      expect(
        await gw.prisma.asset.findUnique({
          where: { customerId_spaceId_id: { customerId: c, spaceId: 1, id } },
        }),
      ).toBeNull();
    }
  }

  it('stores both files at their origin keys and queues each asset once in the new batch', async () => {
    const batches = await gw.prisma.batch.count({ where: { customerId: c } });
    const res = await post([
      ['batch', batch(jpeg('qu-1', 'photo'), { ...png('qu-2', 'alpha'), string1: 'second' })],
      ['photo', JPEG, 'image/jpeg'],
      ['alpha', PNG, 'image/png'],
    ]);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ '@type': 'vocab:Batch', count: 2 });
    const batchId = Number(String(res.json['@id']).split('/').pop());
    expect(await gw.prisma.batch.count({ where: { customerId: c } })).toBe(batches + 1);

    expect((await store.getBuffer(BUCKET, objectKey('qu-1'))).equals(JPEG)).toBe(true);
    expect((await store.getBuffer(BUCKET, objectKey('qu-2'))).equals(PNG)).toBe(true);
    expect((await store.stat(BUCKET, objectKey('qu-2')))?.contentType).toBe('image/png');

    const img = await gw.call('GET', `/customers/${c}/spaces/1/images/qu-1`, { key });
    expect(img.json).toMatchObject({
      origin: `vellum-store://${BUCKET}/${objectKey('qu-1')}`,
      batch: res.json['@id'],
      ingesting: true,
    });
    const second = await gw.call('GET', `/customers/${c}/spaces/1/images/qu-2`, { key });
    expect(second.json).toMatchObject({ string1: 'second', mediaType: 'image/png' });

    // One ingest request per member, all of this batch, published by the relay: ingested once, through the queue.
    await waitFor(
      async () => {
        const rows = await gw.prisma.outboxMessage.findMany({
          where: { routingKey: 'asset.ingest.requested.v1' },
        });
        const ours = rows.filter((r) => ['qu-1', 'qu-2'].includes((r.envelope as any).data.assetId));
        return (
          ours.length === 2 && ours.every((r) => r.sentAt && (r.envelope as any).data.batchId === batchId)
        );
      },
      { timeoutMs: 15_000, description: 'two ingest requests of the batch published' },
    );
  });

  it('takes the priority queue too', async () => {
    const res = await post(
      [
        ['batch', batch(jpeg('qu-p'))],
        ['qu-p', JPEG, 'image/jpeg'],
      ],
      `/customers/${c}/queue/priority`,
    );
    expect(res.status).toBe(201);
    expect(res.json.priority).toBe(true);
    expect((await store.getBuffer(BUCKET, objectKey('qu-p'))).equals(JPEG)).toBe(true);
  });

  it('a member whose part is missing → 400 naming it; nothing stored', async () => {
    const res = await post([
      ['batch', batch(jpeg('qe-1a'), png('qe-1b'))],
      ['qe-1a', JPEG],
    ]);
    await refused(res, 'member[1].file', ['qe-1a', 'qe-1b']);
  });

  it('a file part no member names → 400 naming the part; nothing stored', async () => {
    const res = await post([
      ['batch', batch(jpeg('qe-2a'))],
      ['qe-2a', JPEG],
      ['stray', PNG],
    ]);
    await refused(res, 'stray', ['qe-2a']);
  });

  it('a part over VELLUM_MAX_UPLOAD_BYTES → 413 naming the part; nothing stored', async () => {
    const res = await post([
      ['batch', batch(png('qe-3a'), { space: 1, id: 'qe-3b', mediaType: 'image/tiff', file: 'big' })],
      ['qe-3a', PNG],
      ['big', TOO_BIG],
    ]);
    await refused(res, '"big"', ['qe-3a', 'qe-3b'], 413);
  });

  it('a malformed batch → 400 on the batch field; a missing one → 400; batch after a file → 400', async () => {
    await refused(
      await post([
        ['batch', '{"member": ['],
        ['qe-4', PNG],
      ]),
      'batch',
      ['qe-4'],
    );
    await refused(await post([['qe-4', PNG]]), 'batch', ['qe-4']);
    await refused(
      await post([
        ['qe-4', PNG],
        ['batch', batch(png('qe-4'))],
      ]),
      'batch',
      ['qe-4'],
    );
    await refused(
      await post([
        ['batch', batch(png('qe-4'))],
        ['other', 'x'],
        ['qe-4', PNG],
      ]),
      'other',
      ['qe-4'],
    );
  });

  it('an invalid member → 400 by member index before any file is stored', async () => {
    const res = await post([
      [
        'batch',
        batch(
          png('qe-5a'),
          { space: 99, id: 'qe-5b', mediaType: 'image/png', file: 'b' },
          {
            ...png('qe-5c'),
            origin: 'https://example.org/x.png',
          },
        ),
      ],
      ['qe-5a', PNG],
      ['b', PNG],
      ['qe-5c', PNG],
    ]);
    await refused(res, 'member[1].space', ['qe-5a', 'qe-5c']);
    expect(res.json.errors.map((e: any) => e.field)).toContain('member[2].origin');
  });

  it('an empty file part → 400; nothing stored', async () => {
    const res = await post([
      ['batch', batch(png('qe-6a'), png('qe-6b'))],
      ['qe-6a', PNG],
      ['qe-6b', Buffer.alloc(0)],
    ]);
    await refused(res, 'member[1].file', ['qe-6a', 'qe-6b']);
    expect((await storedKeys()).filter((k) => k.includes('/qe-'))).toEqual([]);
  });

  it('the JSON path is unchanged: a file member there is an unknown field', async () => {
    const res = await gw.call('POST', `/customers/${c}/queue`, {
      key,
      body: { '@type': 'Collection', member: [png('qe-7')] },
    });
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: any) => e.field)).toContain('member[0].file');
  });

  it("the storage quota counts the files' bytes → 507; nothing stored", async () => {
    await gw.prisma.storagePolicy.create({
      data: {
        id: 'queue-bytes',
        maximumNumberOfStoredImages: 1000,
        maximumTotalSizeOfStoredImages: PNG.length - 1,
      },
    });
    await gw.prisma.customer.update({ where: { id: c }, data: { storagePolicy: 'queue-bytes' } });
    try {
      const res = await post([
        ['batch', batch(png('qe-8'))],
        ['qe-8', PNG],
      ]);
      expect(res.status).toBe(507);
      expect(res.json.detail).toMatch(new RegExp(`adds ${PNG.length}`));
      expect(await store.stat(BUCKET, objectKey('qe-8'))).toBeNull();
      expect(await gw.prisma.asset.count({ where: { customerId: c, id: 'qe-8' } })).toBe(0);
    } finally {
      await gw.prisma.customer.update({ where: { id: c }, data: { storagePolicy: 'default' } });
    }
  });
});
