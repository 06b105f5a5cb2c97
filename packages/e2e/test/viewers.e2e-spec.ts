/**
 * Real IIIF clients in a real browser (issue 8; SPEC.md §5, §7): Mirador 4 and the Universal Viewer 4, from their
 * npm packages, open a Vellum named-query manifest of a four-page "book" (Presentation 3.0, and 2.1 on `/v2/`) in
 * headless Chromium, and so does the Mirador page Vellum serves itself (`/viewer/mirador?manifest=`, the demo's
 * link). For each: every canvas is listed in the manifest's order with its label; each page, chosen in the viewer's
 * own list, is drawn by OpenSeadragon from Vellum's image service with pixels matching the source file (and not
 * another page's); and no request of the page fails (network errors and 4xx/5xx; 2xx/3xx are fine), nothing breaks
 * the page's Content-Security-Policy and no exception escapes.
 *
 * The two viewers' own pages are served from another origin than Vellum (`startViewerPages`), as on a library's
 * site, so the manifest, info.json, tiles and thumbnails are all cross-origin requests.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { fixturePath, presentation3SchemaErrors, waitFor } from '@vellum/testing';
import {
  compareDrawnImage,
  drawnImage,
  launchChromium,
  startViewerPages,
  watchRequests,
  type DrawnImage,
  type PixelSample,
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
/** A page of another book in the same space: the named query must leave it out. */
const OTHER_BOOK_PAGE = { id: 'b99999-0001', file: 'image.webp', mediaType: 'image/webp' };

/** Image fractions sampled on each page: a 5×5 grid, those hidden by a control are skipped. */
const POINTS: Array<[number, number]> = [0.15, 0.3, 0.5, 0.7, 0.85].flatMap((fy) =>
  [0.15, 0.3, 0.5, 0.7, 0.85].map((fx): [number, number] => [fx, fy]),
);
/** Fewest sampled points per page. */
const MIN_POINTS = 12;
/**
 * Largest per-channel difference of a 9×9 patch mean from the source's (0–255), and of the mean over a page's
 * points. Measured on these fixtures (the suite prints them): at most 14 per point and 3.5 on average for the right
 * page, at least 77 on average for any other page, so the bounds leave room for resampling without letting another
 * image pass.
 */
const MAX_POINT_DISTANCE = 32;
const MAX_MEAN_DISTANCE = 10;
const MIN_MEAN_DISTANCE_OTHER = 40;

/** How a test finds its way around one viewer. */
interface Viewer {
  name: string;
  /** The page opening `manifest` (an absolute URL; `manifestPath` is its path on Vellum). */
  url(pages: ViewerPages, delivery: string, manifest: string, manifestPath: string): string;
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
    url: (pages, _delivery, manifest) => pages.mirador(manifest),
    osd: "Mirador.OSDReferences.get('w1').current",
    // The side bar's canvas index ("Index", item list): a MUI MenuList.
    canvasList: (page) => page.getByRole('menu').getByRole('menuitem'),
    labelOf: async (entry) => (await entry.innerText()).trim(),
  },
  {
    // Vellum's own page (the demo's link), same origin as the manifest, under its CSP.
    name: "Vellum's Mirador page",
    url: (_pages, delivery, _manifest, manifestPath) => `${delivery}/viewer/mirador?manifest=${manifestPath}`,
    osd: "Mirador.OSDReferences.get('vellum').current",
    canvasList: (page) => page.getByRole('menu').getByRole('menuitem'),
    labelOf: async (entry) => (await entry.innerText()).trim(),
  },
  {
    name: 'Universal Viewer',
    url: (pages, _delivery, manifest) => pages.universalViewer(manifest),
    osd: 'uv._assignedContentHandler.extension.centerPanel.viewer',
    // The contents panel's thumbnails (role=option, aria-label = the canvas label).
    canvasList: (page) => page.locator('.thumbsView .thumb'),
    labelOf: async (entry) => (await entry.getAttribute('aria-label')) ?? '',
  },
];

