import 'reflect-metadata';
import type { Server as HttpServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
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

  /** Sends raw bytes to 127.0.0.1:port and resolves with everything the server answers before closing. */
  function rawRequest(port: number, bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
  }

  it('answers requests Node rejects before routing (431, 400) with a problem document and the extra headers', async () => {
    const app = await bootstrapService(BootModule, {
      serviceName: 'boot-test',
      port: 0,
      host: '127.0.0.1',
      clientErrorHeaders: { 'Access-Control-Allow-Origin': '*' },
    });
    try {
      const port = ((app.getHttpServer() as HttpServer).address() as AddressInfo).port;
      const big = await rawRequest(
        port,
        `GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      const [head, body] = big.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      expect(head).toContain('Content-Type: application/problem+json; charset=utf-8');
      expect(head).toContain('Access-Control-Allow-Origin: *');
      expect(head).toContain('Connection: close');
      expect(JSON.parse(body)).toEqual({
        '@type': 'Error',
        type: 'https://vellum.dev/problems/request-header-fields-too-large',
        title: 'Request Header Fields Too Large',
        status: 431,
        detail: 'The request headers are larger than this server accepts.',
        instance: '/health/live',
      });
      const bad = await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n');
      expect(bad).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(JSON.parse(bad.split('\r\n\r\n')[1])).toMatchObject({ '@type': 'Error', status: 400 });
      // The server still serves normal requests afterwards.
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
