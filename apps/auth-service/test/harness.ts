import type { INestApplication } from '@nestjs/common';
import { validateEnv } from '@vellum/common';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { createTestDatabase, createTestVhost, type TestDatabase, type TestVhost } from '@vellum/testing';
import { AuthServiceEnv } from '../src/auth-service.env';
import { startAuthService } from '../src/main';

/** auth-service on a 127.0.0.1 port (callers pass a free one) with its own database and vhost. */
export interface TestAuthService {
  app: INestApplication;
  prisma: PrismaClient;
  base: string;
  env: AuthServiceEnv;
  vhost: TestVhost;
  close(): Promise<void>;
}

/** Boots the real auth-service (startAuthService) on a fresh database and RabbitMQ vhost; `env` overrides. */
export async function startTestAuthService(
  port: number,
  env: Record<string, string> = {},
): Promise<TestAuthService> {
  const db: TestDatabase = await createTestDatabase();
  const vhost = await createTestVhost();
  const validated = validateEnv(AuthServiceEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    DATABASE_URL: db.url,
    AMQP_URL: vhost.url,
    AMQP_EXCHANGE: vhost.exchange,
    ...env,
  });
  const app = await startAuthService(validated, { host: '127.0.0.1' });
  const prisma = createPrismaClient(db.url);
  return {
    app,
    prisma,
    base: `http://127.0.0.1:${port}`,
    env: validated,
    vhost,
    close: async () => {
      await app.close();
      await prisma.$disconnect();
      await db.drop();
      await vhost.drop();
    },
  };
}

/** A minimal cookie jar (name → value, path) for one host, as a browser keeps cookies between the flow's steps. */
export class Jar {
  readonly cookies = new Map<string, { value: string; path: string; raw: string }>();
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (k: string): string | undefined =>
        attrs.find((a) => a.toLowerCase().startsWith(`${k}=`))?.slice(k.length + 1);
      if (attr('max-age') === '0' || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path: attr('path') ?? '/', raw: line });
    }
  }
  header(url: string): string {
    const p = new URL(url).pathname;
    return [...this.cookies]
      .filter(([, c]) => p.startsWith(c.path))
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }
  /** GET (no redirects followed) with the jar's cookies; stores what it sets. */
  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: this.header(url), ...headers } });
    this.store(res);
    return res;
  }
  /** POST an urlencoded form with the jar's cookies; stores what it sets. */
  async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.header(url),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
    });
    this.store(res);
    return res;
  }
}

/** The hidden CSRF field of an access service form. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no csrf field in ${html}`);
  return m[1];
}

/** The message and target origin a token service page posts (parsed back from its script). */
export function postedMessage(html: string): { message: Record<string, unknown>; target: string } {
  const m = /window\.parent\.postMessage\((.*), ("[^"]*")\);/.exec(html);
  if (!m) throw new Error(`no postMessage in ${html}`);
  return { message: JSON.parse(m[1]) as Record<string, unknown>, target: JSON.parse(m[2]) as string };
}

/** Makes a customer directly in the database; returns its id. */
export async function makeCustomer(prisma: PrismaClient, name: string): Promise<number> {
  const c = await prisma.customer.create({ data: { name, displayName: `${name} display` } });
  return c.id;
}
