import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';

/**
 * Browser tests: Debian's Chromium driven by `playwright-core`, and a page server for the IIIF viewers that
 * libraries embed (Mirador, the Universal Viewer), loaded from their npm packages' prebuilt bundles, so nothing
 * comes from a CDN.
 */

/**
 * The Chromium flags that work on these machines (no GPU, no sandbox as root, nothing phoning home). Playwright's own
 * browser downloads cannot work here; the Debian package (`chromium`, installed by `scripts/setup.mjs`) does.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Path of the Chromium binary: `chromium` on the PATH (Debian's `/usr/bin/chromium`).
 * @throws Error saying how to install it when there is none.
 */
export function chromiumPath(): string {
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    /* not on the PATH */
  }
  if (fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error('No chromium on the PATH: install Debian `chromium` (npm start / npm test set it up)');
}

/** Launches headless Chromium with {@link CHROMIUM_ARGS}. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

/**
 * Upstream defects of the viewers themselves that make a request fail whatever the server does; each is matched
 * exactly and named, so that every other failure fails the test.
 * - Universal Viewer 4.4.0 passes `prefixUrl: undefined` to OpenSeadragon together with `data:` button images, and
 *   OpenSeadragon prefixes them with its default `/images/`: a GET of
 *   `{page origin}/images/data:image/gif;base64,…` (UniversalViewer/universalviewer#1789). It goes to the page's own
 *   host, never to Vellum.
 */
export const KNOWN_VIEWER_DEFECTS: Array<{
  name: string;
  matches: (url: string, pageOrigin: string) => boolean;
}> = [
  {
    name: 'universalviewer#1789',
    matches: (url, pageOrigin) => url.startsWith(`${pageOrigin}/images/data:image/gif;base64,`),
  },
];

/** What a page asked for that did not succeed. */
export interface RequestProblems {
  /** `requestfailed` (`<error> <method> <url>`) and responses ≥ 400 (`<status> <method> <url>`), in order. */
  failures: string[];
  /** Requests that failed through a {@link KNOWN_VIEWER_DEFECTS} entry (`<name> <url>`). */
  known: string[];
  /** Uncaught exceptions in the page (`pageerror`). */
  pageErrors: string[];
  /** What the page's Content-Security-Policy refused (Chromium's `Refused to …` console errors). */
  cspViolations: string[];
  /** Every response seen (`<status> <url>`), for failure messages. */
  responses: string[];
}

/**
 * Records every request of `page` that fails (network error, blocked, aborted) or answers 4xx/5xx, every
 * uncaught page exception and every Content-Security-Policy violation, from now on. 2xx and 3xx are fine (a 303 to info.json is the IIIF way).
 * @param pageOrigin origin of the viewer page (for {@link KNOWN_VIEWER_DEFECTS}).
 */
export function watchRequests(page: Page, pageOrigin: string): RequestProblems {
  const problems: RequestProblems = {
    failures: [],
    known: [],
    pageErrors: [],
    cspViolations: [],
    responses: [],
  };
  const note = (line: string, url: string): void => {
    const known = KNOWN_VIEWER_DEFECTS.find((d) => d.matches(url, pageOrigin));
    if (known) problems.known.push(`${known.name} ${url}`);
    else problems.failures.push(line);
  };
  page.on('requestfailed', (req) => {
    note(`${req.failure()?.errorText ?? 'failed'} ${req.method()} ${req.url()}`, req.url());
  });
  page.on('response', (res) => {
    problems.responses.push(`${res.status()} ${res.url()}`);
    if (res.status() >= 400) note(`${res.status()} ${res.request().method()} ${res.url()}`, res.url());
  });
  page.on('pageerror', (err) => problems.pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /^Refused to |Content Security Policy/.test(msg.text()))
      problems.cspViolations.push(msg.text());
  });
  return problems;
}

