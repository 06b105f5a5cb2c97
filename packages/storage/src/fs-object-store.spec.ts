import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { BucketNotFoundError, FsObjectStore } from './fs-object-store';
import { InvalidObjectKeyError } from './util';

describe('FsObjectStore specifics', () => {
  let root: string;
  let store: FsObjectStore;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vellum-fs-'));
    store = new FsObjectStore(root);
    await store.ensureBucket('bucket-a');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it.each(['../escape', 'a/../../b', 'a/./b', '/abs', 'a//b', 'trailing/', '', 'back\\slash', 'nul\0'])(
    'refuses key %j',
    async (key) => {
      await expect(store.put('bucket-a', key, Buffer.from('x'))).rejects.toBeInstanceOf(
        InvalidObjectKeyError,
      );
      await expect(store.get('bucket-a', key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await expect(store.stat('bucket-a', key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    },
  );

  it('refuses bucket names that could escape the root', async () => {
    await expect(store.put('..', 'x', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.ensureBucket('../up')).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  it('writing into a missing bucket fails like S3 NoSuchBucket', async () => {
    await expect(store.put('bucket-missing', 'x', Buffer.from('x'))).rejects.toBeInstanceOf(
      BucketNotFoundError,
    );
  });

  it('lays objects out as root/bucket/key and keeps escapes literally', async () => {
    await store.put('bucket-a', '1/2/a%2Fb/origin', Buffer.from('x'));
    expect((await stat(path.join(root, 'bucket-a', '1', '2', 'a%2Fb', 'origin'))).isFile()).toBe(true);
  });

  it('a failed stream write leaves no partial object and no temp file', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        this.destroy(new Error('origin hiccup'));
      },
    });
    await expect(store.put('bucket-a', 'partial/obj', failing)).rejects.toThrow('origin hiccup');
    expect(await store.stat('bucket-a', 'partial/obj')).toBeNull();
    expect(await readdir(path.join(root, '.tmp'))).toEqual([]);
  });

  it('delete prunes emptied directories', async () => {
    await store.put('bucket-a', 'prune/deep/er/obj', Buffer.from('x'));
    await store.delete('bucket-a', 'prune/deep/er/obj');
    await expect(stat(path.join(root, 'bucket-a', 'prune'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
