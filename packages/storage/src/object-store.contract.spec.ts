import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { startS3Server, type S3TestServer } from '@vellum/testing';
import { storageConfigFromEnv } from './config';
import { createObjectStore } from './create-object-store';
import { ObjectNotFoundError, type ObjectStore } from './object-store';
import { readAll } from './util';

/**
 * The one contract every driver passes (SPEC.md §8). `factory` is called once in `beforeAll` and returns the
 * store plus a teardown.
 */
export function objectStoreContract(
  name: string,
  factory: () => Promise<{ store: ObjectStore; teardown: () => Promise<void> }>,
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let teardown: () => Promise<void>;
    let scratch: string;
    const bucket = 'contract-bucket';

    beforeAll(async () => {
      ({ store, teardown } = await factory());
      scratch = await mkdtemp(path.join(tmpdir(), 'vellum-contract-'));
      await store.ensureBucket(bucket);
      await store.ensureBucket(bucket); // idempotent
    });
    afterAll(async () => {
      await teardown?.();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('puts and gets a buffer, with stat', async () => {
      const body = Buffer.from('hello, vellum');
      await expect(store.put(bucket, 'a/b/hello.txt', body, { contentType: 'text/plain' })).resolves.toEqual({
        size: body.length,
      });
      expect(await store.getBuffer(bucket, 'a/b/hello.txt')).toEqual(body);
      expect(await readAll(await store.get(bucket, 'a/b/hello.txt'))).toEqual(body);
      const info = await store.stat(bucket, 'a/b/hello.txt');
      expect(info).not.toBeNull();
      expect(info!.size).toBe(body.length);
      expect(typeof info!.etag).toBe('string');
      expect(Number.isFinite(info!.lastModified.getTime())).toBe(true);
    });

    it('overwrites in place', async () => {
      await store.put(bucket, 'over/x', Buffer.from('first, longer value'));
      await store.put(bucket, 'over/x', Buffer.from('second'));
      expect((await store.getBuffer(bucket, 'over/x')).toString()).toBe('second');
      expect((await store.stat(bucket, 'over/x'))!.size).toBe(6);
    });

    it('puts a stream and reports its size', async () => {
      const parts = ['one ', 'two ', 'three'];
      const res = await store.put(bucket, 'stream/small', Readable.from(parts.map((p) => Buffer.from(p))));
      expect(res.size).toBe(13);
      expect((await store.getBuffer(bucket, 'stream/small')).toString()).toBe('one two three');
    });

    it('streams a 20 MiB upload (multipart on S3) and reads it back intact', async () => {
      const size = 20 * 1024 * 1024;
      const chunk = 1024 * 1024;
      function* gen(): Generator<Buffer> {
        for (let i = 0; i < size / chunk; i++) {
          const b = Buffer.alloc(chunk);
          for (let j = 0; j < chunk; j += 4) b.writeUInt32LE((i * chunk + j) >>> 0, j);
          yield b;
        }
      }
      const res = await store.put(bucket, 'big/20mib.bin', Readable.from(gen()));
      expect(res.size).toBe(size);
      expect((await store.stat(bucket, 'big/20mib.bin'))!.size).toBe(size);
      const back = await readAll(await store.get(bucket, 'big/20mib.bin'));
      expect(back.length).toBe(size);
      for (const off of [0, 4096, chunk * 7 + 64, size - 4]) expect(back.readUInt32LE(off)).toBe(off >>> 0);
      // a ranged read deep inside the multipart object
      const r = await readAll(
        await store.get(bucket, 'big/20mib.bin', { start: 17 * chunk, end: 17 * chunk + 7 }),
      );
      expect(r.length).toBe(8);
      expect(r.readUInt32LE(0)).toBe(17 * chunk);
      expect(r.readUInt32LE(4)).toBe(17 * chunk + 4);
    });

    it('reads byte ranges (inclusive end; open end)', async () => {
      await store.put(bucket, 'range/digits', Buffer.from('0123456789'));
      expect((await readAll(await store.get(bucket, 'range/digits', { start: 2, end: 5 }))).toString()).toBe(
        '2345',
      );
      expect((await readAll(await store.get(bucket, 'range/digits', { start: 7 }))).toString()).toBe('789');
      // (`bytes=0-0` is left out: s3rver answers it with the whole object; MinIO/S3 answer one byte.)
      expect((await readAll(await store.get(bucket, 'range/digits', { start: 9, end: 9 }))).toString()).toBe(
        '9',
      );
      expect((await readAll(await store.get(bucket, 'range/digits', { start: 0, end: 1 }))).toString()).toBe(
        '01',
      );
      expect((await readAll(await store.get(bucket, 'range/digits', { start: 0 }))).toString()).toBe(
        '0123456789',
      );
    });

    it('stat of a missing object is null', async () => {
      expect(await store.stat(bucket, 'nope/none')).toBeNull();
      expect(await store.stat('no-such-bucket-here', 'x')).toBeNull();
    });

    it('get/getBuffer/download of a missing object throw ObjectNotFoundError', async () => {
      await expect(store.get(bucket, 'nope/none')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.get(bucket, 'nope/none', { start: 1, end: 2 })).rejects.toBeInstanceOf(
        ObjectNotFoundError,
      );
      await expect(store.getBuffer(bucket, 'nope/none')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.download(bucket, 'nope/none', path.join(scratch, 'x'))).rejects.toBeInstanceOf(
        ObjectNotFoundError,
      );
      await expect(store.get('no-such-bucket-here', 'x')).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('putFile and download round-trip a file', async () => {
      const src = path.join(scratch, 'src.bin');
      const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
      await writeFile(src, data);
      await expect(store.putFile(bucket, 'files/src.bin', src)).resolves.toEqual({ size: data.length });
      const dst = path.join(scratch, 'dst.bin');
      await expect(store.download(bucket, 'files/src.bin', dst)).resolves.toEqual({ size: data.length });
      expect(await readFile(dst)).toEqual(data);
    });

    it('delete is idempotent', async () => {
      await store.put(bucket, 'del/one', Buffer.from('x'));
      await store.delete(bucket, 'del/one');
      expect(await store.stat(bucket, 'del/one')).toBeNull();
      await expect(store.delete(bucket, 'del/one')).resolves.toBeUndefined();
      await expect(store.delete(bucket, 'del/never/was')).resolves.toBeUndefined();
    });

    it('lists by prefix in key order', async () => {
      const keys = ['list/b', 'list/a/2', 'list/a/10', 'list/c.txt', 'list/a/1', 'lister/x', 'list-other'];
      for (const k of keys) await store.put(bucket, k, Buffer.from(k));
      const listed: Array<{ key: string; size: number }> = [];
      for await (const e of store.list(bucket, 'list/')) listed.push(e);
      expect(listed.map((e) => e.key)).toEqual(['list/a/1', 'list/a/10', 'list/a/2', 'list/b', 'list/c.txt']);
      expect(listed.find((e) => e.key === 'list/c.txt')!.size).toBe('list/c.txt'.length);
      const partial: string[] = [];
      for await (const e of store.list(bucket, 'list/a/1')) partial.push(e.key);
      expect(partial).toEqual(['list/a/1', 'list/a/10']);
      const none: string[] = [];
      for await (const e of store.list(bucket, 'zzz/')) none.push(e.key);
      expect(none).toEqual([]);
    });

    it('deletePrefix removes exactly the keys under the prefix', async () => {
      for (const k of [
        'dp/1/2/x/origin',
        'dp/1/2/x/image.tif',
        'dp/1/2/x/full/100,50/0/default.jpg',
        'dp/1/2/xy/origin',
        'dp/1/3/x/origin',
      ]) {
        await store.put(bucket, k, Buffer.from('.'));
      }
      expect(await store.deletePrefix(bucket, 'dp/1/2/x/')).toBe(3);
      const left: string[] = [];
      for await (const e of store.list(bucket, 'dp/')) left.push(e.key);
      expect(left).toEqual(['dp/1/2/xy/origin', 'dp/1/3/x/origin']);
      expect(await store.deletePrefix(bucket, 'dp/1/2/x/')).toBe(0);
    });

    it.each([
      ['URL-escaped slash', '7/1/a%2Fb/origin'],
      ['spaces', '7/1/with spaces and  two/origin'],
      ['unicode', '7/1/Ünïcødé-漢字-🎨/origin'],
      ['escaped unicode and reserved', `7/1/${encodeURIComponent("it's (a) test+plus&amp=€")}/origin`],
    ])('keeps keys with %s intact', async (_label, key) => {
      await store.put(bucket, key, Buffer.from(key));
      expect((await store.getBuffer(bucket, key)).toString()).toBe(key);
      expect((await store.stat(bucket, key))!.size).toBe(Buffer.byteLength(key));
      const listed: string[] = [];
      for await (const e of store.list(bucket, key.slice(0, key.lastIndexOf('/') + 1))) listed.push(e.key);
      expect(listed).toEqual([key]);
      if (key.includes('%2F')) expect(await store.stat(bucket, key.replace('%2F', '/'))).toBeNull();
      await store.delete(bucket, key);
      expect(await store.stat(bucket, key)).toBeNull();
    });
  });
}

objectStoreContract('fs', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'vellum-fs-store-'));
  return {
    store: createObjectStore(storageConfigFromEnv({ VELLUM_STORAGE_ROOT: root })),
    teardown: () => rm(root, { recursive: true, force: true }),
  };
});

objectStoreContract('s3 (s3rver)', async () => {
  const s3: S3TestServer = await startS3Server();
  return { store: createObjectStore(storageConfigFromEnv(s3.env)), teardown: () => s3.stop() };
});
