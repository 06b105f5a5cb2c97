import { validateEnv } from '@vellum/common';
import { DEFAULT_MAX_ORIGIN_BYTES, OrchestratorEnv } from './orchestrator.env';

const base = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/vellum',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
};

describe('OrchestratorEnv', () => {
  it('applies the defaults', () => {
    expect(validateEnv(OrchestratorEnv, base)).toMatchObject({
      PORT: 3003,
      VELLUM_ORIGIN_ALLOWLIST: '',
      VELLUM_ORIGIN_TIMEOUT_MS: 60000,
      VELLUM_MAX_ORIGIN_BYTES: DEFAULT_MAX_ORIGIN_BYTES,
      VELLUM_TILE_SIZE: 512,
      VELLUM_INGEST_PREFETCH: 16,
      VELLUM_INGEST_STUCK_MS: 86400000,
      VELLUM_INGEST_SWEEP_INTERVAL_MS: 60000,
    });
  });

  it('converts and accepts an allow-list of hosts and CIDRs', () => {
    const env = validateEnv(OrchestratorEnv, {
      ...base,
      PORT: '4000',
      VELLUM_ORIGIN_ALLOWLIST: '127.0.0.1/32, localhost,::1,fd00::/8',
      VELLUM_TILE_SIZE: '256',
    });
    expect(env).toMatchObject({ PORT: 4000, VELLUM_TILE_SIZE: 256 });
  });

  it('names every bad variable', () => {
    let message = '';
    try {
      validateEnv(OrchestratorEnv, {
        AMQP_URL: 'http://x',
        VELLUM_ORIGIN_ALLOWLIST: '10.0.0.0/99',
        VELLUM_MAX_ORIGIN_BYTES: 'lots',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['DATABASE_URL', 'AMQP_URL', 'VELLUM_ORIGIN_ALLOWLIST', 'VELLUM_MAX_ORIGIN_BYTES'])
      expect(message).toContain(name);
  });

  it('validates the storage variables at boot (StorageEnv), naming the bad one', () => {
    expect(() => validateEnv(OrchestratorEnv, { ...base, S3_ENDPOINT: 'minio:9000' })).toThrow(
      'Invalid environment: S3_ENDPOINT must be a URL with scheme http:// or https:// (got "minio:9000")',
    );
    expect(() => validateEnv(OrchestratorEnv, { ...base, S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(
      'Invalid environment: S3_ACCESS_KEY is required; S3_SECRET_KEY is required',
    );
    expect(() => validateEnv(OrchestratorEnv, { ...base, VELLUM_BUCKET_ORIGINS: 'Origins_1' })).toThrow(
      'Invalid environment: VELLUM_BUCKET_ORIGINS must be a valid bucket name (3-63 chars of a-z, 0-9, . and -) (got "Origins_1")',
    );
    expect(validateEnv(OrchestratorEnv, { ...base, VELLUM_BUCKET_ORIGINS: 'my-origins' })).toMatchObject({
      VELLUM_BUCKET_ORIGINS: 'my-origins',
      S3_REGION: 'us-east-1',
    });
  });

  it('takes sftp host-key fingerprints (SHA256:…, comma-separated) and an ftps CA file; refuses malformed fingerprints', () => {
    const fp = 'SHA256:GFGfV76YF290HiZjptRJ7NvOj0gQ0/DPu6P6Wpq68Dw';
    expect(validateEnv(OrchestratorEnv, base)).toMatchObject({ VELLUM_SFTP_HOST_FINGERPRINTS: '' });
    expect(
      validateEnv(OrchestratorEnv, {
        ...base,
        VELLUM_SFTP_HOST_FINGERPRINTS: `${fp}, ${fp.replace('G', 'H')}`,
        VELLUM_FTPS_CA_FILE: '/etc/vellum/ftps-ca.pem',
      }),
    ).toMatchObject({ VELLUM_FTPS_CA_FILE: '/etc/vellum/ftps-ca.pem' });
    for (const bad of ['MD5:aa:bb', fp.slice(0, -1), `${fp},nope`])
      expect(() => validateEnv(OrchestratorEnv, { ...base, VELLUM_SFTP_HOST_FINGERPRINTS: bad })).toThrow(
        /VELLUM_SFTP_HOST_FINGERPRINTS must be a comma-separated list of SSH fingerprints/,
      );
  });
});
