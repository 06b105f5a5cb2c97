import 'reflect-metadata';
import { bootstrapService, validateEnv } from '@vellum/common';
import { AppModule } from './app.module';
import { AuthServiceEnv } from './auth-service.env';

async function main(): Promise<void> {
  const env = validateEnv(AuthServiceEnv);
  await bootstrapService(AppModule, { serviceName: 'auth-service', port: env.PORT });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
