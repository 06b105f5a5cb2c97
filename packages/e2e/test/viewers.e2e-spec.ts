/**
 * Real IIIF clients in a real browser (issue 8; SPEC.md §5, §7): Mirador 4 and the Universal Viewer 4, from their
 * npm packages, open a Vellum named-query manifest of a four-page "book" in headless Chromium. For each viewer: every
 * canvas is listed in the manifest's order with its label; each page, chosen in the viewer's own list, is drawn by
 * OpenSeadragon from Vellum's image service with pixels matching the source file (and not another page's); and no
 * request of the page fails (network errors and 4xx/5xx; 2xx/3xx are fine).
 *
 * The viewer pages are served from another origin than Vellum (`startViewerPages`), as on a library's own site, so
 * the manifest, info.json, tiles and thumbnails are all cross-origin requests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import { fixturePath, waitFor } from '@vellum/testing';
import {
  compareDrawnImage,
  drawnImage,
  launchChromium,
  startViewerPages,
  watchRequests,
  type DrawnImage,
  type ViewerPages,
} from '../src/browser';
import { startRig, type Json, type Rig } from '../src/rig';

/** The book: string1 = its id, number1 = page order (SPEC.md §1 metadata; the DLCS's digitisation workflow). */
const BOOK = 'b12345';
const PAGES = [
  { id: 'b12345-0001', file: 'tiff-lzw.tif', mediaType: 'image/tiff' },
  { id: 'b12345-0002', file: 'photo-large.jpg', mediaType: 'image/jpeg' },
  { id: 'b12345-0003', file: 'grayscale.png', mediaType: 'image/png' },
  { id: 'b12345-0004', file: 'cmyk.jpg', mediaType: 'image/jpeg' },
];

/** Image fractions sampled on each page: a 5×5 grid, those hidden by a control are skipped. */
const POINTS: Array<[number, number]> = [0.15, 0.3, 0.5, 0.7, 0.85].flatMap((fy) =>
  [0.15, 0.3, 0.5, 0.7, 0.85].map((fx): [number, number] => [fx, fy]),
);
/** Fewest sampled points per page. */
const MIN_POINTS = 12;
/**
 * Largest per-channel difference of a 9×9 patch mean from the source's (0–255), and of the mean over a page's
 * points. Measured on these fixtures: at most 11 per point and 3.5 on average for the right page, at least 77 on
 * average for any other page, so the bounds leave room for resampling without letting another image pass.
 */
const MAX_POINT_DISTANCE = 32;
const MAX_MEAN_DISTANCE = 10;
const MIN_MEAN_DISTANCE_OTHER = 40;

/** How a test finds its way around one viewer. */
interface Viewer {
  name: string;
  url(pages: ViewerPages, manifest: string): string;
  /** A page expression yielding the OpenSeadragon viewer. */
  osd: string;
  /** The viewer's list of canvases (one element per canvas, in order). */
  canvasList(page: Page): Locator;
  /** The label a list entry shows. */
  labelOf(entry: Locator): Promise<string>;
}

const VIEWERS: Viewer[] = [
  {
    name: 'Mirador',
    url: (pages, manifest) => pages.mirador(manifest),
    osd: "Mirador.OSDReferences.get('w1').current",
    // The side bar's canvas index ("Index", item list): a MUI MenuList.
    canvasList: (page) => page.getByRole('menu').getByRole('menuitem'),
    labelOf: async (entry) => (await entry.innerText()).trim(),
  },
  {
    name: 'Universal Viewer',
    url: (pages, manifest) => pages.universalViewer(manifest),
    osd: 'uv._assignedContentHandler.extension.centerPanel.viewer',
    // The contents panel's thumbnails (role=option, aria-label = the canvas label).
    canvasList: (page) => page.locator('.thumbsView .thumb'),
    labelOf: async (entry) => (await entry.getAttribute('aria-label')) ?? '',
  },
];

/** The first string of a IIIF language map. */
function firstLabel(label: Json): string {
  const values: string[][] = Object.values(label ?? {});
  return values[0]?.[0] ?? '';
}

