import { PermanentOriginError } from './origin-errors';
import { parseS3Origin, s3Uri, type S3Endpoint } from './s3-origin.fetcher';

const ENDPOINT: S3Endpoint = { endPoint: '127.0.0.1', port: 9000, useSSL: false };
const TLS_ENDPOINT: S3Endpoint = { endPoint: 'minio.internal', port: 443, useSSL: true };

describe('parseS3Origin', () => {
  it.each([
    // s3://bucket/key
    ['s3://my-bucket/photo.jpg', 'my-bucket', 'photo.jpg', 's3'],
    ['s3://my-bucket/a/b/c.tif', 'my-bucket', 'a/b/c.tif', 's3'],
    ['s3://my.dotted.bucket/k', 'my.dotted.bucket', 'k', 's3'],
    ['s3://my-bucket/a b/c%20d.jpg', 'my-bucket', 'a b/c d.jpg', 's3'],
    ['s3://my-bucket/a%2Fb', 'my-bucket', 'a/b', 's3'],
    ['s3://my-bucket/100%25.jpg', 'my-bucket', '100%.jpg', 's3'],
    ['s3://my-bucket/k?versionId=1#frag', 'my-bucket', 'k', 's3'],
    ['s3://my-bucket/dir/', 'my-bucket', 'dir/', 's3'],
    // virtual-host
    ['https://my-bucket.s3.eu-west-1.amazonaws.com/photo.jpg', 'my-bucket', 'photo.jpg', 'virtual-host'],
    ['https://my-bucket.s3.amazonaws.com/a/b.jpg', 'my-bucket', 'a/b.jpg', 'virtual-host'],
    ['https://my-bucket.s3-us-west-2.amazonaws.com/k', 'my-bucket', 'k', 'virtual-host'],
    ['https://my-bucket.s3.dualstack.eu-central-1.amazonaws.com/k', 'my-bucket', 'k', 'virtual-host'],
    ['https://MY-BUCKET.S3.EU-WEST-1.AMAZONAWS.COM/Key.JPG', 'my-bucket', 'Key.JPG', 'virtual-host'],
    ['https://my.s3.data.s3.eu-west-1.amazonaws.com/k', 'my.s3.data', 'k', 'virtual-host'],
    [
      'https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b.jpg?X-Amz-Signature=abc&X-Amz-Credential=x',
      'my-bucket',
      'a b.jpg',
      'virtual-host',
    ],
    ['http://my-bucket.s3.eu-west-1.amazonaws.com/k', 'my-bucket', 'k', 'virtual-host'],
    // path-style
    ['https://s3.eu-west-1.amazonaws.com/my-bucket/photo.jpg', 'my-bucket', 'photo.jpg', 'path-style'],
    ['https://s3.amazonaws.com/my-bucket/a/b.jpg', 'my-bucket', 'a/b.jpg', 'path-style'],
    ['https://s3-eu-west-1.amazonaws.com/my-bucket/k', 'my-bucket', 'k', 'path-style'],
    ['https://s3.dualstack.us-east-1.amazonaws.com/my-bucket/k', 'my-bucket', 'k', 'path-style'],
    ['https://s3.eu-west-1.amazonaws.com/my-bucket/a%2Fb%20c', 'my-bucket', 'a/b c', 'path-style'],
    // the platform's endpoint, path-style
    ['http://127.0.0.1:9000/my-bucket/photo.jpg', 'my-bucket', 'photo.jpg', 'endpoint'],
    ['http://127.0.0.1:9000/my-bucket/a/b%20c.jpg', 'my-bucket', 'a/b c.jpg', 'endpoint'],
  ])('%s → %s / %s (%s)', (origin, bucket, key, form) => {
    expect(parseS3Origin(new URL(origin), ENDPOINT)).toEqual({ bucket, key, form });
  });

  it('recognises a TLS endpoint on its default port, written with or without it', () => {
    for (const origin of ['https://minio.internal/b-1/k', 'https://minio.internal:443/b-1/k'])
      expect(parseS3Origin(new URL(origin), TLS_ENDPOINT)).toEqual({
        bucket: 'b-1',
        key: 'k',
        form: 'endpoint',
      });
  });

  it.each([
    // not an S3 form: plain http(s) (the http fetcher's, unless a rule says otherwise)
    'https://example.org/my-bucket/k',
    'https://amazonaws.com/my-bucket/k',
    'https://my-bucket.s3.eu-west-1.amazonaws.com.evil.example/k',
    'https://s3.eu-west-1.amazonaws.com.evil.example/my-bucket/k',
    'https://my-bucket.example.com/k',
    // the endpoint's host with another port or scheme is not the endpoint
    'http://127.0.0.1:9001/my-bucket/k',
    'https://127.0.0.1:9000/my-bucket/k',
    'http://127.0.0.1/my-bucket/k',
    // other schemes
    'sftp://host/path',
    'ftp://host/path',
  ])('%s is no S3 URL (null)', (origin) => {
    expect(parseS3Origin(new URL(origin), ENDPOINT)).toBeNull();
  });

  it('without an endpoint only knows the AWS forms', () => {
    expect(parseS3Origin(new URL('http://127.0.0.1:9000/my-bucket/k'))).toBeNull();
    expect(parseS3Origin(new URL('s3://my-bucket/k'))).toEqual({ bucket: 'my-bucket', key: 'k', form: 's3' });
  });

  it.each([
    ['s3://my-bucket', 'it names no object key'],
    ['s3://my-bucket/', 'it names no object key'],
    ['s3://My-Bucket/k', 'not a valid bucket name'],
    ['s3://ab/k', 'not a valid bucket name'],
    ['s3://my_bucket/k', 'not a valid bucket name'],
    ['s3://my-bucket/k%zz', 'malformed %-escape'],
    ['s3://my-bucket:99/k', 'takes no port'],
    ['s3://reader:secret-pw@my-bucket/k', 'carry no credentials'],
    ['https://s3.eu-west-1.amazonaws.com/my-bucket', 'path-style S3 URL is /{bucket}/{key}'],
    ['https://s3.eu-west-1.amazonaws.com/my-bucket/', 'it names no object key'],
    ['https://s3.eu-west-1.amazonaws.com/', 'path-style S3 URL is /{bucket}/{key}'],
    ['https://my-bucket.s3.eu-west-1.amazonaws.com/', 'it names no object key'],
    ['http://127.0.0.1:9000/my-bucket', 'path-style S3 URL is /{bucket}/{key}'],
    ['http://127.0.0.1:9000/UPPER/k', 'not a valid bucket name'],
  ])('%s is refused permanently (%s)', (origin, why) => {
    let err: unknown;
    try {
      parseS3Origin(new URL(origin), ENDPOINT);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PermanentOriginError);
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).not.toContain('secret-pw');
  });
});

describe('s3Uri', () => {
  it('names the object as s3://bucket/key, the key as stored', () => {
    expect(s3Uri({ bucket: 'b-1', key: 'a b/c.jpg' })).toBe('s3://b-1/a b/c.jpg');
  });
});
