import * as path from 'node:path';
import { bucketsFromEnv, StorageConfigError, storageConfigFromEnv } from './config';
import {
  assetKeyPrefix,
  originKey,
  pyramidKey,
  thumbnailKey,
  thumbnailKeyUnder,
  thumbnailSizesKey,
  parseStoreOrigin,
  storeOriginUri,
} from './keys';

describe('storageConfigFromEnv', () => {
  it('defaults to the fs driver under <cwd>/.vellum/storage', () => {
    expect(storageConfigFromEnv({})).toEqual({
      driver: 'fs',
      root: path.join(process.cwd(), '.vellum', 'storage'),
    });
    expect(storageConfigFromEnv({ VELLUM_STORAGE_ROOT: '/srv/vellum' })).toEqual({
      driver: 'fs',
      root: '/srv/vellum',
    });
  });
  it.each([
    ['http://127.0.0.1:9000', { endPoint: '127.0.0.1', port: 9000, useSSL: false }],
    ['https://s3.example.org', { endPoint: 's3.example.org', port: 443, useSSL: true }],
    ['http://minio', { endPoint: 'minio', port: 80, useSSL: false }],
  ])('parses S3_ENDPOINT %s', (endpoint, expected) => {
    expect(storageConfigFromEnv({ S3_ENDPOINT: endpoint, S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' })).toEqual({
      driver: 's3',
      accessKey: 'k',
      secretKey: 's',
      region: 'us-east-1',
      ...expected,
    });
  });
  it('names missing credentials and bad endpoints', () => {
    expect(() => storageConfigFromEnv({ S3_ENDPOINT: 'http://x:9000' })).toThrow(
      /S3_ACCESS_KEY and S3_SECRET_KEY/,
    );
    expect(() =>
      storageConfigFromEnv({ S3_ENDPOINT: 'not a url', S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' }),
    ).toThrow(StorageConfigError);
    expect(() =>
      storageConfigFromEnv({ S3_ENDPOINT: 'ftp://x', S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' }),
    ).toThrow(/http or https/);
  });
});

describe('bucketsFromEnv', () => {
  it('has the SPEC §8 defaults and honours overrides', () => {
    expect(bucketsFromEnv({})).toEqual({
      origins: 'vellum-origins',
      derivatives: 'vellum-derivatives',
      thumbnails: 'vellum-thumbs',
      outputs: 'vellum-outputs',
    });
    expect(bucketsFromEnv({ VELLUM_BUCKET_THUMBNAILS: 'my-thumbs' }).thumbnails).toBe('my-thumbs');
    expect(() => bucketsFromEnv({ VELLUM_BUCKET_ORIGINS: 'Bad_Name' })).toThrow(/VELLUM_BUCKET_ORIGINS/);
  });
});

describe('key helpers', () => {
  const ref = { customerId: 2, spaceId: 5, assetId: 'my image (1).jpg' };
  it('derive deterministic, escaped keys', () => {
    expect(assetKeyPrefix(2, 5, 'a/b c')).toBe('2/5/a%2Fb%20c');
    expect(originKey(ref)).toBe('2/5/my%20image%20(1).jpg/origin');
    expect(pyramidKey(ref)).toBe('2/5/my%20image%20(1).jpg/image.tif');
    expect(thumbnailKey(ref, 400, 300)).toBe('2/5/my%20image%20(1).jpg/full/400,300/0/default.jpg');
    expect(thumbnailSizesKey(ref)).toBe('2/5/my%20image%20(1).jpg/sizes.json');
    expect(thumbnailKeyUnder('p', 1, 2)).toBe('p/full/1,2/0/default.jpg');
  });
});

describe('store origins (uploaded files)', () => {
  it('round-trip bucket and key, escapes kept', () => {
    const uri = storeOriginUri('vellum-origins', '2/1/my%20id/origin');
    expect(uri).toBe('vellum-store://vellum-origins/2/1/my%20id/origin');
    expect(parseStoreOrigin(uri)).toEqual({ bucket: 'vellum-origins', key: '2/1/my%20id/origin' });
  });
  it.each([
    null,
    undefined,
    '',
    'https://example.org/a.jpg',
    's3://bucket/key',
    'vellum-store://',
    'vellum-store://bucket',
    'vellum-store://bucket/',
    'vellum-store:///key',
    'vellum-store://Bad_Bucket/key',
  ])('%j is not a store origin', (origin) => {
    expect(parseStoreOrigin(origin)).toBeNull();
  });
});
