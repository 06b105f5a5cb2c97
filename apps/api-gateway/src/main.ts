import 'reflect-metadata';
import { runService, validateEnv } from '@vellum/common';
import { GatewayEnv } from './config/gateway-env';
import { startGateway } from './gateway';

/** Entry point: `node dist/main.js` (env: see .env.example). */
async function main(): Promise<void> {
  const env = validateEnv(GatewayEnv);
  await startGateway(env);
}

runService('api-gateway', main);