/** Where a viewer page is served from, and how to open a manifest in each viewer. */
export interface ViewerPages {
  /** `http://127.0.0.1:{port}` */
  origin: string;
  /** The Mirador page opening `manifest` (one window, the canvas index open, thumbnails below). */
  mirador(manifest: string): string;
  /** The Universal Viewer page opening `manifest` (the contents panel with its thumbnails open). */
  universalViewer(manifest: string): string;
  close(): Promise<void>;
}

/** The `dist` directories of the two viewers' npm packages. */
function viewerDistDirs(): { mirador: string; uv: string } {
  // mirador's package.json is not exported; its CommonJS entry is dist/mirador.min.js, the UMD bundle.
  const mirador = path.dirname(require.resolve('mirador'));
  const uv = path.join(path.dirname(require.resolve('universalviewer/package.json')), 'dist');
  return { mirador, uv };
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/**
 * The Mirador page, as a library would embed it: `Mirador.viewer` on `?manifest=` with one window (id `w1`), the
 * canvas index in the side bar and the thumbnail strip; `preserveViewport: false` (Mirador 4 keeps the zoom
 * of the previous canvas by default) so that every canvas opens whole, as a book's pages are turned. `Mirador.OSDReferences.get('w1')` holds the window's
 * OpenSeadragon viewer (Mirador 4's own plugin API), which the test reads to know where the image is drawn.
 */
const MIRADOR_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mirador</title><link rel="icon" href="data:,">
<style>html, body, #mirador { margin: 0; height: 100%; }</style></head>
<body><div id="mirador"></div>
<script src="/mirador/mirador.min.js"></script>
<script>
  var manifest = new URLSearchParams(location.search).get('manifest');
  window.mirador = Mirador.viewer({
    id: 'mirador',
    windows: [{ id: 'w1', manifestId: manifest, thumbnailNavigationPosition: 'far-bottom' }],
    window: { allowClose: false, defaultSideBarPanel: 'canvas', sideBarOpenByDefault: true },
    workspaceControlPanel: { enabled: false },
    osdConfig: { preserveViewport: false },
  });
</script></body></html>
`;

/**
 * The Universal Viewer page, as its own `uv.html` embeds it: `UV.init` on `?manifest=`. The OpenSeadragon viewer
 * is `uv._assignedContentHandler.extension.centerPanel.viewer` once the IIIF extension is up.
 */
const UV_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Universal Viewer</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/uv/uv.css">
<style>html, body, #uv { margin: 0; width: 100%; height: 100%; }</style></head>
<body><div id="uv" class="uv"></div>
<script src="/uv/umd/UV.js"></script>
<script>
  var manifest = new URLSearchParams(location.search).get('manifest');
  window.uv = UV.init('uv', { manifest: manifest, embedded: true });
</script></body></html>
`;

/**
 * Serves the two viewer pages on 127.0.0.1 (a free port) with the viewers' files from their npm packages:
 * `/mirador.html`, `/uv.html`, `/mirador/{file}` (mirador's `dist/`) and `/uv/{file}` (universalviewer's `dist/`,
 * whose `umd/UV.js` loads its chunks from `umd/` next to itself). Anything else, or a path leaving a dist
 * directory, is 404. The pages are on another origin than Vellum, as on a library's own site, so every manifest,
 * info.json and image request is a cross-origin one.
 */
export async function startViewerPages(): Promise<ViewerPages> {
  const dirs = viewerDistDirs();
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (pathname === '/mirador.html' || pathname === '/uv.html') {
      res.writeHead(200, { 'content-type': CONTENT_TYPES['.html'], 'cache-control': 'no-store' });
      return void res.end(pathname === '/mirador.html' ? MIRADOR_PAGE : UV_PAGE);
    }
    const m = /^\/(mirador|uv)\/(.+)$/.exec(pathname);
    if (m) {
      const dir = m[1] === 'mirador' ? dirs.mirador : dirs.uv;
      const file = path.resolve(dir, decodeURIComponent(m[2]));
      if (file.startsWith(dir + path.sep) && fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
        res.writeHead(200, {
          'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
          'content-length': fs.statSync(file).size,
        });
        return void fs.createReadStream(file).pipe(res);
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    mirador: (manifest) => `${origin}/mirador.html?manifest=${encodeURIComponent(manifest)}`,
    universalViewer: (manifest) => `${origin}/uv.html?manifest=${encodeURIComponent(manifest)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Where OpenSeadragon draws its (first) image on the page, once it has settled. */
export interface DrawnImage {
  /** The image's service id (`id`/`@id` of the info.json OpenSeadragon opened). */
  serviceId: string;
  /** The image's pixel size (info.json `width`/`height`). */
  width: number;
  height: number;
  /** The image's box on the page, CSS pixels (device scale 1): `x`, `y` of its top-left corner, drawn `w` × `h`. */
  box: { x: number; y: number; w: number; h: number };
  /** The whole image is inside the viewer (as when a viewer opens an image: "home"). */
  whole: boolean;
  /**
   * For each candidate point (fractions of the image, in order), whether the image is visible there: inside the
   * viewer and the page's viewport, and no control (navigator, buttons, overlays) on top of it.
   */
  visible: boolean[];
}

/**
 * The state of the OpenSeadragon viewer that `viewerExpression` (a page expression, e.g.
 * `Mirador.OSDReferences.get('w1').current`) yields: undefined until it has an image that is fully loaded and a
 * viewport at rest (springs at their targets), else where the image is drawn. `points` are image fractions to test
 * for visibility ({@link DrawnImage.visible}).
 */
export async function drawnImage(
  page: Page,
  viewerExpression: string,
  points: Array<[number, number]>,
): Promise<DrawnImage | undefined> {
  return page.evaluate(
    ({ expr, pts }) => {
      // Runs in the page (the package is compiled without the DOM library: the page's globals are untyped).
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const { document, window } = globalThis as any;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const viewer = new Function(`try { return (${expr}); } catch (e) { return undefined; }`)();
      if (!viewer?.world || viewer.world.getItemCount() < 1) return undefined;
      const item = viewer.world.getItemAt(0);
      if (!item.getFullyLoaded() || viewer.world.needsDraw?.()) return undefined;
      const vp = viewer.viewport;
      const springs = [vp.zoomSpring, vp.centerSpringX, vp.centerSpringY].filter(Boolean);
      if (springs.some((s: { isAtTargetValue(): boolean }) => !s.isAtTargetValue())) return undefined;
      const source = item.source;
      const width: number = source.width;
      const height: number = source.height;
      const rect = viewer.container.getBoundingClientRect();
      const toPage = (ix: number, iy: number): { x: number; y: number } => {
        const p = vp.pixelFromPoint(item.imageToViewportCoordinates(ix, iy, true), true);
        return { x: rect.left + p.x, y: rect.top + p.y };
      };
      const a = toPage(0, 0);
      const b = toPage(width, height);
      const visible = pts.map(([fx, fy]) => {
        const p = toPage(fx * width, fy * height);
        if (p.x < rect.left + 2 || p.y < rect.top + 2 || p.x > rect.right - 2 || p.y > rect.bottom - 2)
          return false;
        if (p.x > window.innerWidth - 2 || p.y > window.innerHeight - 2) return false;
        // Each corner of a 9×9 patch around the point must show OpenSeadragon's drawing surface itself.
        return [-5, 5].every((dx) =>
          [-5, 5].every((dy) => {
            const el = document.elementFromPoint(p.x + dx, p.y + dy);
            return (
              !!el &&
              (el === viewer.canvas || viewer.canvas.contains(el)) &&
              !viewer.navigator?.element?.contains(el)
            );
          }),
        );
      });
      const whole =
        a.x >= rect.left - 1 && a.y >= rect.top - 1 && b.x <= rect.right + 1 && b.y <= rect.bottom + 1;
      return {
        serviceId: String(source['@id'] ?? source.id ?? ''),
        whole,
        width,
        height,
        box: { x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y },
        visible,
      };
    },
    { expr: viewerExpression, pts: points },
  );
}

/** An RGB colour (0–255 per channel). */
export type Rgb = [number, number, number];

/** The mean colour of the (2r+1)² patch centred on (x, y) of a raw RGB image (clamped to its edges). */
export function patchMean(raw: Buffer, width: number, height: number, x: number, y: number, r: number): Rgb {
  const sum = [0, 0, 0];
  let n = 0;
  for (let yy = Math.max(0, Math.round(y) - r); yy <= Math.min(height - 1, Math.round(y) + r); yy++) {
    for (let xx = Math.max(0, Math.round(x) - r); xx <= Math.min(width - 1, Math.round(x) + r); xx++) {
      const i = (yy * width + xx) * 3;
      sum[0] += raw[i];
      sum[1] += raw[i + 1];
      sum[2] += raw[i + 2];
      n++;
    }
  }
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/** Largest per-channel difference of two colours. */
export function colourDistance(a: Rgb, b: Rgb): number {
  return Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
}

/** Decodes an image file or buffer to raw 8-bit sRGB (EXIF orientation applied, alpha dropped), optionally resized. */
export async function rawRgb(
  input: string | Buffer,
  size?: { width: number; height: number },
): Promise<{ data: Buffer; width: number; height: number }> {
  let img = sharp(input).rotate().toColourspace('srgb').removeAlpha();
  if (size) img = img.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

/** One sampled point: where, what the browser showed, what the source has there, and their distance. */
export interface PixelSample {
  /** Fractions of the image. */
  at: [number, number];
  shown: Rgb;
  source: Rgb;
  distance: number;
}

/**
 * Compares what the page shows of a drawn image with the source file: takes a screenshot of the image's box, and
 * at each visible point (fractions of the image) compares the mean colour of a (2r+1)² patch with the same patch
 * of the source resized to the drawn size (lanczos3). Patches, not single pixels: resampling and JPEG tiles shift
 * single pixels of a photograph by tens of levels, a patch's mean by a few.
 * @param sources the source files (or decoded images) to compare with, e.g. the right one and the others.
 * @returns per source, the samples at the visible points.
 */
export async function compareDrawnImage(
  page: Page,
  drawn: DrawnImage,
  points: Array<[number, number]>,
  sources: Array<string | Buffer>,
  r = 4,
): Promise<PixelSample[][]> {
  const viewport = page.viewportSize() ?? { width: 1280, height: 800 };
  const x0 = Math.max(0, Math.floor(drawn.box.x));
  const y0 = Math.max(0, Math.floor(drawn.box.y));
  const clip = {
    x: x0,
    y: y0,
    width: Math.min(viewport.width, Math.ceil(drawn.box.x + drawn.box.w)) - x0,
    height: Math.min(viewport.height, Math.ceil(drawn.box.y + drawn.box.h)) - y0,
  };
  const shot = await rawRgb(await page.screenshot({ clip, animations: 'disabled', caret: 'hide' }));
  const drawnSize = {
    width: Math.max(1, Math.round(drawn.box.w)),
    height: Math.max(1, Math.round(drawn.box.h)),
  };
  const results: PixelSample[][] = [];
  for (const src of sources) {
    const ref = await rawRgb(src, drawnSize);
    const samples: PixelSample[] = [];
    points.forEach(([fx, fy], i) => {
      if (!drawn.visible[i]) return;
      const shown = patchMean(
        shot.data,
        shot.width,
        shot.height,
        drawn.box.x + fx * drawn.box.w - x0,
        drawn.box.y + fy * drawn.box.h - y0,
        r,
      );
      const source = patchMean(
        ref.data,
        ref.width,
        ref.height,
        fx * drawnSize.width,
        fy * drawnSize.height,
        r,
      );
      samples.push({ at: [fx, fy], shown, source, distance: colourDistance(shown, source) });
    });
    results.push(samples);
  }
  return results;
}
