/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import type { INestApplication } from '@nestjs/common';
import { validateEnv } from '@vellum/common';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import {
  createTestDatabase,
  createTestVhost,
  freePort,
  type TestDatabase,
  type TestVhost,
} from '@vellum/testing';
import { GatewayEnv } from '../src/config/gateway-env';
import { startGateway } from '../src/gateway';

/** A response as the tests see it: status, headers and the body parsed as JSON when it is JSON. */
export interface CallResult {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

export interface CallOptions {
  /** `key:secret` sent as HTTP Basic. */
  key?: string;
  /** Serialised as JSON. */
  body?: unknown;
  /** Sent as is (string or bytes). */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** A gateway on a free 127.0.0.1 port with its own Postgres database and RabbitMQ vhost. */
export interface TestGateway {
  app: INestApplication;
  prisma: PrismaClient;
  base: string;
  /** The validated environment it runs with (to start a second instance on the same database and vhost). */
  env: GatewayEnv;
  /** Its database and vhost (a gateway started with `shareWith` uses the same ones). */
  infra: { databaseUrl: string; amqpUrl: string; exchange: string };
  call(method: string, path: string, opts?: CallOptions): Promise<CallResult>;
  close(): Promise<void>;
}

/** HTTP Basic header for a `key:secret` pair. */
export const basic = (pair: string): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(pair).toString('base64')}`,
});

/** A `call` function against any gateway base URL (`http://127.0.0.1:<port>`), as {@link TestGateway.call}. */
export function caller(base: string): TestGateway['call'] {
  return async (method: string, path: string, opts: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...(opts.key ? basic(opts.key) : {}), ...(opts.headers ?? {}) };
    let body: string | Uint8Array | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['Content-Type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
}

/**
 * Boots the real gateway (startGateway) against a fresh database (`createTestDatabase`) and vhost
 * (`createTestVhost`); `env` overrides the gateway variables (strings, as in the environment);
 * `opts.logDestination` receives the gateway's JSON log lines (e.g. `{ write: (line) => lines.push(line) }`).
 * @param opts.shareWith start another replica on the same database and vhost as that gateway (two replicas in one
 *   test); its `close()` leaves them to their owner.
 */
export async function startTestGateway(
  env: Record<string, string> = {},
  opts: { logDestination?: { write(line: string): void }; shareWith?: TestGateway } = {},
): Promise<TestGateway> {
  let db: TestDatabase | undefined;
  let vhost: TestVhost | undefined;
  let infra: TestGateway['infra'];
  if (opts.shareWith) infra = opts.shareWith.infra;
  else {
    [db, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
    infra = { databaseUrl: db.url, amqpUrl: vhost.url, exchange: vhost.exchange };
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const validated = validateEnv(GatewayEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    DATABASE_URL: infra.databaseUrl,
    AMQP_URL: infra.amqpUrl,
    AMQP_EXCHANGE: infra.exchange,
    VELLUM_API_URL: base,
    VELLUM_DELIVERY_URL: 'http://delivery.test',
    VELLUM_IMMEDIATE_TIMEOUT_MS: '0',
    ...env,
  });
  const app = await startGateway(validated, { host: '127.0.0.1', logDestination: opts.logDestination });
  const prisma = createPrismaClient(infra.databaseUrl);

  const call = caller(base);

  return {
    app,
    prisma,
    base,
    env: validated,
    infra,
    call,
    async close() {
      await app.close();
      await prisma.$disconnect();
      await Promise.all([db?.drop(), vhost?.drop()]);
      db = undefined;
      vhost = undefined;
    },
  };
}

/**
 * Sets up the admin (POST /setup), a customer `acme` with a key, a space 1 and an asset `a1` in it.
 * @returns the credentials and ids.
 */
export async function seedCustomer(
  gw: TestGateway,
): Promise<{ admin: string; key: string; customerId: number }> {
  const setup = await gw.call('POST', '/setup');
  const admin = `${setup.json.key}:${setup.json.secret}`;
  const customer = await gw.call('POST', '/customers', {
    key: admin,
    body: { name: 'acme', displayName: 'Acme' },
  });
  const customerId = customer.json.id as number;
  const k = await gw.call('POST', `/customers/${customerId}/keys`, { key: admin });
  const key = `${k.json.key}:${k.json.secret}`;
  await gw.call('POST', `/customers/${customerId}/spaces`, { key, body: { name: 'books' } });
  await gw.call('PUT', `/customers/${customerId}/spaces/1/images/a1`, {
    key,
    body: { origin: 'https://example.org/a1.jpg', mediaType: 'image/jpeg' },
  });
  return { admin, key, customerId };
}

/** True when the body is an RFC 7807 problem document in Vellum's shape (SPEC.md §3.1). */
export function isProblem(res: CallResult): boolean {
  const j = res.json;
  return (
    /application\/problem\+json/.test(res.headers.get('content-type') ?? '') &&
    !!j &&
    j['@type'] === 'Error' &&
    typeof j.type === 'string' &&
    typeof j.title === 'string' &&
    j.status === res.status &&
    typeof j.instance === 'string'
  );
}

/**
 * Creates roles of a customer (issue 10: assets, spaces, custom headers and users may only name existing roles),
 * granted by the default `clickthrough` access service.
 */
export async function createRoles(
  gw: TestGateway,
  key: string,
  customerId: number,
  names: string[],
): Promise<void> {
  for (const name of names) {
    const r = await gw.call('PUT', `/customers/${customerId}/roles/${name}`, {
      key,
      body: { label: { en: [name] } },
    });
    if (r.status !== 201 && r.status !== 200) throw new Error(`role ${name}: ${r.status} ${r.text}`);
  }
}

/** The URI the API renders a stored role name as (`{api}/customers/{c}/roles/{name}`). */
export function roleUri(gw: TestGateway, customerId: number, name: string): string {
  return `${gw.base}/customers/${customerId}/roles/${name}`;
}
