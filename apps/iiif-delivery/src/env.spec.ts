import { validateEnv } from '@vellum/common';
import { DeliveryEnv } from './env';

const base = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vellum',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
};

describe('DeliveryEnv', () => {
  it('applies the defaults, storage included', () => {
    expect(validateEnv(DeliveryEnv, base)).toMatchObject({
      PORT: 3001,
      HOST: '0.0.0.0',
      VELLUM_BUCKET_DERIVATIVES: 'vellum-derivatives',
      VELLUM_BUCKET_THUMBNAILS: 'vellum-thumbs',
      S3_REGION: 'us-east-1',
    });
  });

  it.each([
    ['S3_ENDPOINT', 'not a url', 'must be a URL with scheme http:// or https://'],
    ['VELLUM_BUCKET_DERIVATIVES', 'UPPER', 'must be a valid bucket name (3-63 chars of a-z, 0-9, . and -)'],
    ['VELLUM_BUCKET_THUMBNAILS', 'a_b_c', 'must be a valid bucket name (3-63 chars of a-z, 0-9, . and -)'],
  ])('rejects %s=%s at boot, naming it', (variable, value, reason) => {
    const keys: Record<string, string> =
      variable === 'S3_ENDPOINT' ? { S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' } : {};
    expect(() => validateEnv(DeliveryEnv, { ...base, ...keys, [variable]: value })).toThrow(
      `${variable} ${reason}`,
    );
  });

  it('requires the S3 keys with an endpoint', () => {
    expect(() => validateEnv(DeliveryEnv, { ...base, S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(
      'Invalid environment: S3_ACCESS_KEY is required; S3_SECRET_KEY is required',
    );
  });
});
