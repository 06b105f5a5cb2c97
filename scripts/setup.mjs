#!/usr/bin/env node
// One-time (and idempotent) set-up on a fresh clone: system tools, pnpm, dependencies, Prisma client,
// build. Used by `npm start` and `npm test`; safe to run again (each step is skipped when up to date).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, STATE_DIR, step, run, has, hashFiles, yellow, green } from './lib.mjs';

/**
 * Debian packages Vellum shells out to: opj_decompress (JPEG 2000 input), pdfinfo + pdftoppm (PDF input); the
 * real servers the origin tests start: sshd and ssh-keygen (sftp://), vsftpd (ftp://, ftps://), openssl (the FTPS
 * test certificate); and chromium, the headless browser in which the viewer tests run Mirador and the Universal
 * Viewer (driven by playwright-core, whose own browser download cannot work offline); and docker-compose (Debian's
 * 1.29), whose `config` command validates docker-compose.yml offline in `npm test` (scripts/test/compose.test.mjs).
 */
const APT_PACKAGES = [
  { bin: 'opj_decompress', pkg: 'libopenjp2-tools' },
  { bin: 'pdftoppm', pkg: 'poppler-utils' },
  { bin: '/usr/sbin/sshd', pkg: 'openssh-server' },
  { bin: 'ssh-keygen', pkg: 'openssh-client' },
  { bin: '/usr/sbin/vsftpd', pkg: 'vsftpd' },
  { bin: 'openssl', pkg: 'openssl' },
  { bin: 'chromium', pkg: 'chromium' },
  { bin: 'ffmpeg', pkg: 'ffmpeg' },
  { bin: 'ffprobe', pkg: 'ffmpeg' },
  { bin: 'docker-compose', pkg: 'docker-compose' },
];

async function ensureSystemTools() {
  const missing = APT_PACKAGES.filter((p) => !has(p.bin));
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map((p) => p.pkg))];
  const isRoot = process.getuid?.() === 0;
  if (!has('apt-get')) {
    console.warn(
      yellow(
        `! Missing ${missing.map((m) => m.bin).join(', ')}; install ${pkgs.join(' ')} with your package manager (JPEG 2000 and PDF input, audio/video transcoding, the sftp/ftp origin tests and the browser tests need them).`,
      ),
    );
    return;
  }
  step(`Installing system packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const cmd = (args) => (isRoot ? run('apt-get', args, { env }) : run('sudo', ['apt-get', ...args], { env }));
  try {
    await cmd(['update', '-qq']);
    await cmd(['install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
  } catch (err) {
    console.warn(
      yellow(
        `! Could not install ${pkgs.join(' ')} (${err.message}); JPEG 2000 / PDF input, audio/video transcoding (and the sftp/ftp origin and browser tests) will fail until they are installed.`,
      ),
    );
  }
}

async function ensurePnpm() {
  if (has('pnpm')) return;
  step('Installing pnpm (npm i -g pnpm@10)');
  try {
    await run('npm', ['install', '-g', '--no-fund', '--no-audit', 'pnpm@10']);
  } catch {
    step('npm -g failed; trying corepack');
    await run('corepack', ['enable', 'pnpm']);
  }
}

async function ensureDependencies() {
  const stamp = path.join(STATE_DIR, 'install.stamp');
  const digest = hashFiles([path.join(ROOT, 'pnpm-lock.yaml'), path.join(ROOT, 'package.json')]);
  if (
    fs.existsSync(path.join(ROOT, 'node_modules')) &&
    fs.existsSync(stamp) &&
    fs.readFileSync(stamp, 'utf8') === digest
  ) {
    return;
  }
  step('Installing dependencies (pnpm install --frozen-lockfile)');
  await run(
    'pnpm',
    ['install', '--frozen-lockfile', '--reporter=append-only', '--config.confirmModulesPurge=false'],
    {
      env: {
        ...process.env,
        COREPACK_ENABLE_STRICT: '0',
        npm_config_manage_package_manager_versions: 'false',
      },
    },
  );
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(stamp, digest);
}

async function build() {
  step('Building (Prisma client generation + TypeScript, via Turborepo)');
  await run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only', '--log-order=grouped']);
}

export async function setup({ quiet = false } = {}) {
  const started = Date.now();
  await ensureSystemTools();
  await ensurePnpm();
  await ensureDependencies();
  await build();
  if (!quiet) console.log(green(`✓ Set-up done in ${((Date.now() - started) / 1000).toFixed(1)} s`));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  setup().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
