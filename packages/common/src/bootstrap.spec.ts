import 'reflect-metadata';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { bootstrapService } from './bootstrap';
import { BaseEnv, validateEnv } from './env';
import { ProblemExceptionFilter } from './problem';
import { VellumCommonModule } from './vellum-common.module';

const lines: Array<Record<string, unknown>> = [];

class FakeTransport extends Server implements CustomTransportStrategy {
  events: string[] = [];
  listen(callback: () => void): void {
    this.events.push('listen');
    callback();
  }
  async close(): Promise<void> {
    this.events.push('close');
  }
  on(): void {}
  unwrap<T>(): T {
    throw new Error('not supported');
  }
}

@Module({
  imports: [
    VellumCommonModule.forRoot({
      serviceName: 'boot-test',
      defaultMetrics: false,
      logDestination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
    }),
  ],
})
class BootModule {}

describe('bootstrapService', () => {
  it('starts the transport, listens, logs "listening", sets keep-alive, and closes the transport', async () => {
    const transport = new FakeTransport();
    let configured = false;
    const app = await bootstrapService(BootModule, {
      serviceName: 'boot-test',
      port: 0,
      host: '127.0.0.1',
      transport: () => transport,
      configure: (a) => {
        a.useGlobalFilters(new ProblemExceptionFilter());
        configured = true;
      },
    });
    try {
      expect(configured).toBe(true);
      expect(transport.events).toEqual(['listen']);
      const server = app.getHttpServer() as HttpServer;
      expect(server.keepAliveTimeout).toBe(65000);
      expect(server.headersTimeout).toBeGreaterThan(65000);
      const port = (server.address() as AddressInfo).port;
      expect(lines.find((l) => l.msg === `boot-test listening on http://127.0.0.1:${port}`)).toMatchObject({
        level: 'info',
        service: 'boot-test',
      });
      const res = await fetch(`http://127.0.0.1:${port}/nope`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await app.close();
    }
    expect(transport.events).toEqual(['listen', 'close']);
  });

  it('binds the interface the validated env names (HOST), not every interface', async () => {
    const app = await bootstrapService(BootModule, {
      serviceName: 'boot-test',
      port: 0,
      env: validateEnv(BaseEnv, { HOST: '127.0.0.1' }),
    });
    try {
      const address = (app.getHttpServer() as HttpServer).address() as AddressInfo;
      expect(address.address).toBe('127.0.0.1');
      expect(lines.some((l) => l.msg === `boot-test listening on http://127.0.0.1:${address.port}`)).toBe(
        true,
      );
    } finally {
      await app.close();
    }
  });

  it('binds every interface by default (containers)', async () => {
    const app = await bootstrapService(BootModule, {
      serviceName: 'boot-test',
      port: 0,
      env: validateEnv(BaseEnv, {}),
    });
    try {
      expect(((app.getHttpServer() as HttpServer).address() as AddressInfo).address).toMatch(
        /^(0\.0\.0\.0|::)$/,
      );
    } finally {
      await app.close();
    }
  });
});
