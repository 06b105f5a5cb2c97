import { originForMatching, strategySchemeProblem } from './origin-access.resolver';

describe('strategySchemeProblem', () => {
  it.each([
    ['default', 'https'],
    ['default', 's3'],
    ['default', 'sftp'],
    ['basic-http-authentication', 'http'],
    ['basic-http-authentication', 'https'],
    ['s3-ambient', 's3'],
    ['s3-ambient', 'https'],
    ['s3-ambient', 'http'],
    ['sftp', 'sftp'],
    ['ftp', 'ftp'],
    ['ftp', 'ftps'],
  ] as const)('%s fits %s', (strategy, scheme) => {
    expect(strategySchemeProblem(strategy, scheme, 'r-1')).toBeNull();
  });

  it.each([
    ['sftp', 'https', 'Origin strategy r-1 (sftp) does not apply to https origins (it takes sftp)'],
    ['ftp', 'http', 'Origin strategy r-1 (ftp) does not apply to http origins (it takes ftp, ftps, ftpes)'],
    [
      'basic-http-authentication',
      's3',
      'Origin strategy r-1 (basic-http-authentication) does not apply to s3 origins (it takes http, https)',
    ],
    [
      'basic-http-authentication',
      'sftp',
      'Origin strategy r-1 (basic-http-authentication) does not apply to sftp origins (it takes http, https)',
    ],
    [
      's3-ambient',
      'sftp',
      'Origin strategy r-1 (s3-ambient) does not apply to sftp origins (it takes s3, http, https)',
    ],
    ['sftp', 's3', 'Origin strategy r-1 (sftp) does not apply to s3 origins (it takes sftp)'],
  ] as const)('%s does not fit %s', (strategy, scheme, message) => {
    expect(strategySchemeProblem(strategy, scheme, 'r-1')).toBe(message);
  });
});

describe('originForMatching', () => {
  it.each([
    ['https://example.org/a.jpg', 'https://example.org/a.jpg'],
    ['https://user:pass@example.org/a.jpg', 'https://example.org/a.jpg'],
    ['https://vellum-sealed:v1.k.iv.ct@example.org:8443/a?b=c', 'https://example.org:8443/a?b=c'],
    ['sftp://me@host/home/me/x.tif', 'sftp://host/home/me/x.tif'],
    ['s3://bucket/a@b.jpg', 's3://bucket/a@b.jpg'],
    ['https://example.org/path@with-at', 'https://example.org/path@with-at'],
    ['not a url', 'not a url'],
  ])('%s → %s', (origin, expected) => {
    expect(originForMatching(origin)).toBe(expected);
  });
});
