/**
 * IIIF Presentation end to end (SPEC.md §3.4 `manifest`, §5, §7; issue 8): the six running services with real
 * PostgreSQL, RabbitMQ and an S3-protocol server. Real fixture images are registered through the API like the pages
 * of a book (`string1` = the book, `number1` = the page, given out of order), a named query is created, and
 * iiif-delivery projects it as a IIIF Presentation 3.0 manifest (validated against the IIIF JSON schema, every image
 * service followed), a 2.1 manifest (upgraded by `@iiif/parser`) and an id list; the asset's own `manifest` link
 * resolves; another customer with the same metadata never appears; an edit through the API reorders the projections
 * (the `asset.updated` event reaches delivery's cache).
 */
import { presentation3SchemaErrors, upgradePresentation2, waitFor } from '@vellum/testing';
import sharp from 'sharp';
import { startRig, type Json, type Rig } from '../src/rig';

/** The book: fixture, page number, pixel size as displayed. Registered in this (non-page) order. */
const PAGES = [
  { id: 'page-c', file: 'grayscale.png', mediaType: 'image/png', page: 3, width: 512, height: 512 },
  { id: 'page-a', file: 'tiff-lzw.tif', mediaType: 'image/tiff', page: 1, width: 1165, height: 859 },
  { id: 'page-b', file: 'png-alpha.png', mediaType: 'image/png', page: 2, width: 592, height: 1167 },
];
const V3_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"';

