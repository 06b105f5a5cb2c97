/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { batchCompletedEvent } from '@vellum/contracts';
import { addToBatch, claimBatchMember } from '@vellum/db';
import { outboxRow } from '@vellum/messaging';
import { isProblem, seedCustomer, startTestGateway, type CallResult, type TestGateway } from './harness';

/**
 * The queue and batches (SPEC.md §3.3 "Queue and batches", §3.2 `GET /queue`; docs/api/queue.md) through the real
 * gateway, Postgres and RabbitMQ. No orchestrator runs here: members stay pending unless a test moves them as the
 * orchestrator would (its finaliser's outcome: member, asset and counter in one transaction), or claims them with
 * the orchestrator's own `claimBatchMember`. The orchestrator side of cancellation is tested in
 * apps/ingest-orchestrator/test/cancellation.int-spec.ts.
 */
describe('queue and batches (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let keyB: string;
  let c: number;
  let other: number;
  let n = 0;

  const Q = () => `/customers/${c}/queue`;
  const call = (method: string, path: string, opts: { key?: string; body?: unknown; raw?: string } = {}) =>
    gw.call(method, path, { key, ...opts });
  const fields = (r: CallResult): string[] => (r.json?.errors ?? []).map((e: any) => e.field);

  /**
   * Submits a batch of `size` new images in space 1 (ids unique per call) with the given metadata; the answer
   * carries the member ids as `ids`.
   */
  async function submit(
    size: number,
    extra: (i: number) => Record<string, unknown> = () => ({}),
    path = Q(),
  ): Promise<any> {
    const run = ++n;
    const res = await call('POST', path, {
      body: {
        '@type': 'Collection',
        member: Array.from({ length: size }, (_, i) => ({
          space: 1,
          id: `b${run}-${i}`,
          origin: `https://example.org/${run}/${i}.jpg`,
          mediaType: 'image/jpeg',
          number1: i,
          ...extra(i),
        })),
      },
    });
    expect(res.status).toBe(201);
    return { ...res.json, ids: Array.from({ length: size }, (_, i) => `b${run}-${i}`) };
  }

  /** Resubmits existing assets (space 1) in a new batch (a resubmission replaces: `extra` keeps metadata). */
  async function resubmit(ids: string[], extra: Record<string, unknown> = {}): Promise<any> {
    const res = await call('POST', Q(), {
      body: {
        member: ids.map((id) => ({
          space: 1,
          id,
          origin: `https://example.org/${id}.jpg`,
          mediaType: 'image/jpeg',
          ...extra,
        })),
      },
    });
    expect(res.status).toBe(201);
    return res.json;
  }

  /**
   * Lands a member as the orchestrator's finaliser does, through the same batch ledger (asset, member outcome,
   * batch counters and, when it finishes the batch, `batch.completed.v1`, in one transaction): `error` undefined →
   * completed.
   */
  async function land(batchId: number, assetId: string, error?: string) {
    await gw.prisma.$transaction(async (tx) => {
      const m = await tx.batchMember.findFirstOrThrow({ where: { batchId, assetId } });
      await tx.asset.updateMany({
        where: { customerId: c, spaceId: m.spaceId, id: assetId, ingestAttempt: m.attempt, ingesting: true },
        data: { ingesting: false, finished: new Date(), error: error ?? null },
      });
      const won = await tx.batchMember.updateMany({
        where: { batchId, assetId, outcome: 'pending' },
        data: { outcome: error ? 'error' : 'completed', error: error ?? null, finished: new Date() },
      });
      if (won.count !== 1) throw new Error(`member ${assetId} of ${batchId} was not pending`);
      const u = await addToBatch(tx, c, batchId, error ? { errors: 1 } : { completed: 1 }, new Date());
      if (u?.justFinished)
        await tx.outboxMessage.create({ data: outboxRow(batchCompletedEvent(u.row), { producer: 'test' }) });
    });
  }

  const outbox = async (routingKey: string, batchId: number) =>
    (await gw.prisma.outboxMessage.findMany({ where: { routingKey }, orderBy: { created: 'asc' } }))
      .map((o) => (o.envelope as any).data)
      .filter((d) => d.batchId === batchId);

  async function expectResolves(links: string[]) {
    for (const link of links) {
      const r = await gw.call('GET', new URL(link).pathname, { key: admin });
      expect({ link, status: r.status }).toEqual({ link, status: 200 });
    }
  }

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    other = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'other', displayName: 'Other' } })
    ).json.id;
    const k = await gw.call('POST', `/customers/${other}/keys`, { key: admin });
    keyB = `${k.json.key}:${k.json.secret}`;
    await gw.call('POST', `/customers/${other}/spaces`, { key: admin, body: { name: 'theirs' } });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('documents every queue route with its response schema', async () => {
    const doc = (await gw.call('GET', '/openapi.json')).json;
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/queue',
      '/customers/{customer}/queue',
      '/customers/{customer}/queue/priority',
      '/customers/{customer}/queue/batches',
      '/customers/{customer}/queue/active',
      '/customers/{customer}/queue/recent',
      '/customers/{customer}/queue/batches/{batch}',
      '/customers/{customer}/queue/batches/{batch}/images',
      '/customers/{customer}/queue/batches/{batch}/assets',
      '/customers/{customer}/queue/batches/{batch}/errors',
      '/customers/{customer}/queue/batches/{batch}/test',
      '/customers/{customer}/queue/batches/{batch}/reingestErrors',
      '/customers/{customer}/queue/batches/{batch}/cancel',
    ])
      expect(paths).toContain(p);
    const batch = doc.components.schemas.Batch;
    expect(Object.keys(batch.properties)).toEqual(
      expect.arrayContaining([
        'submitted',
        'count',
        'completed',
        'errors',
        'cancelled',
        'finished',
        'superseded',
      ]),
    );
    expect(doc.components.schemas.Queue.properties.imagesWaiting).toBeDefined();
    expect(doc.paths['/customers/{customer}/queue/batches/{batch}/cancel'].post.requestBody).toBeUndefined();
    expect(
      doc.paths['/customers/{customer}/queue/batches/{batch}/test'].post.responses['200'].content[
        'application/json'
      ].schema,
    ).toEqual({ $ref: '#/components/schemas/BatchTestResult' });
  });

  it('GET C/queue and C/queue/priority: size, batchesWaiting, imagesWaiting and links that resolve', async () => {
    const before = (await call('GET', Q())).json;
    const b = await submit(3);
    const p = await submit(2, () => ({}), `${Q()}/priority`);
    expect(p.priority).toBe(true);
    const queue = await call('GET', Q());
    expect(queue.status).toBe(200);
    expect(queue.json).toMatchObject({
      '@context': expect.any(String),
      '@id': `${gw.base}${Q()}`,
      '@type': 'vocab:Queue',
      batchesWaiting: before.batchesWaiting + 2,
      imagesWaiting: before.imagesWaiting + 5,
      size: before.size + 5,
      batches: `${gw.base}${Q()}/batches`,
      active: `${gw.base}${Q()}/active`,
      recent: `${gw.base}${Q()}/recent`,
      priority: `${gw.base}${Q()}/priority`,
    });
    await expectResolves([queue.json.batches, queue.json.active, queue.json.recent, queue.json.priority]);
    const prio = await call('GET', `${Q()}/priority`);
    expect(prio.json).toMatchObject({ '@id': `${gw.base}${Q()}/priority`, '@type': 'vocab:Queue' });
    expect(prio.json.priority).toBeUndefined();
    expect(prio.json.imagesWaiting).toBeGreaterThanOrEqual(2);
    // A landed member no longer waits.
    await land(b.id, b.ids[0]);
    expect((await call('GET', Q())).json.imagesWaiting).toBe(before.imagesWaiting + 4);

    expect((await gw.call('GET', Q(), { key: keyB })).status).toBe(403);
    expect((await gw.call('GET', Q())).status).toBe(401);
    expect((await gw.call('GET', `/customers/999999/queue`, { key: admin })).status).toBe(404);
  });

  it('GET /queue: the cross-customer summary, admin only', async () => {
    const r = await gw.call('GET', '/queue', { key: admin });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      '@id': `${gw.base}/queue`,
      '@type': 'vocab:Queue',
      size: expect.any(Number),
      batchesWaiting: expect.any(Number),
      imagesWaiting: expect.any(Number),
      incoming: expect.any(Number),
      priority: expect.any(Number),
      timebased: expect.any(Number),
      file: expect.any(Number),
    });
    // The seeded immediate registration (a1) is still ingesting: it counts on the priority lane.
    expect(r.json.size).toBe(r.json.imagesWaiting + 1);
    expect(r.json.incoming + r.json.priority + r.json.timebased + r.json.file).toBe(r.json.size);
    const mine = (await call('GET', Q())).json;
    const theirs = await submitFor(other, keyB, 2);
    const after = (await gw.call('GET', '/queue', { key: admin })).json;
    expect(after.imagesWaiting).toBe(r.json.imagesWaiting + 2);
    expect(after.incoming).toBe(r.json.incoming + 2);
    expect(after.batchesWaiting).toBeGreaterThan(mine.batchesWaiting);
    expect(theirs.id).toEqual(expect.any(Number));
    expect((await gw.call('GET', '/queue', { key })).status).toBe(403);
    expect((await gw.call('GET', '/queue')).status).toBe(401);
  });

  async function submitFor(customer: number, k: string, size: number) {
    const res = await gw.call('POST', `/customers/${customer}/queue`, {
      key: k,
      body: {
        member: Array.from({ length: size }, (_, i) => ({
          space: 1,
          id: `theirs-${i}`,
          origin: `https://example.org/t${i}.jpg`,
          mediaType: 'image/jpeg',
        })),
      },
    });
    expect(res.status).toBe(201);
    return res.json;
  }

  it('GET C/queue/batches lists in ascending id by default, orders and filters from the whitelist', async () => {
    await submit(1);
    await submit(1);
    const list = await call('GET', `${Q()}/batches?pageSize=500`);
    expect(list.status).toBe(200);
    const ids = list.json.member.map((b: any) => b.id);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
    expect(list.json.member.every((b: any) => b['@type'] === 'vocab:Batch')).toBe(true);
    const desc = await call('GET', `${Q()}/batches?orderByDescending=id&pageSize=500`);
    expect(desc.json.member.map((b: any) => b.id)).toEqual([...ids].reverse());
    const paged = await call('GET', `${Q()}/batches?pageSize=1&page=2`);
    expect(paged.json.member[0].id).toBe(ids[1]);
    expect(paged.json.view).toMatchObject({ '@type': 'PartialCollectionView', page: 2 });
    const prio = await call('GET', `${Q()}/batches?priority=true`);
    expect(prio.json.member.length).toBeGreaterThanOrEqual(1);
    expect(prio.json.member.every((b: any) => b.priority === true)).toBe(true);
    expect(
      (await call('GET', `${Q()}/batches?q=${encodeURIComponent('{"priority":false}')}`)).json.totalItems,
    ).toBe(ids.length - prio.json.totalItems);

    for (const [query, field] of [
      ['orderBy=bogus', 'orderBy'],
      ['orderByDescending=origin', 'orderByDescending'],
      ['superseded=maybe', 'superseded'],
      ['q=not-json', 'q'],
      [`q=${encodeURIComponent('{"count":3}')}`, 'q.count'],
      ['pageSize=501', 'pageSize'],
    ]) {
      for (const path of ['batches', 'active', 'recent']) {
        const bad = await call('GET', `${Q()}/${path}?${query}`);
        expect({ path, query, status: bad.status, problem: isProblem(bad) }).toEqual({
          path,
          query,
          status: 400,
          problem: true,
        });
        expect(fields(bad)).toContain(field);
      }
    }
    expect((await gw.call('GET', `${Q()}/batches`, { key: keyB })).status).toBe(403);
    // The other customer's batches are not in this customer's list.
    const theirs = (await gw.call('GET', `/customers/${other}/queue/batches`, { key: keyB })).json;
    expect(theirs.totalItems).toBeGreaterThanOrEqual(1);
    expect(theirs.member.some((b: any) => ids.includes(b.id))).toBe(false);
  });

  it('active and recent partition the batches: unfinished ascending id, finished latest first', async () => {
    const a = await submit(1);
    const b = await submit(1);
    const d = await submit(2);
    await land(b.id, b.ids[0]); // b finishes first
    await new Promise((r) => setTimeout(r, 5));
    await land(a.id, a.ids[0]); // then a
    await land(d.id, d.ids[0]); // d: one of two, still running
    const all = (await call('GET', `${Q()}/batches?pageSize=500`)).json.member;
    const active = (await call('GET', `${Q()}/active?pageSize=500`)).json.member;
    const recent = (await call('GET', `${Q()}/recent?pageSize=500`)).json.member;
    expect(active.every((x: any) => x.finished === undefined)).toBe(true);
    expect(recent.every((x: any) => typeof x.finished === 'string')).toBe(true);
    const ids = (xs: any[]) => xs.map((x) => x.id);
    expect([...ids(active), ...ids(recent)].sort((x, y) => x - y)).toEqual(ids(all));
    expect(ids(active)).toEqual([...ids(active)].sort((x, y) => x - y));
    expect(ids(active)).toContain(d.id);
    const finishedTimes = recent.map((x: any) => x.finished);
    expect(finishedTimes).toEqual([...finishedTimes].sort().reverse());
    expect(ids(recent).indexOf(a.id)).toBeLessThan(ids(recent).indexOf(b.id));
    expect(ids((await call('GET', `${Q()}/recent?orderBy=id&pageSize=500`)).json.member)).toEqual(
      [...ids(recent)].sort((x, y) => x - y),
    );
  });

  it('GET C/queue/batches/{b}: exact progress, estCompletion while running, links that resolve; 404s; 403', async () => {
    const b = await submit(4);
    const url = `${Q()}/batches/${b.id}`;
    const r = await call('GET', url);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      '@id': `${gw.base}${url}`,
      '@type': 'vocab:Batch',
      id: b.id,
      submitted: expect.any(String),
      count: 4,
      completed: 0,
      errors: 0,
      cancelled: 0,
      superseded: false,
      priority: false,
      images: `${gw.base}${url}/images`,
      assets: `${gw.base}${url}/assets`,
      errorImages: `${gw.base}${url}/errors`,
    });
    expect(r.json.finished).toBeUndefined();
    expect(r.json.estCompletion).toBeUndefined();
    await land(b.id, b.ids[0]);
    await land(b.id, b.ids[1], 'Origin 404');
    const mid = (await call('GET', url)).json;
    expect(mid).toMatchObject({ completed: 1, errors: 1, cancelled: 0 });
    expect(Date.parse(mid.estCompletion)).toBeGreaterThanOrEqual(Date.parse(mid.submitted));
    await expectResolves([mid['@id'], mid.images, mid.assets, mid.errorImages]);

    for (const bad of ['999999', 'abc', '0', '-1', '1.5', '1234567890'])
      expect((await call('GET', `${Q()}/batches/${bad}`)).status).toBe(404);
    expect((await gw.call('GET', `/customers/${other}/queue/batches/${b.id}`, { key: admin })).status).toBe(
      404,
    );
    expect((await gw.call('GET', url, { key: keyB })).status).toBe(403);
    for (const sub of ['images', 'assets', 'errors']) {
      expect((await call('GET', `${Q()}/batches/999999/${sub}`)).status).toBe(404);
      expect(
        (await gw.call('GET', `/customers/${other}/queue/batches/${b.id}/${sub}`, { key: keyB })).status,
      ).toBe(404);
      expect((await gw.call('GET', `${url}/${sub}`, { key: keyB })).status).toBe(403);
    }
  });

  it('batch images, assets and errors: current members, everyone ever submitted, failures; filtered like asset lists', async () => {
    const b = await submit(4, (i) => ({
      string1: i < 2 ? 'left' : 'right',
      tags: i % 2 ? ['odd'] : ['even'],
    }));
    const ids: string[] = b.ids;
    await land(b.id, ids[0], 'Corrupt image');
    await land(b.id, ids[1]);
    const moved = await resubmit([ids[3]], { string1: 'right', tags: ['odd'], number1: 3 }); // ids[3] is now in another batch
    const url = `${Q()}/batches/${b.id}`;
    const list = async (sub: string, query = '') => {
      const r = await call('GET', `${url}/${sub}${query ? `?${query}` : ''}`);
      expect(r.status).toBe(200);
      return r.json;
    };
    const idsOf = (j: any) => j.member.map((m: any) => m.id).sort();

    expect(idsOf(await list('images'))).toEqual([ids[0], ids[1], ids[2]]);
    expect(idsOf(await list('assets'))).toEqual(ids);
    expect((await list('assets')).totalItems).toBe(4);
    const errors = await list('errors');
    expect(errors.totalItems).toBe(1);
    expect(errors.member[0]).toMatchObject({ id: ids[0], error: 'Corrupt image', '@type': 'vocab:Image' });
    expect((await list('images')).member[0].batch).toBe(`${gw.base}${url}`);
    expect((await list('assets')).member.find((m: any) => m.id === ids[3]).batch).toBe(
      `${gw.base}${Q()}/batches/${moved.id}`,
    );

    // The asset list filters: q and individual parameters, AND-ed; ordering from the asset whitelist.
    expect(idsOf(await list('images', 'string1=left'))).toEqual([ids[0], ids[1]]);
    expect(idsOf(await list('assets', `q=${encodeURIComponent('{"string1":"right"}')}`))).toEqual([
      ids[2],
      ids[3],
    ]);
    expect(idsOf(await list('assets', 'tags=odd&string1=right'))).toEqual([ids[3]]);
    expect(idsOf(await list('images', 'number1=2'))).toEqual([ids[2]]);
    expect(idsOf(await list('errors', 'string1=right'))).toEqual([]);
    expect(idsOf(await list('errors', 'string1=left'))).toEqual([ids[0]]);
    expect((await list('assets', 'orderByDescending=number1')).member.map((m: any) => m.number1)).toEqual([
      3, 2, 1, 0,
    ]);
    expect((await list('images', 'orderBy=number1&pageSize=2&page=2')).member.map((m: any) => m.id)).toEqual([
      ids[2],
    ]);
    expect((await list('assets', 'space=1')).totalItems).toBe(4);
    expect((await list('assets', 'space=2')).totalItems).toBe(0);

    for (const sub of ['images', 'assets', 'errors'])
      for (const [query, field] of [
        ['q=%7Bnope', 'q'],
        [`q=${encodeURIComponent('{"origin":"x"}')}`, 'q.origin'],
        ['number1=abc', 'number1'],
        ['orderBy=origin', 'orderBy'],
        ['page=0', 'page'],
      ]) {
        const bad = await call('GET', `${url}/${sub}?${query}`);
        expect({ sub, query, status: bad.status }).toEqual({ sub, query, status: 400 });
        expect(isProblem(bad)).toBe(true);
        expect(fields(bad)).toContain(field);
      }
  });

  it('POST .../test re-evaluates completion and supersession as SPEC says; 200 {"success"}', async () => {
    const running = await submit(2);
    const t = await call('POST', `${Q()}/batches/${running.id}/test`);
    expect(t.status).toBe(200);
    expect(t.json).toEqual({ success: false });

    // Drifted counters (all members landed, counters short of count, no finished): test repairs and finishes.
    const drifted = await submit(2);
    const [d0, d1] = drifted.ids;
    await gw.prisma.batchMember.updateMany({
      where: { batchId: drifted.id, assetId: d0 },
      data: { outcome: 'completed' },
    });
    await gw.prisma.batchMember.updateMany({
      where: { batchId: drifted.id, assetId: d1 },
      data: { outcome: 'error', error: 'x' },
    });
    const fixed = await call('POST', `${Q()}/batches/${drifted.id}/test`);
    expect(fixed.json).toEqual({ success: true });
    const after = (await call('GET', `${Q()}/batches/${drifted.id}`)).json;
    expect(after).toMatchObject({ completed: 1, errors: 1, cancelled: 0, finished: expect.any(String) });
    expect(await outbox('batch.completed.v1', drifted.id)).toEqual([
      { customerId: c, batchId: drifted.id, count: 2, completed: 1, errors: 1 },
    ]);
    // Testing again changes nothing and writes no second batch.completed.
    expect((await call('POST', `${Q()}/batches/${drifted.id}/test`)).json).toEqual({ success: true });
    expect(await outbox('batch.completed.v1', drifted.id)).toHaveLength(1);
    expect((await call('GET', `${Q()}/batches/${drifted.id}`)).json.finished).toBe(after.finished);

    // Supersession: a submission that takes every asset of a batch supersedes it at once...
    const whole = await submit(2);
    await resubmit(whole.ids);
    expect((await call('GET', `${Q()}/batches/${whole.id}`)).json.superseded).toBe(true);
    // ...taking only some does not...
    const part = await submit(2);
    const [p0, p1] = part.ids;
    await resubmit([p0]);
    expect((await call('GET', `${Q()}/batches/${part.id}`)).json.superseded).toBe(false);
    // ...and when the last asset leaves by another route (an immediate PUT), test finds it superseded.
    await call('PUT', `/customers/${c}/spaces/1/images/${p1}`, {
      body: { origin: 'https://example.org/p1.jpg', mediaType: 'image/jpeg' },
    });
    expect((await call('GET', `${Q()}/batches/${part.id}`)).json.superseded).toBe(false);
    expect((await call('POST', `${Q()}/batches/${part.id}/test`)).json).toEqual({ success: true });
    expect((await call('GET', `${Q()}/batches/${part.id}`)).json).toMatchObject({ superseded: true });
    expect((await call('GET', `${Q()}/batches/${part.id}`)).json.finished).toBeUndefined();

    const body = await call('POST', `${Q()}/batches/${part.id}/test`, { body: { force: true } });
    expect(body.status).toBe(400);
    expect(fields(body)).toContain('force');
    expect((await call('POST', `${Q()}/batches/999999/test`)).status).toBe(404);
    expect((await call('POST', `${Q()}/batches/abc/test`)).status).toBe(404);
    expect((await gw.call('POST', `${Q()}/batches/${part.id}/test`, { key: keyB })).status).toBe(403);
    expect(
      (await gw.call('POST', `/customers/${other}/queue/batches/${part.id}/test`, { key: keyB })).status,
    ).toBe(404);
  });

  it('POST .../reingestErrors resubmits only the failed members as a new batch; counters stay exact', async () => {
    const b = await submit(4, (i) => ({ string2: `s${i}` }));
    const ids: string[] = b.ids;
    await land(b.id, ids[0], 'Origin timed out');
    await land(b.id, ids[1], 'Corrupt image');
    await land(b.id, ids[2]);
    // ids[3] is still pending: not a failure.
    const before = (await call('GET', `${Q()}/batches/${b.id}`)).json;
    const r = await call('POST', `${Q()}/batches/${b.id}/reingestErrors`);
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(r.json['@id']);
    expect(r.json).toMatchObject({ '@type': 'vocab:Batch', count: 2, completed: 0, errors: 0, cancelled: 0 });
    expect(r.json.id).toBeGreaterThan(b.id);
    const fresh = r.json.id as number;

    const assets = await gw.prisma.asset.findMany({
      where: { customerId: c, id: { in: ids } },
      orderBy: { id: 'asc' },
    });
    expect(assets.map((a) => [a.id, a.batchId, a.ingesting, a.ingestAttempt, a.error, a.string2])).toEqual([
      [ids[0], fresh, true, 2, null, 's0'],
      [ids[1], fresh, true, 2, null, 's1'],
      [ids[2], b.id, false, 1, null, 's2'],
      [ids[3], b.id, true, 1, null, 's3'],
    ]);
    const requests = await outbox('asset.ingest.requested.v1', fresh);
    expect(requests.map((d) => [d.assetId, d.attempt, d.priority]).sort()).toEqual([
      [ids[0], 2, false],
      [ids[1], 2, false],
    ]);
    expect(await gw.prisma.batchMember.count({ where: { batchId: fresh, outcome: 'pending' } })).toBe(2);

    // The original keeps its counters and its failures' history; its current members shrink.
    const orig = (await call('GET', `${Q()}/batches/${b.id}`)).json;
    expect(orig).toMatchObject({ count: 4, completed: 1, errors: 2, cancelled: 0, superseded: false });
    expect({ ...orig, estCompletion: undefined }).toEqual({ ...before, estCompletion: undefined });
    expect((await call('GET', `${Q()}/batches/${b.id}/errors`)).json.totalItems).toBe(2);
    expect((await call('GET', `${Q()}/batches/${b.id}/images`)).json.totalItems).toBe(2);
    expect((await call('GET', `${Q()}/batches/${b.id}/assets`)).json.totalItems).toBe(4);
    expect((await call('GET', `${Q()}/batches/${fresh}/images`)).json.totalItems).toBe(2);

    // Nothing left to resubmit (the failed assets moved on): 409; so for a batch without failures.
    const again = await call('POST', `${Q()}/batches/${b.id}/reingestErrors`);
    expect(again.status).toBe(409);
    expect(isProblem(again)).toBe(true);
    expect((await call('POST', `${Q()}/batches/${fresh}/reingestErrors`)).status).toBe(409);

    // A batch whose every member failed is superseded once they are all resubmitted.
    const allFail = await submit(2);
    await land(allFail.id, allFail.ids[0], 'bad');
    await land(allFail.id, allFail.ids[1], 'bad');
    expect((await call('POST', `${Q()}/batches/${allFail.id}/reingestErrors`)).status).toBe(201);
    expect((await call('GET', `${Q()}/batches/${allFail.id}`)).json).toMatchObject({
      superseded: true,
      errors: 2,
      finished: expect.any(String),
    });

    // A priority batch's failures go back on the priority lane.
    const prio = await submit(1, () => ({}), `${Q()}/priority`);
    await land(prio.id, prio.ids[0], 'bad');
    const re = await call('POST', `${Q()}/batches/${prio.id}/reingestErrors`);
    expect(re.json.priority).toBe(true);
    expect((await outbox('asset.ingest.requested.v1', re.json.id))[0]).toMatchObject({ priority: true });

    const body = await call('POST', `${Q()}/batches/${b.id}/reingestErrors`, { body: { member: [] } });
    expect(body.status).toBe(400);
    expect(fields(body)).toContain('member');
    expect((await call('POST', `${Q()}/batches/999999/reingestErrors`)).status).toBe(404);
    expect((await gw.call('POST', `${Q()}/batches/${b.id}/reingestErrors`, { key: keyB })).status).toBe(403);
    expect(
      (await gw.call('POST', `/customers/${other}/queue/batches/${b.id}/reingestErrors`, { key: keyB }))
        .status,
    ).toBe(404);
  });

  it('POST .../cancel: members not yet started are cancelled, started ones are left; counters exact; 409 once finished', async () => {
    const b = await submit(5);
    const ids: string[] = b.ids;
    await land(b.id, ids[0]);
    // ids[1] and ids[2] are being processed: the orchestrator claimed them.
    for (const id of [ids[1], ids[2]])
      expect(
        await claimBatchMember(
          gw.prisma,
          { customerId: c, spaceId: 1, assetId: id, attempt: 1, batchId: b.id },
          new Date(),
        ),
      ).toBe('claimed');
    const r = await call('POST', `${Q()}/batches/${b.id}/cancel`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ '@type': 'vocab:Batch', count: 5, completed: 1, errors: 0, cancelled: 2 });
    expect(r.json.finished).toBeUndefined();
    const members = await gw.prisma.batchMember.findMany({
      where: { batchId: b.id },
      orderBy: { assetId: 'asc' },
    });
    expect(members.map((m) => m.outcome)).toEqual([
      'completed',
      'pending',
      'pending',
      'cancelled',
      'cancelled',
    ]);
    const assets = await gw.prisma.asset.findMany({
      where: { customerId: c, id: { in: ids } },
      orderBy: { id: 'asc' },
    });
    expect(assets.map((a) => [a.ingesting, a.error])).toEqual([
      [false, null],
      [true, null],
      [true, null],
      [false, 'cancelled'],
      [false, 'cancelled'],
    ]);
    expect(assets[3].finished).toBeInstanceOf(Date);
    const finishedEvents = await outbox('asset.ingest.finished.v1', b.id);
    expect(finishedEvents.map((d) => [d.assetId, d.success, d.error]).sort()).toEqual([
      [ids[3], false, 'cancelled'],
      [ids[4], false, 'cancelled'],
    ]);
    // A cancelled member cannot be claimed any more: the orchestrator skips it.
    expect(
      await claimBatchMember(
        gw.prisma,
        { customerId: c, spaceId: 1, assetId: ids[3], attempt: 1, batchId: b.id },
        new Date(),
      ),
    ).toBe('cancelled');
    // Cancelling again takes nothing more.
    expect((await call('POST', `${Q()}/batches/${b.id}/cancel`)).json.cancelled).toBe(2);
    expect(await outbox('batch.completed.v1', b.id)).toEqual([]);
    // The members being processed land: the batch finishes, batch.completed once, with the cancelled count.
    await land(b.id, ids[1]);
    await land(b.id, ids[2], 'bad');
    const done = (await call('GET', `${Q()}/batches/${b.id}`)).json;
    expect(done).toMatchObject({ completed: 2, errors: 1, cancelled: 2, finished: expect.any(String) });
    expect(await outbox('batch.completed.v1', b.id)).toEqual([
      { customerId: c, batchId: b.id, count: 5, completed: 2, errors: 1, cancelled: 2 },
    ]);
    expect((await call('GET', `${Q()}/active?pageSize=500`)).json.member.map((x: any) => x.id)).not.toContain(
      b.id,
    );

    const late = await call('POST', `${Q()}/batches/${b.id}/cancel`);
    expect(late.status).toBe(409);
    expect(isProblem(late)).toBe(true);
    const body = await call('POST', `${Q()}/batches/${b.id}/cancel`, { body: { force: true } });
    expect(body.status).toBe(400);
    expect(fields(body)).toContain('force');
    expect((await call('POST', `${Q()}/batches/999999/cancel`)).status).toBe(404);
    expect((await call('POST', `${Q()}/batches/x/cancel`)).status).toBe(404);
  });

  it('a cancel of a batch nobody started finishes it at once: batch.completed exactly once', async () => {
    const b = await submit(3, () => ({}), `${Q()}/priority`);
    const r = await call('POST', `${Q()}/batches/${b.id}/cancel`);
    expect(r.json).toMatchObject({
      count: 3,
      completed: 0,
      errors: 0,
      cancelled: 3,
      finished: expect.any(String),
    });
    expect(await outbox('batch.completed.v1', b.id)).toEqual([
      { customerId: c, batchId: b.id, count: 3, completed: 0, errors: 0, cancelled: 3 },
    ]);
    const rows = await gw.prisma.outboxMessage.findMany({ where: { routingKey: 'batch.completed.v1' } });
    expect(rows.filter((o) => (o.envelope as any).data.batchId === b.id)[0].priority).toBeGreaterThan(0);
    expect(await gw.prisma.asset.count({ where: { batchId: b.id, ingesting: true } })).toBe(0);
    expect((await call('GET', `${Q()}/recent`)).json.member[0].id).toBe(b.id);
    expect((await call('POST', `${Q()}/batches/${b.id}/cancel`)).status).toBe(409);
    expect((await gw.call('POST', `${Q()}/batches/${b.id}/cancel`, { key: keyB })).status).toBe(403);
    expect(
      (await gw.call('POST', `/customers/${other}/queue/batches/${b.id}/cancel`, { key: keyB })).status,
    ).toBe(404);
  });

  it('counters stay exact when cancels race each other and the orchestrator claiming members', async () => {
    const size = 60;
    const b = await submit(size);
    const ids: string[] = b.ids;
    const claim = (assetId: string) =>
      claimBatchMember(
        gw.prisma,
        { customerId: c, spaceId: 1, assetId, attempt: 1, batchId: b.id },
        new Date(),
      );
    // A third is being processed before anything races; the other claims race three cancels.
    const early = await Promise.all(ids.slice(0, 20).map(claim));
    expect(early.every((x) => x === 'claimed')).toBe(true);
    const claims = ids
      .slice(20)
      .map((assetId, i) => new Promise((r) => setTimeout(r, i % 7)).then(() => claim(assetId)));
    const cancels = [0, 3, 6].map((ms) =>
      new Promise((r) => setTimeout(r, ms)).then(() => call('POST', `${Q()}/batches/${b.id}/cancel`)),
    );
    const [raced, answers] = await Promise.all([Promise.all(claims), Promise.all(cancels)]);
    const claimed = [...early, ...raced];
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    const members = await gw.prisma.batchMember.findMany({ where: { batchId: b.id } });
    const cancelled = members.filter((m) => m.outcome === 'cancelled');
    const pending = members.filter((m) => m.outcome === 'pending');
    // Each member is either processed (claimed, still pending here) or cancelled, never both.
    expect(cancelled.length + pending.length).toBe(size);
    expect(pending.every((m) => m.started !== null)).toBe(true);
    expect(cancelled.every((m) => m.started === null)).toBe(true);
    // One claim per member: those claimed first were never cancelled, the others were cancelled first.
    expect(claimed.filter((x) => x === 'claimed')).toHaveLength(pending.length);
    expect(claimed.filter((x) => x === 'cancelled')).toHaveLength(cancelled.length);
    const row = (await call('GET', `${Q()}/batches/${b.id}`)).json;
    expect(row.cancelled).toBe(cancelled.length);
    expect(await gw.prisma.asset.count({ where: { batchId: b.id, ingesting: true } })).toBe(pending.length);
    expect(
      await gw.prisma.asset.count({ where: { batchId: b.id, error: 'cancelled', ingesting: false } }),
    ).toBe(cancelled.length);
    expect(pending.length).toBeGreaterThanOrEqual(20);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    // Not finished (members are being processed): no batch.completed yet.
    expect(row.finished).toBeUndefined();
    expect(await outbox('batch.completed.v1', b.id)).toEqual([]);
  });
});
