import 'reflect-metadata';
import { validateEnv } from '@vellum/common';
import { GatewayEnv } from './config/gateway-env';
import { startGateway } from './gateway';

/** Entry point: `node dist/main.js` (env: see .env.example). */
async function main(): Promise<void> {
  const env = validateEnv(GatewayEnv);
  await startGateway(env);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
