import 'reflect-metadata';
import { bootstrapService, runService, validateEnv } from '@vellum/common';
import { AppModule } from './app.module';
import { AuthServiceEnv } from './auth-service.env';

async function main(): Promise<void> {
  const env = validateEnv(AuthServiceEnv);
  await bootstrapService(AppModule, { serviceName: 'auth-service', env, port: env.PORT });
}

runService('auth-service', main);