/** A canvas as a viewer should show it: its label and the ids of its image's services. */
interface CanvasView {
  label: string;
  services: string[];
}

/**
 * The canvases of a Presentation 3.0 manifest (`items`, language-map labels, `service` of the painting body) or
 * 2.1 (`sequences[0].canvases`, string labels, `images[0].resource.service`), in order.
 */
function canvasesOf(manifest: Json): CanvasView[] {
  const services = (service: Json): string[] =>
    (Array.isArray(service) ? service : service ? [service] : []).map((s: Json) => String(s.id ?? s['@id']));
  if (manifest.items) {
    return (manifest.items as Json[]).map((canvas) => {
      const values: string[][] = Object.values(canvas.label ?? {});
      return { label: values[0]?.[0] ?? '', services: services(canvas.items[0].items[0].body.service) };
    });
  }
  return (manifest.sequences[0].canvases as Json[]).map((canvas) => ({
    label: typeof canvas.label === 'string' ? canvas.label : String(canvas.label?.[0]?.['@value'] ?? ''),
    services: services(canvas.images[0].resource.service),
  }));
}

describe('Mirador and the Universal Viewer open a Vellum named-query manifest (headless Chromium)', () => {
  let rig: Rig;
  let customer: number;
  let pages: ViewerPages;
  let browser: Browser;
  /** Path and document of the book's manifest, per Presentation version. */
  const manifests: Record<'3.0' | '2.1', { path: string; url: string; doc: Json }> = {} as never;
  /** Per viewer and version: the worst point and page mean for the right page, the nearest other page's mean. */
  const measured: string[] = [];
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
    // Pages submitted out of order (the manifest orders them by number1), with another book's page among them.
    const order = [2, 0, 3, 1];
    const batch = await rig.api('POST', `/customers/${customer}/queue`, {
      '@context': 'http://www.w3.org/ns/hydra/context.jsonld',
      '@type': 'Collection',
      member: [
        ...order.map((i) => ({
          id: PAGES[i].id,
          space: 1,
          origin: `${rig.originUrl}/${PAGES[i].file}`,
          mediaType: PAGES[i].mediaType,
          string1: BOOK,
          number1: i + 1,
        })),
        {
          id: OTHER_BOOK_PAGE.id,
          space: 1,
          origin: `${rig.originUrl}/${OTHER_BOOK_PAGE.file}`,
          mediaType: OTHER_BOOK_PAGE.mediaType,
          string1: 'b99999',
          number1: 1,
        },
      ],
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
    expect([done.completed, done.errors]).toEqual([PAGES.length + 1, 0]);
    const query = await rig.api('POST', `/customers/${customer}/namedQueries`, {
      name: 'book',
      template: 'manifest=s1&canvas=n1&s1=p1',
    });
    expect(query.status).toBe(201);
    for (const [version, slug] of [
      ['3.0', ''],
      ['2.1', 'v2/'],
    ] as const) {
      const path = `/iiif-resource/${slug}${customer}/book/${BOOK}`;
      const url = `${rig.platform.deliveryUrl}${path}`;
      const res = await fetch(url);
      expect([url, res.status]).toEqual([url, 200]);
      manifests[version] = { path, url, doc: await res.json() };
    }
  }, 300_000);

  afterAll(async () => {
    if (measured.length) console.log(`Pixel distances (0-255, patch means):\n${measured.join('\n')}`);
    await browser?.close();
    await pages?.close();
    await rig?.stop({ printLogs: failed });
  }, 60_000);

  it('the named query gives one canvas per page of the book, in page order (3.0 valid against the schema)', () => {
    expect(presentation3SchemaErrors(manifests['3.0'].doc)).toEqual([]);
    for (const { doc } of Object.values(manifests)) {
      const ids = canvasesOf(doc).map((c) => c.services[0].split('/').pop());
      expect(ids).toEqual(PAGES.map((p) => p.id));
    }
  });

  for (const viewer of VIEWERS) {
    for (const version of ['3.0', '2.1'] as const) {
      it(`${viewer.name}, Presentation ${version}: lists every canvas, draws each page, no request fails`, async () => {
        const manifest = manifests[version];
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const problems = watchRequests(page, pages.origin);
        try {
          await page.goto(viewer.url(pages, rig.platform.deliveryUrl, manifest.url, manifest.path));
          const canvases = canvasesOf(manifest.doc);
          const list = viewer.canvasList(page);
          await waitFor(async () => (await list.count()) === canvases.length, {
            timeoutMs: 60_000,
            description: `${viewer.name} to list ${canvases.length} canvases`,
          });
          const labels: string[] = [];
          for (let i = 0; i < canvases.length; i++) labels.push(await viewer.labelOf(list.nth(i)));
          expect(labels).toEqual(canvases.map((c) => c.label));

          const worst = { point: 0, mean: 0, other: Infinity };
          for (let i = 0; i < PAGES.length; i++) {
            await list.nth(i).click();
            // Settled, then compared; compared again (until a deadline) while it does not match yet, in case a
            // busy machine caught OpenSeadragon between its "loaded" and the last frame drawn.
            const sources = [PAGES[i], ...PAGES.filter((_, j) => j !== i)].map((p) => fixturePath(p.file));
            const deadline = Date.now() + 30_000;
            let drawn: DrawnImage;
            let right: PixelSample[];
            let others: PixelSample[][];
            for (;;) {
              drawn = await settled(page, viewer.osd, canvases[i].services);
              [right, ...others] = await compareDrawnImage(page, drawn, POINTS, sources);
              if (matches(right) || Date.now() > deadline) break;
            }
            const what = `${viewer.name}, page ${i + 1} (${PAGES[i].file}) from ${drawn.serviceId}`;
            expect({ what, points: right.length >= MIN_POINTS }).toEqual({ what, points: true });
            const far = right.filter((s) => s.distance > MAX_POINT_DISTANCE);
            expect({ what, far }).toEqual({ what, far: [] });
            expect(mean(right.map((s) => s.distance))).toBeLessThanOrEqual(MAX_MEAN_DISTANCE);
            // The comparison can tell pages apart: every other page's source is far from what is shown.
            for (const other of others)
              expect(mean(other.map((s) => s.distance))).toBeGreaterThan(MIN_MEAN_DISTANCE_OTHER);
            worst.point = Math.max(worst.point, ...right.map((s) => s.distance));
            worst.mean = Math.max(worst.mean, mean(right.map((s) => s.distance)));
            worst.other = Math.min(worst.other, ...others.map((o) => mean(o.map((s) => s.distance))));
          }
          measured.push(
            `  ${viewer.name}, ${version}: right page ≤ ${worst.point.toFixed(1)} per point, ≤ ${worst.mean.toFixed(1)} mean; other pages ≥ ${worst.other.toFixed(1)} mean`,
          );
          expect(problems.pageErrors).toEqual([]);
          expect(problems.cspViolations).toEqual([]);
          expect(problems.failures).toEqual([]);
          // Vellum answered the manifest and the image requests of every page.
          expect(problems.responses).toContain(`200 ${manifest.url}`);
          for (const p of PAGES)
            expect(problems.responses.some((r) => r.startsWith('200 ') && r.includes(`/${p.id}/`))).toBe(
              true,
            );
        } finally {
          await page.close();
        }
      });
    }
  }
});

/** Whether the samples of the right page are within the bounds (the assertions below say which is not). */
function matches(right: PixelSample[]): boolean {
  return (
    right.length >= MIN_POINTS &&
    right.every((s) => s.distance <= MAX_POINT_DISTANCE) &&
    mean(right.map((s) => s.distance)) <= MAX_MEAN_DISTANCE
  );
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
