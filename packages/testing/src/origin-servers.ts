import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Daemon, findExecutable, startDaemon } from './daemon';
import { freePort } from './wait';

/** A real SFTP server (OpenSSH `sshd`) on 127.0.0.1 serving one directory, key authentication only. */
export interface SftpTestServer {
  port: number;
  /** The login (the user running the test: sshd authenticates against a real account). */
  user: string;
  /** An OpenSSH private key (no passphrase) that the server accepts for `user`. */
  privateKey: string;
  /**
   * `sftp://127.0.0.1:<port>/~<p>` for a path `p` inside the served directory (e.g. `/scan.jp2`): `/~/` is the login
   * directory, which `internal-sftp -d` makes the served one.
   */
  url(p: string): string;
  /** Stops sshd and removes its directory. */
  stop(): Promise<void>;
}

/** A real FTP server (`vsftpd`) on 127.0.0.1 serving one directory to anonymous logins, passive mode. */
export interface FtpTestServer {
  port: number;
  /** `ftp://127.0.0.1:<port>/<p>` for a path relative to the served directory. */
  url(p: string): string;
  stop(): Promise<void>;
}

/** Paths of the servers, or undefined when the machine lacks them (`node scripts/setup.mjs` installs them). */
export const SSHD = findExecutable('sshd');
export const SSH_KEYGEN = findExecutable('ssh-keygen');
export const VSFTPD = findExecutable('vsftpd');

/**
 * Starts OpenSSH's `sshd` in the foreground on a free loopback port with a throwaway host key and a client key made
 * here; `Subsystem sftp internal-sftp -d <files>` so `sftp://…/x` reads `<files>/x`. Password logins are off (sshd
 * could only check them against a system account).
 * @param files the directory to serve (copy the fixtures there first).
 * @throws Error when sshd/ssh-keygen are missing or sshd does not start (with its output).
 */
export async function startSftpServer(files: string): Promise<SftpTestServer> {
  if (!SSHD || !SSH_KEYGEN)
    throw new Error('sshd/ssh-keygen not installed (Debian openssh-server, openssh-client)');
  const dir = await mkdtemp(path.join(tmpdir(), 'vellum-sshd-'));
  const keygen = (name: string): string => {
    const file = path.join(dir, name);
    execFileSync(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', 'vellum-test', '-f', file]);
    return readFileSync(file, 'utf8');
  };
  keygen('host_key');
  const privateKey = keygen('client_key');
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_key.pub')));
  // Run as root, sshd insists on its privilege-separation directory (which the Debian service would create).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      `Subsystem sftp internal-sftp -d ${files.replace(/ /g, '\\ ')}`,
      '',
    ].join('\n'),
  );
  let daemon: Daemon;
  try {
    daemon = await startDaemon({
      command: SSHD,
      args: ['-D', '-e', '-f', config],
      port,
      description: 'sshd',
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  return {
    port,
    user,
    privateKey,
    url: (p) => `sftp://127.0.0.1:${port}/~${p}`,
    stop: async () => {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `vsftpd` in the foreground on a free loopback port: anonymous logins (no password asked) reading `files`,
 * passive data ports from a free range, no writes.
 * @throws Error when vsftpd is missing or does not start (with its output).
 */
export async function startFtpServer(files: string): Promise<FtpTestServer> {
  if (!VSFTPD) throw new Error('vsftpd not installed (Debian vsftpd)');
  const dir = await mkdtemp(path.join(tmpdir(), 'vellum-vsftpd-'));
  const port = await freePort();
  const pasv = await freePort();
  const empty = path.join(dir, 'empty');
  mkdirSync(empty);
  const config = path.join(dir, 'vsftpd.conf');
  writeFileSync(
    config,
    [
      'listen=YES',
      'listen_ipv6=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'run_as_launching_user=YES',
      'seccomp_sandbox=NO',
      'anonymous_enable=YES',
      'no_anon_password=YES',
      'local_enable=NO',
      'write_enable=NO',
      `anon_root=${files}`,
      'pasv_enable=YES',
      `pasv_min_port=${pasv}`,
      `pasv_max_port=${Math.min(65535, pasv + 20)}`,
      `secure_chroot_dir=${empty}`,
      'xferlog_enable=NO',
      '',
    ].join('\n'),
  );
  let daemon: Daemon;
  try {
    daemon = await startDaemon({ command: VSFTPD, args: [config], port, description: 'vsftpd' });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: (p) => `ftp://127.0.0.1:${port}/${p}`,
    stop: async () => {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