describe('IIIF Presentation, end to end', () => {
  let rig: Rig;
  let customer: number;
  let other: number;
  let admin: number;
  let failed = false;
  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });
  const api = (method: string, p: string, body?: unknown) => rig.api(method, p, body);
  const delivery = (p: string, headers: Record<string, string> = {}) =>
    fetch(`${rig.platform.deliveryUrl}${p}`, { headers });
  const json = async (res: Response): Promise<Json> => JSON.parse(await res.text());

  beforeAll(async () => {
    rig = await startRig('presentation');
    for (const name of ['pres-library', 'pres-other']) {
      const c = await api('POST', '/customers', { name, displayName: name });
      expect(c.status).toBe(201);
      expect((await api('POST', `/customers/${c.body.id}/spaces`, { name: 'books' })).status).toBe(201);
      if (name === 'pres-library') customer = c.body.id;
      else other = c.body.id;
    }
    const customers = await api('GET', '/customers?pageSize=500');
    admin = customers.body.member.find((c: Json) => c.name === 'admin').id;
  }, 180_000);

  afterAll(async () => {
    await rig?.stop({ printLogs: failed });
  }, 60_000);

  it('registers the pages of a book with string1/number1 (PUT, immediate)', async () => {
    for (const p of PAGES) {
      const res = await api('PUT', `/customers/${customer}/spaces/1/images/${p.id}`, {
        origin: `${rig.originUrl}/${p.file}`,
        mediaType: p.mediaType,
        string1: 'book-1',
        number1: p.page,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ ingesting: false, width: p.width, height: p.height });
      expect(res.body.manifest).toMatch(new RegExp(`/iiif-manifest/${customer}/1/${p.id}$`));
    }
    // The other customer has a page with the very same metadata.
    const res = await api('PUT', `/customers/${other}/spaces/1/images/page-a`, {
      origin: `${rig.originUrl}/cmyk.jpg`,
      mediaType: 'image/jpeg',
      string1: 'book-1',
      number1: 1,
    });
    expect(res.status).toBe(201);
  });

  it("the asset's manifest link serves its single-asset manifest", async () => {
    const asset = await api('GET', `/customers/${customer}/spaces/1/images/page-b`);
    const res = await fetch(asset.body.manifest);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(V3_TYPE);
    const m = await json(res);
    expect(presentation3SchemaErrors(m)).toEqual([]);
    expect(m.id).toBe(asset.body.manifest);
    expect(m.items).toHaveLength(1);
    expect(m.items[0]).toMatchObject({ width: 592, height: 1167 });
  });

  it('creates a named query and serves the book as a schema-valid manifest, pages in number1 order', async () => {
    const q = await api('POST', `/customers/${customer}/namedQueries`, {
      name: 'book',
      template: 'manifest=s1&canvas=n1&s1=p1',
    });
    expect(q.status).toBe(201);
    const res = await delivery(`/iiif-resource/${customer}/book/book-1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(V3_TYPE);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('etag')).toBeTruthy();
    const m = await json(res);
    expect(presentation3SchemaErrors(m)).toEqual([]);
    expect(m.label).toEqual({ none: ['book-1'] });
    const ordered = [...PAGES].sort((x, y) => x.page - y.page);
    expect(m.items.map((c: Json) => c.label)).toEqual(ordered.map((p) => ({ none: [p.id] })));
    expect(m.items.map((c: Json) => [c.width, c.height])).toEqual(ordered.map((p) => [p.width, p.height]));
    // Every image service and every painted image resolves, at the size the manifest says.
    for (const canvas of m.items) {
      const body = canvas.items[0].items[0].body;
      const info = await json(await fetch(`${body.service[0].id}/info.json`));
      expect(info).toMatchObject({ id: body.service[0].id, width: canvas.width, height: canvas.height });
      const v2 = await json(await fetch(`${body.service[1]['@id']}/info.json`));
      expect(v2['@id']).toBe(body.service[1]['@id']);
      const image = await fetch(body.id);
      expect(image.status).toBe(200);
      const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual([body.width, body.height]);
      expect((await fetch(canvas.thumbnail[0].id)).status).toBe(200);
    }
    // The same by customer name, and in 2.1 (which @iiif/parser upgrades to a valid 3.0 manifest).
    const byName = await json(await delivery('/iiif-resource/pres-library/book/book-1'));
    expect(byName.items.map((c: Json) => c.id)).toEqual(m.items.map((c: Json) => c.id));
    const v2 = await json(await delivery(`/iiif-resource/v2/${customer}/book/book-1`));
    expect(v2.sequences[0].canvases).toHaveLength(3);
    expect(presentation3SchemaErrors(upgradePresentation2(v2))).toEqual([]);
  });

  it('raw-resource: the customer/space/id list in the same order', async () => {
    const res = await delivery(`/raw-resource/${customer}/book/book-1`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual([`${customer}/1/page-a`, `${customer}/1/page-b`, `${customer}/1/page-c`]);
  });

  it("a global query runs over the requesting customer's assets only; another customer's query is not found", async () => {
    const shared = await api('POST', `/customers/${admin}/namedQueries`, {
      name: 'shared-book',
      template: 's1=p1&canvas=n1',
      global: true,
    });
    expect(shared.status).toBe(201);
    const mine = await json(await delivery(`/raw-resource/${customer}/shared-book/book-1`));
    expect(mine).toEqual([`${customer}/1/page-a`, `${customer}/1/page-b`, `${customer}/1/page-c`]);
    const theirs = await json(await delivery(`/raw-resource/${other}/shared-book/book-1`));
    expect(theirs).toEqual([`${other}/1/page-a`]);
    const manifest = await json(await delivery(`/iiif-resource/${other}/shared-book/book-1`));
    expect(presentation3SchemaErrors(manifest)).toEqual([]);
    expect(manifest.items).toHaveLength(1);
    expect(JSON.stringify(manifest)).not.toContain(`/${customer}/1/`);
    // "book" is the library's own query: the other customer has none of that name.
    const res = await delivery(`/iiif-resource/${other}/book/book-1`);
    expect(res.status).toBe(404);
    expect((await json(res)).detail).toBe(`Named query book not found for customer ${other}`);
  });

  it('bad requests are clear problem documents', async () => {
    const cases: Array<[string, number, string]> = [
      [`/iiif-resource/${customer}/nope/book-1`, 404, `Named query nope not found for customer ${customer}`],
      [
        `/iiif-resource/${customer}/book/no-such-book`,
        404,
        `Named query book/no-such-book matches no assets of customer ${customer}`,
      ],
      [
        `/iiif-resource/${customer}/book`,
        400,
        'Named query book: this named query takes an argument; none given',
      ],
      [
        `/iiif-resource/v4/${customer}/book/book-1`,
        400,
        'Unknown IIIF Presentation API version v4: use /v2/ (Presentation 2.1) or /v3/ (3.0, the default)',
      ],
      [`/iiif-manifest/${customer}/1/nope`, 404, `Asset ${customer}/1/nope not found`],
    ];
    for (const [p, status, detail] of cases) {
      const res = await delivery(p);
      expect({ p, status: res.status, type: res.headers.get('content-type') }).toEqual({
        p,
        status,
        type: 'application/problem+json; charset=utf-8',
      });
      expect((await json(res)).detail).toBe(detail);
    }
  });

  it('an edit through the API reorders the cached projections (asset.updated reaches delivery)', async () => {
    const before = await delivery(`/iiif-resource/${customer}/book/book-1`);
    const etag = before.headers.get('etag')!;
    const patched = await api('PATCH', `/customers/${customer}/spaces/1/images/page-a`, { number1: 9 });
    expect(patched.status).toBe(200);
    await waitFor(
      async () =>
        JSON.stringify(await json(await delivery(`/raw-resource/${customer}/book/book-1`))) ===
        JSON.stringify([`${customer}/1/page-b`, `${customer}/1/page-c`, `${customer}/1/page-a`]),
      { timeoutMs: 15_000, description: 'the new page order in /raw-resource' },
    );
    // Delivery runs one process per core, each with its own cache and its own event queue: each drops its copy
    // when the event reaches it, so the manifest is waited for too (a 304 meanwhile is the old copy, still valid).
    let m: Json = null;
    await waitFor(
      async () => {
        const after = await delivery(`/iiif-resource/${customer}/book/book-1`, { 'If-None-Match': etag });
        if (after.status === 304) return false;
        expect(after.status).toBe(200);
        m = await json(after);
        return true;
      },
      { timeoutMs: 15_000, description: 'a new manifest (200, not 304) in /iiif-resource' },
    );
    expect(m.items.map((c: Json) => c.label.none[0])).toEqual(['page-b', 'page-c', 'page-a']);
  });
});
