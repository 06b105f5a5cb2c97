import 'reflect-metadata';
import { bucketsFromEnv, storageConfigFromEnv } from '@vellum/storage';
import { EnvValidationError, validateEnv } from './env';
import { ObjectStoreEnv, StorageEnv } from './storage-env';

function messageOf(env: Record<string, string>): string {
  try {
    validateEnv(StorageEnv, env);
  } catch (e) {
    if (e instanceof EnvValidationError) return e.message;
    throw e;
  }
  throw new Error('expected EnvValidationError');
}

describe('StorageEnv', () => {
  it('defaults to the filesystem store and the SPEC §8 buckets', () => {
    const env = validateEnv(StorageEnv, {});
    expect(env).toMatchObject({
      S3_REGION: 'us-east-1',
      VELLUM_BUCKET_ORIGINS: 'vellum-origins',
      VELLUM_BUCKET_DERIVATIVES: 'vellum-derivatives',
      VELLUM_BUCKET_THUMBNAILS: 'vellum-thumbs',
      VELLUM_BUCKET_OUTPUTS: 'vellum-outputs',
    });
    expect(storageConfigFromEnv(env).driver).toBe('fs');
    expect(bucketsFromEnv(env)).toEqual({
      origins: 'vellum-origins',
      derivatives: 'vellum-derivatives',
      thumbnails: 'vellum-thumbs',
      outputs: 'vellum-outputs',
    });
  });

  it('gives storageConfigFromEnv/bucketsFromEnv the typed values', () => {
    const env = validateEnv(StorageEnv, {
      S3_ENDPOINT: 'https://s3.example.org:8443',
      S3_ACCESS_KEY: 'access',
      S3_SECRET_KEY: 'secret',
      S3_REGION: 'eu-west-1',
      VELLUM_BUCKET_THUMBNAILS: 'lib.thumbs',
    });
    expect(storageConfigFromEnv(env)).toEqual({
      driver: 's3',
      endPoint: 's3.example.org',
      port: 8443,
      useSSL: true,
      accessKey: 'access',
      secretKey: 'secret',
      region: 'eu-west-1',
    });
    expect(bucketsFromEnv(env).thumbnails).toBe('lib.thumbs');
  });

  it.each([
    ['not a url', 'S3_ENDPOINT must be a URL with scheme http:// or https:// (got "not a url")'],
    ['ftp://files.example.org', 'S3_ENDPOINT must be a URL with scheme http:// or https://'],
  ])('rejects S3_ENDPOINT=%s, naming it', (value, expected) => {
    expect(messageOf({ S3_ENDPOINT: value, S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' })).toContain(expected);
  });

  it('requires both keys with an endpoint, naming them (and never echoing them)', () => {
    expect(messageOf({ S3_ENDPOINT: 'http://127.0.0.1:9000' })).toBe(
      'Invalid environment: S3_ACCESS_KEY is required; S3_SECRET_KEY is required',
    );
    expect(messageOf({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY: 'k' })).toBe(
      'Invalid environment: S3_SECRET_KEY is required',
    );
  });

  it.each([
    'VELLUM_BUCKET_ORIGINS',
    'VELLUM_BUCKET_DERIVATIVES',
    'VELLUM_BUCKET_THUMBNAILS',
    'VELLUM_BUCKET_OUTPUTS',
  ])('rejects a malformed %s, naming it', (variable) => {
    for (const bad of ['Bad_Name', 'ab', '-leading', 'x'.repeat(64)]) {
      expect(messageOf({ [variable]: bad })).toBe(
        `Invalid environment: ${variable} must be a valid bucket name (3-63 chars of a-z, 0-9, . and -) (got "${bad}")`,
      );
    }
  });

  it('ObjectStoreEnv has the connection variables without the bucket names', () => {
    const env = validateEnv(ObjectStoreEnv, { VELLUM_STORAGE_ROOT: '/srv/vellum' });
    expect(storageConfigFromEnv(env)).toEqual({ driver: 'fs', root: '/srv/vellum' });
    expect(env).not.toHaveProperty('VELLUM_BUCKET_ORIGINS');
    expect(() => validateEnv(ObjectStoreEnv, { S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(
      'Invalid environment: S3_ACCESS_KEY is required; S3_SECRET_KEY is required',
    );
  });
});
