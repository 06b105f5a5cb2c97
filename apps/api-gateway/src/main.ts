import 'reflect-metadata';
import { runClustered, runService, validateEnv, workerCount } from '@vellum/common';
import { GatewayEnv } from './config/gateway-env';
import { startGateway } from './gateway';

/** Entry point: `node dist/main.js` (env: see .env.example); `VELLUM_API_WORKERS` processes share the port. */
async function main(): Promise<void> {
  const env = validateEnv(GatewayEnv);
  await runClustered('api-gateway', workerCount(env.VELLUM_API_WORKERS), () => startGateway(env));
}

runService('api-gateway', main);
