import { availableParallelism } from 'node:os';
import { validateEnv } from '@vellum/common';
import { ImageProcessorEnv } from './image-processor.env';

const base = {
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vellum',
};

function messageOf(env: Record<string, string>): string {
  try {
    validateEnv(ImageProcessorEnv, env);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the environment to be rejected');
}

describe('ImageProcessorEnv', () => {
  it('applies the defaults', () => {
    expect(validateEnv(ImageProcessorEnv, base)).toMatchObject({
      PORT: 3004,
      HOST: '0.0.0.0',
      IMAGE_PROCESSOR_CONCURRENCY: availableParallelism() + 1,
      IMAGE_PROCESSOR_PROJECTION_CONCURRENCY: 1,
      VELLUM_PYRAMID_QUALITY: 85,
      OPJ_DECOMPRESS: 'opj_decompress',
      PDFINFO: 'pdfinfo',
      PDFTOPPM: 'pdftoppm',
      VELLUM_DECODE_TIMEOUT_MS: 120000,
      SHUTDOWN_TIMEOUT_MS: 25000,
    });
  });

  it('converts and accepts good values', () => {
    expect(
      validateEnv(ImageProcessorEnv, {
        ...base,
        IMAGE_PROCESSOR_CONCURRENCY: '4',
        OPJ_DECOMPRESS: '/usr/bin/opj_decompress',
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_ACCESS_KEY: 'k',
        S3_SECRET_KEY: 's',
      }),
    ).toMatchObject({ IMAGE_PROCESSOR_CONCURRENCY: 4, OPJ_DECOMPRESS: '/usr/bin/opj_decompress' });
  });

  it.each([
    ['IMAGE_PROCESSOR_CONCURRENCY', 'many', 'must be an integer between 1 and 64'],
    ['IMAGE_PROCESSOR_CONCURRENCY', '0', 'must be an integer between 1 and 64'],
    ['IMAGE_PROCESSOR_PROJECTION_CONCURRENCY', '17', 'must be an integer between 1 and 16'],
    ['DATABASE_URL', 'mysql://db/vellum', 'must be a URL with scheme postgres:// or postgresql://'],
    ['OPJ_DECOMPRESS', 'bin/opj_decompress', 'must be an absolute path or a command name on PATH'],
    ['OPJ_DECOMPRESS', 'opj decompress', 'must be an absolute path or a command name on PATH'],
    ['PDFTOPPM', './pdftoppm', 'must be an absolute path or a command name on PATH'],
    ['PDFINFO', 'poppler/pdfinfo', 'must be an absolute path or a command name on PATH'],
    ['VELLUM_DECODE_TIMEOUT_MS', '10', 'must be an integer between 1000 and 3600000'],
    ['SHUTDOWN_TIMEOUT_MS', '-5', 'must be an integer >= 0'],
    ['HOST', '127.0.0.1:3004', 'must be an IP address or host name to listen on'],
    ['S3_ENDPOINT', 'minio:9000', 'must be a URL with scheme http:// or https://'],
  ])('rejects %s=%s, naming it', (variable, value, reason) => {
    const keys: Record<string, string> =
      variable === 'S3_ENDPOINT' ? { S3_ACCESS_KEY: 'k', S3_SECRET_KEY: 's' } : {};
    expect(messageOf({ ...base, ...keys, [variable]: value })).toContain(`${variable} ${reason}`);
  });

  it('requires the S3 keys with an endpoint', () => {
    expect(messageOf({ ...base, S3_ENDPOINT: 'http://127.0.0.1:9000' })).toBe(
      'Invalid environment: S3_ACCESS_KEY is required; S3_SECRET_KEY is required',
    );
  });
});
