import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ftpOriginFetcherFromEnv } from './ftp-origin.fetcher';
import { sftpOriginFetcherFromEnv } from './sftp-origin.fetcher';
import { parseAllowList, SsrfGuard } from './ssrf-guard';

const guard = new SsrfGuard(parseAllowList(''));

// sshFingerprint is checked against `ssh-keygen -lf` in sftp-origin.int-spec.ts (host-key pinning).
describe('the sftp and ftp fetchers from the environment', () => {
  it('handle sftp, and ftp plus ftps (explicit TLS)', () => {
    const env = {
      VELLUM_ORIGIN_TIMEOUT_MS: 1000,
      VELLUM_SFTP_HOST_FINGERPRINTS: '',
      VELLUM_FTPS_CA_FILE: undefined,
    };
    expect(sftpOriginFetcherFromEnv(guard, env).schemes).toEqual(['sftp']);
    expect(ftpOriginFetcherFromEnv(guard, env).schemes).toEqual(['ftp', 'ftps']);
  });

  it('reads VELLUM_FTPS_CA_FILE at boot, and names the variable and the path when it cannot', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vellum-ca-'));
    try {
      const file = path.join(dir, 'ca.pem');
      writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      expect(() =>
        ftpOriginFetcherFromEnv(guard, { VELLUM_ORIGIN_TIMEOUT_MS: 1000, VELLUM_FTPS_CA_FILE: file }),
      ).not.toThrow();
      const missing = path.join(dir, 'missing.pem');
      expect(() =>
        ftpOriginFetcherFromEnv(guard, { VELLUM_ORIGIN_TIMEOUT_MS: 1000, VELLUM_FTPS_CA_FILE: missing }),
      ).toThrow(`VELLUM_FTPS_CA_FILE: cannot read ${missing} (ENOENT)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