describe('Mirador and the Universal Viewer open a Vellum named-query manifest (headless Chromium)', () => {
  let rig: Rig;
  let customer: number;
  let pages: ViewerPages;
  let browser: Browser;
  let manifestUrl: string;
  let manifest: Json;
  let manifestServer: http.Server;
  let failed = false;
  afterEach(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const state = expect.getState() as any;
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });

  beforeAll(async () => {
    [rig, pages, browser] = await Promise.all([startRig('viewers'), startViewerPages(), launchChromium()]);
    const c = await rig.api('POST', '/customers', { name: 'library', displayName: 'A library' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    expect((await rig.api('POST', `/customers/${customer}/spaces`, { name: 'books' })).status).toBe(201);
    // Pages submitted out of order: the manifest orders them by number1.
    const order = [2, 0, 3, 1];
    const batch = await rig.api('POST', `/customers/${customer}/queue`, {
      '@context': 'http://www.w3.org/ns/hydra/context.jsonld',
      '@type': 'Collection',
      member: order.map((i) => ({
        id: PAGES[i].id,
        space: 1,
        origin: `${rig.originUrl}/${PAGES[i].file}`,
        mediaType: PAGES[i].mediaType,
        string1: BOOK,
        number1: i + 1,
      })),
    });
    expect(batch.status).toBe(201);
    const batchPath = new URL(batch.body['@id']).pathname;
    const done: Json = await waitFor(
      async () => {
        const b = await rig.api('GET', batchPath);
        return b.body.finished ? b.body : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250, description: 'the book batch to finish' },
    );
    expect([done.completed, done.errors]).toEqual([PAGES.length, 0]);
    const query = await rig.api('POST', `/customers/${customer}/namedQueries`, {
      name: 'book',
      template: 'manifest=s1&canvas=n1&s1=p1',
    });
    expect(query.status).toBe(201);
    // TEMPORARY until the manifest routes land (helper "pres"): the manifest a named query will give, written by
    // hand from the info.json of each page, served from a server of the test's own.
    manifestServer = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/ld+json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify(manifest));
    });
    await new Promise<void>((r) => manifestServer.listen(0, '127.0.0.1', r));
    manifestUrl = `http://127.0.0.1:${(manifestServer.address() as AddressInfo).port}/iiif-resource/${customer}/book/${BOOK}`;
    manifest = await handWrittenManifest(rig.platform.deliveryUrl, customer, manifestUrl);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    if (manifestServer) await new Promise((r) => manifestServer.close(r));
    await rig?.stop({ printLogs: failed });
  }, 60_000);

  it('the manifest has one canvas per page, in book order', () => {
    const services = (manifest.items as Json[]).map((canvas) => servicesOf(canvas)[0]);
    expect(services.map((s) => s.split('/').pop())).toEqual(PAGES.map((p) => p.id));
  });

  for (const viewer of VIEWERS) {
    it(`${viewer.name}: lists every canvas, draws each page from the image service, no request fails`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const problems = watchRequests(page, pages.origin);
      try {
        await page.goto(viewer.url(pages, manifestUrl));
        const expected = (manifest.items as Json[]).map((canvas) => firstLabel(canvas.label));
        const list = viewer.canvasList(page);
        await waitFor(async () => (await list.count()) === expected.length, {
          timeoutMs: 60_000,
          description: `${viewer.name} to list ${expected.length} canvases`,
        });
        const labels: string[] = [];
        for (let i = 0; i < expected.length; i++) labels.push(await viewer.labelOf(list.nth(i)));
        expect(labels).toEqual(expected);

        for (let i = 0; i < PAGES.length; i++) {
          await list.nth(i).click();
          const drawn = await settled(page, viewer.osd, servicesOf(manifest.items[i]));
          const [right, ...others] = await compareDrawnImage(page, drawn, POINTS, [
            fixturePath(PAGES[i].file),
            ...PAGES.filter((_, j) => j !== i).map((p) => fixturePath(p.file)),
          ]);
          const what = `${viewer.name}, page ${i + 1} (${PAGES[i].file})`;
          expect({ what, points: right.length >= MIN_POINTS }).toEqual({ what, points: true });
          const far = right.filter((s) => s.distance > MAX_POINT_DISTANCE);
          expect({ what, far }).toEqual({ what, far: [] });
          expect(mean(right.map((s) => s.distance))).toBeLessThanOrEqual(MAX_MEAN_DISTANCE);
          // The comparison can tell pages apart: every other page's source is far from what is shown.
          for (const other of others)
            expect(mean(other.map((s) => s.distance))).toBeGreaterThan(MIN_MEAN_DISTANCE_OTHER);
        }
        expect(problems.pageErrors).toEqual([]);
        expect(problems.failures).toEqual([]);
        // Vellum answered: the manifest, info.json and tiles of every page went through.
        for (const p of PAGES)
          expect(problems.responses.some((r) => r.startsWith('200 ') && r.includes(`/${p.id}/`))).toBe(true);
      } finally {
        await page.close();
      }
    });
  }
});

