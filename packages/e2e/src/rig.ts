import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  createTestDatabase,
  createTestVhost,
  fixturePath,
  freePort,
  startS3Server,
  type S3TestServer,
} from '@vellum/testing';
import { SERVICE_NAMES, type Platform, type ServiceName, startPlatform, tailLog } from './platform';

/** The admin key every rig's platform is started with (VELLUM_ADMIN_KEY / VELLUM_ADMIN_SECRET). */
export const RIG_ADMIN = { key: 'e2e-admin', secret: 'e2e-admin-secret-0123456789' };

/** A parsed JSON response body (tests check its shape). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** The six services on real infrastructure, an origin, and a client for the management API. */
export interface Rig {
  platform: Platform;
  /** The S3-protocol server the services store in (its `env` holds the S3 settings). */
  s3: S3TestServer;
  /** The platform's own test database (for tests that seed rows the platform cannot make yet). */
  databaseUrl: string;
  /** `http://127.0.0.1:{port}` of the origin; by default it serves `fixtures/` by file name (404 otherwise). */
  originUrl: string;
  /** `Authorization` header of the admin key. */
  auth: Record<string, string>;
  /** One JSON request to the management API as the admin. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** Stops everything and removes what the rig made; with `printLogs`, prints each service's last log lines. */
  stop(opts?: { printLogs?: boolean }): Promise<void>;
}

/** Serves `fixtures/{basename}` with its Content-Length, or 404. */
export const fixtureOrigin: http.RequestListener = (req, res) => {
  const file = fixturePath(path.basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
  if (!fs.existsSync(file)) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-length': fs.statSync(file).size });
  fs.createReadStream(file).pipe(res);
};

/**
 * Starts a rig for one end-to-end suite: a fresh Postgres database, RabbitMQ vhost and S3-protocol server, an HTTP
 * origin on 127.0.0.1 (`opts.origin`, default {@link fixtureOrigin}), and the six built services against them, with
 * the admin key {@link RIG_ADMIN}, `127.0.0.1` allowed as an origin and a 60 s immediate-registration timeout.
 * @param name names the temp directory (delivery disk cache, staging files).
 * @param opts.env extra or overriding service environment.
 * @param opts.databaseBaseUrl create the fresh database on this PostgreSQL server instead of the shared one (e.g.
 *   `startPrivatePostgres().url`, for tests that stop the database).
 * @param opts.amqpUrl point the services at this broker as it is, instead of a fresh vhost of the shared one (e.g.
 *   `startPrivateRabbitMQ().url`, for tests that stop the broker: the node is the test's own, so no vhost is made).
 * @param opts.ports the 127.0.0.1 port of some services (default: free ones). Every service is told
 *   `VELLUM_AUTH_URL=http://127.0.0.1:{auth-service port}` (the public base of the IIIF Auth 2.0 services), as
 *   `npm start` does.
 * @throws when a service does not become ready (the platform names it and its log).
 */
export async function startRig(
  name: string,
  opts: {
    origin?: http.RequestListener;
    env?: Record<string, string>;
    databaseBaseUrl?: string;
    amqpUrl?: string;
    ports?: Partial<Record<ServiceName, number>>;
  } = {},
): Promise<Rig> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const [db, vhost, s3] = await Promise.all([
    createTestDatabase({ baseUrl: opts.databaseBaseUrl }),
    opts.amqpUrl ? undefined : createTestVhost(),
    startS3Server(),
  ]);
  cleanups.push(
    () => db.drop(),
    async () => vhost?.drop(),
    () => s3.stop(),
  );
  const origin = http.createServer(opts.origin ?? fixtureOrigin);
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => origin.close(r)));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `vellum-e2e-${name}-`));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  const ports = {} as Record<ServiceName, number>;
  for (const service of SERVICE_NAMES) ports[service] = opts.ports?.[service] ?? (await freePort());
  let platform: Platform;
  try {
    platform = await startPlatform(
      {
        ...s3.env,
        DATABASE_URL: db.url,
        AMQP_URL: opts.amqpUrl ?? vhost!.url,
        VELLUM_DELIVERY_PORT: String(ports['iiif-delivery']),
        VELLUM_AUTH_URL: `http://127.0.0.1:${ports['auth-service']}`,
        VELLUM_ADMIN_KEY: RIG_ADMIN.key,
        VELLUM_ADMIN_SECRET: RIG_ADMIN.secret,
        VELLUM_ORIGIN_ALLOWLIST: '127.0.0.1/32',
        VELLUM_DELIVERY_CACHE_DIR: path.join(tmp, 'delivery-cache'),
        VELLUM_TMP_DIR: tmp,
        VELLUM_IMMEDIATE_TIMEOUT_MS: '60000',
        ...opts.env,
      },
      ports,
    );
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
  const auth = {
    authorization: `Basic ${Buffer.from(`${RIG_ADMIN.key}:${RIG_ADMIN.secret}`).toString('base64')}`,
  };
  return {
    platform,
    s3,
    databaseUrl: db.url,
    originUrl: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
    auth,
    async api(method, p, body) {
      const res = await fetch(`${platform.apiUrl}${p}`, {
        method,
        headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async stop(stopOpts = {}) {
      if (stopOpts.printLogs)
        for (const s of Object.values(platform.services)) console.log(`--- ${s.name}\n${tailLog(s, 15)}`);
      await platform.stop();
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    },
  };
}
