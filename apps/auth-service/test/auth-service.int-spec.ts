import 'reflect-metadata';
import { connect } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { validateEnv } from '@vellum/common';
import {
  createTestDatabase,
  createTestVhost,
  freePort,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { AuthServiceEnv } from '../src/auth-service.env';
import { startAuthService } from '../src/main';

/** auth-service over real Postgres: CORS and problem documents on every response (SPEC.md §5, §3.1). */
describe('auth-service (integration)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let app: INestApplication;
  let base: string;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    vhost = await createTestVhost();
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = validateEnv(AuthServiceEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
    });
    app = await startAuthService(env, { host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await vhost?.drop();
  });

  it('answers an unknown route with a 404 problem document carrying CORS', async () => {
    const res = await fetch(`${base}/auth/v2/nope`, { headers: { Origin: 'https://viewer.example' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(await res.json()).toMatchObject({ '@type': 'Error', status: 404, instance: '/auth/v2/nope' });
  });

  it('answers CORS preflight and carries CORS on the probes', async () => {
    const pre = await fetch(`${base}/auth/v2/anything`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://viewer.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');
    const live = await fetch(`${base}/health/live`);
    expect(live.status).toBe(200);
    expect(live.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers headers over the limit with a 431 problem document carrying CORS', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(`GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`),
      );
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/\r\nAccess-Control-Allow-Origin: \*/);
    expect(JSON.parse(body)).toMatchObject({ '@type': 'Error', status: 431 });
  });

  it('token service: the unavailable profile when the database cannot be reached', async () => {
    const brokenPort = await freePort();
    const broken = validateEnv(AuthServiceEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PORT: String(brokenPort),
      DATABASE_URL: db.url.replace(/\/[^/?]+(\?|$)/, '/vellum_no_such_database$1'),
      AMQP_URL: vhost.url,
      AMQP_EXCHANGE: vhost.exchange,
    });
    const down = await startAuthService(broken, { host: '127.0.0.1' });
    try {
      const res = await fetch(
        `http://127.0.0.1:${brokenPort}/auth/v2/token/1?messageId=m&origin=https%3A%2F%2Fviewer.example`,
      );
      expect(res.status).toBe(200);
      const html = await res.text();
      const m = /window\.parent\.postMessage\((.*), ("[^"]*")\);/.exec(html);
      expect(JSON.parse(m![1])).toMatchObject({
        type: 'AuthAccessTokenError2',
        profile: 'unavailable',
        messageId: 'm',
      });
      expect(JSON.parse(m![2])).toBe('https://viewer.example');
    } finally {
      await down.close();
    }
  });
});