/** The image service ids of a canvas's painted image (3.0 and 2.1: a viewer may open either). */
function servicesOf(canvas: Json): string[] {
  const body = canvas.items[0].items[0].body;
  return ((body.service ?? []) as Json[]).map((s) => String(s.id ?? s['@id']));
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/**
 * Waits until OpenSeadragon shows the image of one of `services` whole, fully loaded, at rest and unchanged over
 * two polls (Mirador opens the 3.0 service, the Universal Viewer the 2.1 one).
 * @throws Error from waitFor (after 60 s).
 */
async function settled(page: Page, osd: string, services: string[]): Promise<DrawnImage> {
  let last: string | undefined;
  return waitFor(
    async () => {
      const drawn = await drawnImage(page, osd, POINTS);
      const now =
        drawn && services.includes(drawn.serviceId) && drawn.whole ? JSON.stringify(drawn) : undefined;
      const stable = now !== undefined && now === last;
      last = now;
      return stable ? drawn : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 150, description: `the viewer to draw ${services[0]} whole` },
  );
}

/** TEMPORARY (see above): a Presentation 3 manifest of the book's pages, as the named query will project it. */
async function handWrittenManifest(delivery: string, customer: number, self: string): Promise<Json> {
  const items: Json[] = [];
  for (const p of PAGES) {
    const svc = `${delivery}/iiif-img/${customer}/1/${p.id}`;
    const info: Json = await (await fetch(`${svc}/info.json`)).json();
    const canvas = `${delivery}/iiif-manifest/${customer}/1/${p.id}/canvas/c/1`;
    items.push({
      id: canvas,
      type: 'Canvas',
      label: { none: [p.id] },
      width: info.width,
      height: info.height,
      thumbnail: [
        {
          id: `${delivery}/thumbs/${customer}/1/${p.id}/full/max/0/default.jpg`,
          type: 'Image',
          format: 'image/jpeg',
          service: [
            { id: `${delivery}/thumbs/${customer}/1/${p.id}`, type: 'ImageService3', profile: 'level0' },
          ],
        },
      ],
      items: [
        {
          id: `${canvas}/page`,
          type: 'AnnotationPage',
          items: [
            {
              id: `${canvas}/page/image`,
              type: 'Annotation',
              motivation: 'painting',
              target: canvas,
              body: {
                id: `${svc}/full/max/0/default.jpg`,
                type: 'Image',
                format: 'image/jpeg',
                width: info.width,
                height: info.height,
                service: [
                  { id: svc, type: 'ImageService3', profile: 'level2' },
                  {
                    '@id': `${delivery}/iiif-img/v2/${customer}/1/${p.id}`,
                    '@type': 'ImageService2',
                    profile: 'http://iiif.io/api/image/2/level2.json',
                  },
                ],
              },
            },
          ],
        },
      ],
    });
  }
  return {
    '@context': 'http://iiif.io/api/presentation/3/context.json',
    id: self,
    type: 'Manifest',
    label: { none: [BOOK] },
    items,
  };
}
