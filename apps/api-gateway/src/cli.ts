import 'reflect-metadata';
import { validateEnv } from '@vellum/common';
import { createPrismaClient } from '@vellum/db';
import { bootstrapAdmin } from './auth/bootstrap-admin';
import { generateApiKey, generateApiSecret } from './auth/secret-hash';
import { CliEnv } from './config/cli-env';

const USAGE = `Usage: node dist/cli.js setup [--json] [--apply]

  setup           Print a newly generated admin key pair as VELLUM_ADMIN_KEY=... / VELLUM_ADMIN_SECRET=... lines
                  (give them to the gateway's environment: it creates the admin customer with them at start-up).
    --json        Print {"key": ..., "secret": ...} instead.
    --apply       Also create the admin customer (or add the key to it) in DATABASE_URL now. When
                  VELLUM_ADMIN_KEY and VELLUM_ADMIN_SECRET are set, that pair is used instead of a new one.
`;

/** `cli.js setup`: generate (and optionally apply) the admin key pair (SPEC.md §3.2 bootstrap). */
async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  if (command !== 'setup') {
    process.stderr.write(USAGE);
    return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
  const json = flags.includes('--json');
  const apply = flags.includes('--apply');
  const env = validateEnv(CliEnv);
  const pair =
    apply && env.VELLUM_ADMIN_KEY && env.VELLUM_ADMIN_SECRET
      ? { key: env.VELLUM_ADMIN_KEY, secret: env.VELLUM_ADMIN_SECRET }
      : { key: generateApiKey(), secret: generateApiSecret() };
  let outcome: string | undefined;
  if (apply) {
    const url = env.DATABASE_URL;
    if (!url) {
      process.stderr.write('setup --apply needs DATABASE_URL\n');
      return 2;
    }
    const prisma = createPrismaClient(url);
    try {
      outcome = await bootstrapAdmin(prisma, pair.key, pair.secret);
    } finally {
      await prisma.$disconnect();
    }
  }
  if (json) process.stdout.write(`${JSON.stringify({ ...pair, ...(outcome ? { outcome } : {}) })}\n`);
  else process.stdout.write(`VELLUM_ADMIN_KEY=${pair.key}\nVELLUM_ADMIN_SECRET=${pair.secret}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
