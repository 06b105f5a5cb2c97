/**
 * Image inputs end to end (SPEC.md §4.3, §5): the six running services with real PostgreSQL, RabbitMQ, an
 * S3-protocol server and real fixtures from an HTTP origin. A PDF registered with `iiif-img` + `thumbs` is served
 * through its first page; a pyramidal TIFF under `iiif-img/use-original` is served from the origin with its own
 * 256-px tile grid, while a flat TIFF under the same policy is re-encoded into the 512-px pyramid; a text file declared
 * `image/jpeg` fails its ingest with the type its bytes have.
 */
import sharp from 'sharp';
import { startRig, type Json, type Rig } from '../src/rig';

describe('image inputs, end to end', () => {
  let rig: Rig;
  let customer: number;
  const space = 1;
  let failed = false;
  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });
  const api = (method: string, p: string, body?: unknown) => rig.api(method, p, body);
  const images = () => `/customers/${customer}/spaces/${space}/images`;
  const delivery = (p: string) => `${rig.platform.deliveryUrl}${p}`;
  async function image(url: string): Promise<{ status: number; meta?: sharp.Metadata }> {
    const res = await fetch(url);
    if (res.status !== 200) return { status: res.status };
    return { status: 200, meta: await sharp(Buffer.from(await res.arrayBuffer())).metadata() };
  }

  beforeAll(async () => {
    rig = await startRig('inputs');
    const c = await api('POST', '/customers', { name: 'inputs', displayName: 'Inputs' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    expect((await api('POST', `/customers/${customer}/spaces`, { name: 'inputs' })).status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await rig?.stop({ printLogs: failed });
  }, 60_000);

  it('a PDF with iiif-img and thumbs: its first page, as tiles and thumbnails', async () => {
    const res = await api('PUT', `${images()}/score`, {
      origin: `${rig.originUrl}/document-multipage.pdf`,
      mediaType: 'application/pdf',
      deliveryChannels: ['iiif-img', 'thumbs', 'file'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ingesting: false, family: 'I', width: 1423, height: 2012 });
    expect(res.body.error ?? '').toBe('');

    const info: Json = await (await fetch(delivery(`/iiif-img/${customer}/${space}/score/info.json`))).json();
    expect(info).toMatchObject({
      width: 1423,
      height: 2012,
      tiles: [{ width: 512, scaleFactors: [1, 2, 4] }],
    });
    const tile = await image(delivery(`/iiif-img/${customer}/${space}/score/0,0,512,512/512,/0/default.jpg`));
    expect([tile.status, tile.meta?.width, tile.meta?.height]).toEqual([200, 512, 512]);
    const thumbs: Json = await (await fetch(delivery(`/thumbs/${customer}/${space}/score/info.json`))).json();
    expect(thumbs.sizes).toEqual(expect.arrayContaining([{ width: 141, height: 200 }]));
    const thumb = await image(delivery(`/thumbs/${customer}/${space}/score/full/141,200/0/default.jpg`));
    expect([thumb.status, thumb.meta?.format]).toEqual([200, 'jpeg']);
    // The file channel keeps the PDF itself as the original (iiif-delivery's /file route is not served yet).
    const stored = await api('GET', `${images()}/score/metadata`);
    expect(stored.body.original).toMatchObject({ mediaType: 'application/pdf', size: 261_419 });
  });

  it('iiif-img/use-original: a pyramidal TIFF is the tile source with its own 256-px grid', async () => {
    const res = await api('PUT', `${images()}/seurat`, {
      origin: `${rig.originUrl}/pyramid-tiled.tif`,
      mediaType: 'image/tiff',
      deliveryChannels: [{ channel: 'iiif-img', policy: 'use-original' }, 'thumbs'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ingesting: false, width: 4655, height: 3118 });
    expect(res.body.error ?? '').toBe('');
    const meta = await api('GET', `${images()}/seurat/metadata`);
    expect(meta.body.pyramid).toMatchObject({ tileSize: 256, useOriginal: true });

    const info: Json = await (
      await fetch(delivery(`/iiif-img/${customer}/${space}/seurat/info.json`))
    ).json();
    expect(info.tiles).toEqual([{ width: 256, height: 256, scaleFactors: [1, 2, 4, 8, 16, 32] }]);
    const tile = await image(
      delivery(`/iiif-img/${customer}/${space}/seurat/1024,1024,1024,1024/256,/0/default.jpg`),
    );
    expect([tile.status, tile.meta?.width, tile.meta?.height]).toEqual([200, 256, 256]);
  });

  it('iiif-img/use-original with a flat TIFF: re-encoded into the 512-px pyramid', async () => {
    const res = await api('PUT', `${images()}/flat`, {
      origin: `${rig.originUrl}/tiff-lzw.tif`,
      mediaType: 'image/tiff',
      deliveryChannels: [{ channel: 'iiif-img', policy: 'use-original' }],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ingesting: false, width: 1165, height: 859 });
    const meta = await api('GET', `${images()}/flat/metadata`);
    expect(meta.body.pyramid).toMatchObject({ tileSize: 512 });
    expect(meta.body.pyramid.useOriginal).toBeUndefined();
    const info: Json = await (await fetch(delivery(`/iiif-img/${customer}/${space}/flat/info.json`))).json();
    expect(info.tiles).toEqual([{ width: 512, height: 512, scaleFactors: [1, 2, 4] }]);
    const tile = await image(delivery(`/iiif-img/${customer}/${space}/flat/0,0,512,512/512,/0/default.jpg`));
    expect(tile.status).toBe(200);
  });

  it('a text file declared image/jpeg fails with the type its bytes have, not the declared one', async () => {
    const res = await api('PUT', `${images()}/notes`, {
      origin: `${rig.originUrl}/PROVENANCE.md`,
      mediaType: 'image/jpeg',
    });
    expect(res.body).toMatchObject({
      ingesting: false,
      error: 'Unsupported format: text/plain (permanent, 1 attempt)',
    });
    expect((await fetch(delivery(`/iiif-img/${customer}/${space}/notes/info.json`))).status).toBe(404);
  });

  it('the API refuses iiif-img for a media type the image pipeline cannot take', async () => {
    const res = await api('PUT', `${images()}/archive`, {
      origin: `${rig.originUrl}/archive.zip`,
      mediaType: 'application/zip',
      deliveryChannels: ['iiif-img'],
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('needs an image/* or application/pdf mediaType');
  });
});
