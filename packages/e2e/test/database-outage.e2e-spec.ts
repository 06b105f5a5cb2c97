/**
 * A PostgreSQL outage during a 200-image batch, end to end (SPEC.md §10 "Reliability": "Postgres briefly
 * unavailable → requests fail with 503 and the service recovers without restart"; §3.1 problem documents). The six
 * services run against a PostgreSQL cluster of the test's own (`startPrivatePostgres`; the machine's server is never
 * touched), with the retry schedule scaled down through the environment. The cluster is stopped mid-batch for
 * several times the whole retry schedule: the API answers 503 problem documents (never a 500, never a stack) while
 * it is down; once it is back every service recovers without a restart and the batch completes exactly.
 */
import { startPrivatePostgres, waitFor, type PrivatePostgres } from '@vellum/testing';
import { SERVICE_NAMES } from '../src/platform';
import { startRig, type Json, type Rig } from '../src/rig';

jest.setTimeout(240_000);

const COUNT = 200;
/** A small PNG (512×512): 200 of them are cheap to process. */
const FILE = 'grayscale.png';
/** The retry schedule given to every service: 3 attempts, retries after at most 200 and 400 ms. */
const RETRY_ENV = {
  VELLUM_RETRY_ATTEMPTS: '3',
  VELLUM_RETRY_INITIAL_DELAY_MS: '200',
  VELLUM_RETRY_MULTIPLIER: '2',
  VELLUM_RETRY_MAX_DELAY_MS: '400',
};
const RETRY_SCHEDULE_MS = 200 + 400;

describe('a PostgreSQL outage during a 200-image batch', () => {
  let pg: PrivatePostgres;
  let rig: Rig;
  let customer: number;
  const space = 1;
  let failed = false;

  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    rig = await startRig('database-outage', { databaseBaseUrl: pg.url, env: RETRY_ENV });
    const c = await rig.api('POST', '/customers', { name: 'db-outage', displayName: 'Database outage' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    expect((await rig.api('POST', `/customers/${customer}/spaces`, { name: 'one' })).status).toBe(201);
  }, 240_000);

  afterAll(async () => {
    await pg?.start().catch(() => undefined);
    await rig?.stop({ printLogs: failed });
    await pg?.destroy();
  }, 120_000);

  /** A raw request: status, content type and body text (to look for stacks). */
  async function raw(method: string, p: string, body?: unknown) {
    const res = await fetch(`${rig.platform.apiUrl}${p}`, {
      method,
      headers: { ...rig.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  it('answers 503 problems while it is down, and every service recovers without a restart; the batch completes exactly', async () => {
    const pids = Object.fromEntries(SERVICE_NAMES.map((n) => [n, rig.platform.services[n].process.pid]));
    const member = Array.from({ length: COUNT }, (_, i) => ({
      id: `page-${String(i).padStart(3, '0')}`,
      space,
      origin: `${rig.originUrl}/${FILE}`,
      mediaType: 'image/png',
    }));
    const created = await rig.api('POST', `/customers/${customer}/queue`, { '@type': 'Collection', member });
    expect(created.status).toBe(201);
    const batchPath = new URL(created.body['@id']).pathname;
    // Mid-batch: some done, most still to do.
    const underWay = await waitFor(
      async () => {
        const b = (await rig.api('GET', batchPath)).body;
        return b.completed >= 10 ? b : null;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: 'the batch to be under way' },
    );
    expect(underWay.finished).toBeUndefined();

    await pg.stop();
    const problems = [
      await raw('GET', batchPath),
      await raw('GET', `/customers/${customer}/spaces/${space}/images/page-000`),
      await raw('PUT', `/customers/${customer}/spaces/${space}/images/during-outage`, {
        origin: `${rig.originUrl}/${FILE}`,
        mediaType: 'image/png',
      }),
      await raw('POST', `/customers/${customer}/queue`, {
        '@type': 'Collection',
        member: [
          { id: 'queued-during-outage', space, origin: `${rig.originUrl}/${FILE}`, mediaType: 'image/png' },
        ],
      }),
    ];
    for (const p of problems) {
      expect({ status: p.status, type: p.type.split(';')[0] }).toEqual({
        status: 503,
        type: 'application/problem+json',
      });
      const body: Json = JSON.parse(p.text);
      expect(body).toMatchObject({ status: 503, title: 'Service Unavailable' });
      expect(body.stack).toBeUndefined();
      expect(p.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|\.js:\d+/);
    }
    // The services notice: the orchestrator is no longer ready.
    await waitFor(
      async () =>
        (await fetch(`${rig.platform.services['ingest-orchestrator'].url}/health/ready`)).status === 503,
      { timeoutMs: 30_000, description: 'the orchestrator to report the database down' },
    );
    // Down for several times the whole retry schedule: without the outage handling, every message in hand
    // would have used up its attempts and been dead-lettered by now.
    await new Promise((r) => setTimeout(r, RETRY_SCHEDULE_MS * 8));

    await pg.start();
    const batch = await waitFor(
      async () => {
        const b = (await rig.api('GET', batchPath)).body;
        return b.finished ? b : null;
      },
      { timeoutMs: 150_000, intervalMs: 500, description: 'the batch to finish after the outage' },
    );
    expect({ count: batch.count, completed: batch.completed, errors: batch.errors }).toEqual({
      count: COUNT,
      completed: COUNT,
      errors: 0,
    });
    const all = (await rig.api('GET', `/customers/${customer}/spaces/${space}/images?pageSize=500`)).body;
    expect(all.totalItems).toBe(COUNT);
    expect(all.member.filter((a: Json) => a.ingesting || a.error || a.width !== 512)).toEqual([]);

    // Every service recovered in place: same processes, all ready, and the platform works again.
    for (const name of SERVICE_NAMES) {
      const s = rig.platform.services[name];
      expect([name, s.process.pid, s.process.exitCode]).toEqual([name, pids[name], null]);
      await waitFor(async () => (await fetch(`${s.url}/health/ready`)).ok, {
        timeoutMs: 60_000,
        description: `${name} to be ready again`,
      });
    }
    const info = await fetch(
      `${rig.platform.deliveryUrl}/iiif-img/${customer}/${space}/page-${String(COUNT - 1)}/info.json`,
    );
    expect(info.status).toBe(200);
    const put = await rig.api('PUT', `/customers/${customer}/spaces/${space}/images/after-outage`, {
      origin: `${rig.originUrl}/${FILE}`,
      mediaType: 'image/png',
    });
    expect([put.status, put.body.ingesting, put.body.error]).toEqual([201, false, undefined]);
  });
});
