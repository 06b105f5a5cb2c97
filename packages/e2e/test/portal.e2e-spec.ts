/**
 * The portal (issue 13) in a real browser, as a person uses it: headless Chromium (playwright-core with Debian's
 * chromium) against the six services. Sign in with a customer's key → create a space → drop three real fixtures
 * and a corrupt one on the upload area (a `drop` event carrying a DataTransfer of Files; one multipart
 * `POST C/queue` carries the batch and the files) → the batch's progress bar reaches the end (3 completed, 1
 * error; each file ingested once: the only batch, ingestAttempt 1) → open an asset: its thumbnail is drawn with the source's pixels → edit
 * string1 (the API has it) → "Retry failed" makes a new batch of the corrupt member, which fails again with its
 * reason shown → delete an asset (confirmed; the API answers 404) → sign out (session storage emptied). Each main
 * page is saved as a screenshot under packages/e2e/.screenshots/ (not committed).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createPrismaClient } from '@vellum/db';
import { fixturePath, waitFor } from '@vellum/testing';
import { colourDistance, launchChromium, patchMean, rawRgb } from '../src/browser';
import { startRig, type Json, type Rig } from '../src/rig';

/** Ports of this suite (the helper's range 41600–41699). */
const PORTS = {
  'api-gateway': 41610,
  'iiif-delivery': 41611,
  'auth-service': 41612,
  'ingest-orchestrator': 41613,
  'image-processor': 41614,
  'av-transcoder': 41615,
};
const GOOD = ['grayscale.png', 'image.webp', 'cmyk.jpg'];
const CORRUPT = 'corrupt-truncated.jpg';
const SHOTS = path.join(__dirname, '..', '.screenshots');
/** Largest per-channel distance of a thumbnail patch's mean from the source's (0–255), and of their average. */
const MAX_POINT_DISTANCE = 40;
const MAX_MEAN_DISTANCE = 14;

describe('the portal in a browser', () => {
  let rig: Rig;
  let browser: Browser;
  let page: Page;
  let portal: string;
  let customer: number;
  let key: { key: string; secret: string };
  const pageErrors: string[] = [];

  const shot = async (name: string) => {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };
  const api = async (method: string, p: string, body?: unknown): Promise<Json> => {
    const res = await rig.api(method, p, body);
    return res;
  };

  beforeAll(async () => {
    [rig, browser] = await Promise.all([startRig('portal', { ports: PORTS }), launchChromium()]);
    portal = `${rig.platform.apiUrl}/portal/`;
    const c = await api('POST', '/customers', { name: 'curators', displayName: 'The Curators' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    const k = await api('POST', `/customers/${customer}/keys`);
    key = { key: k.body.key, secret: k.body.secret };
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') console.log(`browser console: ${m.text()}`);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.stop({ printLogs: pageErrors.length > 0 });
  });

  it('serves the app: index.html for client routes (no-cache), hashed assets cached for a year', async () => {
    const index = await fetch(`${rig.platform.apiUrl}/portal/spaces/1`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const js = /src="(\/portal\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(js).toBeDefined();
    const asset = await fetch(`${rig.platform.apiUrl}${js}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${rig.platform.apiUrl}/portal/assets/nope.js`)).status).toBe(404);
  });

  it('shows a failed sign-in as the problem title, then signs in', async () => {
    await page.goto(portal);
    await page.getByLabel('API key').fill(key.key);
    await page.getByLabel('Secret').fill('wrong-secret');
    await page.getByLabel(/Customer/).fill(String(customer));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/unauthori[sz]ed|invalid|credentials/i);
    await shot('01-sign-in');
    await page.getByLabel('Secret').fill(key.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Spaces' }).waitFor();
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length,
      ),
    ).toBe(1);
  });

  let space: number;
  it('creates a space', async () => {
    await page.getByLabel('Name', { exact: true }).fill('manuscripts');
    await page.getByLabel(/Default tags/).fill('ms, digitised');
    await page.getByRole('button', { name: 'Create space' }).click();
    await page.getByRole('heading', { name: /Space \d+: manuscripts/ }).waitFor();
    space = Number(/\/spaces\/(\d+)/.exec(page.url())![1]);
    const s = await api('GET', `/customers/${customer}/spaces/${space}`);
    expect(s.body).toMatchObject({ name: 'manuscripts', defaultTags: ['ms', 'digitised'] });
  });

  let batchId: number;
  it('uploads three fixtures and a corrupt file by drag and drop, and the batch bar reaches the end', async () => {
    const files = [...GOOD, CORRUPT].map((f) => ({
      name: f,
      type: f.endsWith('.png') ? 'image/png' : f.endsWith('.webp') ? 'image/webp' : 'image/jpeg',
      b64: fs.readFileSync(fixturePath(f)).toString('base64'),
    }));
    await page.getByTestId('dropzone').evaluate((zone, list) => {
      // Runs in the page: the DOM's globals are untyped in this package.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const g = globalThis as any;
      const dt = new g.DataTransfer();
      for (const f of list) {
        const bytes = Uint8Array.from(g.atob(f.b64), (ch: string) => ch.charCodeAt(0));
        dt.items.add(new g.File([bytes], f.name, { type: f.type }));
      }
      zone.dispatchEvent(new g.DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
      zone.dispatchEvent(new g.DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
    }, files);
    const link = page.getByRole('link', { name: /^batch \d+$/ });
    await link.waitFor({ timeout: 180_000 });
    await shot('02-upload');
    batchId = Number((await link.innerText()).replace('batch ', ''));
    await link.click();
    await page.getByRole('heading', { name: `Batch ${batchId}` }).waitFor();
    const bar = page.getByRole('progressbar', { name: `Progress of batch ${batchId}` });
    expect(await bar.getAttribute('aria-valuemax')).toBe('4');
    // The page polls: the bar reaches the end without a reload.
    await waitFor(async () => (await bar.getAttribute('aria-valuenow')) === '4', {
      timeoutMs: 180_000,
      description: 'the batch progress bar reaches 4 of 4',
    });
    await page.getByText('3 completed, 1 errors of 4 · finished').waitFor();
    await page.getByTestId('batch-errors').getByText(CORRUPT).waitFor();
    await shot('03-batch');
    const b = await api('GET', `/customers/${customer}/queue/batches/${batchId}`);
    expect(b.body).toMatchObject({ count: 4, completed: 3, errors: 1 });
    // Each dropped file was ingested ONCE, through the queue: the one request (multipart POST C/queue) made this
    // the customer's only batch, each asset's origin is its stored upload and its batch this one, and the
    // orchestrator ran exactly one attempt of each (ingestAttempt 1, one membership, processed once).
    const all = await api('GET', `/customers/${customer}/queue/batches`);
    expect(all.body.totalItems).toBe(1);
    const prisma = createPrismaClient(rig.databaseUrl);
    try {
      for (const f of [...GOOD, CORRUPT]) {
        const a = await api('GET', `/customers/${customer}/spaces/${space}/images/${f}`);
        expect(a.body.batch).toBe(b.body['@id']);
        expect(a.body.origin).toMatch(/^vellum-store:\/\//);
        const row = await prisma.asset.findUniqueOrThrow({
          where: { customerId_spaceId_id: { customerId: customer, spaceId: space, id: f } },
        });
        expect(row.ingestAttempt).toBe(1);
        const members = await prisma.batchMember.findMany({ where: { customerId: customer, assetId: f } });
        expect(members).toHaveLength(1);
        expect(members[0]).toMatchObject({ batchId, attempt: 1 });
        expect(members[0].started).not.toBeNull();
      }
    } finally {
      await prisma.$disconnect();
    }
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Batches' }).click();
    await page
      .getByTestId('recent-batches')
      .getByRole('link', { name: String(batchId) })
      .waitFor();
    await shot('04-batches');
  });

  it('shows the asset grid and table', async () => {
    await page.goto(`${portal}spaces/${space}`);
    const grid = page.getByTestId('asset-grid');
    await grid.getByRole('img', { name: 'Thumbnail of grayscale.png' }).waitFor();
    await waitFor(
      async () =>
        grid
          .getByRole('img')
          .evaluateAll((imgs) => imgs.every((i) => (i as unknown as { complete: boolean }).complete)),
      { timeoutMs: 30_000, description: 'grid thumbnails loaded' },
    );
    await shot('05-assets-grid');
    await page.getByRole('button', { name: 'Table' }).click();
    await page.getByTestId('asset-table').getByRole('link', { name: 'cmyk.jpg' }).waitFor();
    await shot('06-assets-table');
  });

  it('opens an asset: its thumbnail is drawn with the source pixels; string1 is edited', async () => {
    await page.getByTestId('asset-table').getByRole('link', { name: 'grayscale.png' }).click();
    await page.getByRole('heading', { name: 'Asset grayscale.png' }).waitFor();
    const img = page.getByTestId('asset-thumbnail');
    await waitFor(
      async () => img.evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0),
      {
        timeoutMs: 30_000,
        description: 'thumbnail drawn',
      },
    );
    const shown = await rawRgb(await img.screenshot());
    const source = await rawRgb(fixturePath('grayscale.png'), { width: shown.width, height: shown.height });
    const distances: number[] = [];
    for (const fy of [0.2, 0.4, 0.6, 0.8])
      for (const fx of [0.2, 0.4, 0.6, 0.8]) {
        const at = (raw: { data: Buffer; width: number; height: number }) =>
          patchMean(raw.data, raw.width, raw.height, fx * raw.width, fy * raw.height, 4);
        distances.push(colourDistance(at(shown), at(source)));
      }
    console.log(`thumbnail patch distances: ${distances.map((d) => d.toFixed(1)).join(' ')}`);
    expect(Math.max(...distances)).toBeLessThanOrEqual(MAX_POINT_DISTANCE);
    expect(distances.reduce((a, b) => a + b, 0) / distances.length).toBeLessThanOrEqual(MAX_MEAN_DISTANCE);
    await shot('07-asset');

    await page.getByLabel('string1').fill('b12345');
    await page.getByRole('button', { name: 'Save metadata' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();
    const a = await api('GET', `/customers/${customer}/spaces/${space}/images/grayscale.png`);
    expect(a.body.string1).toBe('b12345');
  });

  it('filters the assets by string1 and sorts the table', async () => {
    await page.goto(`${portal}spaces/${space}`);
    await page.getByLabel('string1', { exact: true }).fill('b12345');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const grid = page.getByTestId('asset-grid');
    await waitFor(async () => (await grid.getByRole('listitem').count()) === 1, {
      timeoutMs: 10_000,
      description: 'one asset has string1 = b12345',
    });
    expect(await grid.getByRole('listitem').innerText()).toContain('grayscale.png');
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('button', { name: 'Table' }).click();
    const table = page.getByTestId('asset-table');
    const firstRow = async () => (await table.getByRole('row').nth(1).innerText()).split('\t')[0].trim();
    await waitFor(async () => (await firstRow()) === 'cmyk.jpg', {
      timeoutMs: 10_000,
      description: 'the table in ascending id order',
    });
    await page.getByRole('button', { name: /^Id/ }).click(); // already ascending by id: now descending
    await waitFor(async () => (await firstRow()) === 'image.webp', {
      timeoutMs: 10_000,
      description: 'the table sorted by id, descending',
    });
  });

  it('retries the failed member as a new batch, which fails with its reason shown', async () => {
    await page.goto(`${portal}batches/${batchId}`);
    await page.getByRole('button', { name: 'Retry failed' }).click();
    await page.waitForURL((u) => !u.pathname.endsWith(`/batches/${batchId}`));
    const retried = Number(/\/batches\/(\d+)/.exec(page.url())![1]);
    expect(retried).toBeGreaterThan(batchId);
    await page.getByText('0 completed, 1 errors of 1 · finished').waitFor({ timeout: 120_000 });
    const errorRow = page.getByTestId('batch-errors').getByRole('row', { name: new RegExp(CORRUPT) });
    expect((await errorRow.innerText()).length).toBeGreaterThan(CORRUPT.length + 5);
    await shot('08-batch-retried');
  });

  it('deletes an asset after confirmation', async () => {
    await page.goto(`${portal}spaces/${space}/images/image.webp`);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete asset' }).click();
    await page.getByRole('heading', { name: /Space \d+/ }).waitFor();
    expect((await api('GET', `/customers/${customer}/spaces/${space}/images/image.webp`)).status).toBe(404);
  });

  it('lists and creates named queries', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Named queries' }).click();
    await page.getByLabel('Name', { exact: true }).fill('bybook');
    await page.getByLabel('Template').fill('manifest=s1&canvas=n1&s1=p1');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'bybook' }).waitFor();
    await page.getByRole('button', { name: 'Try' }).first().click();
    await page.getByLabel(/Arguments/).fill('b12345');
    await page.locator('form').last().getByRole('button', { name: 'Try' }).click();
    await page.getByText(/\(1 canvases\)/).waitFor({ timeout: 30_000 });
    await shot('09-named-queries');
  });

  it('fits a tablet width without sideways scrolling, and is reachable by keyboard', async () => {
    await page.setViewportSize({ width: 820, height: 1180 });
    for (const [route, name] of [
      [`spaces/${space}`, '10-tablet-assets'],
      [`batches/${batchId}`, '11-tablet-batch'],
    ]) {
      await page.goto(`${portal}${route}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      const overflow = await page.evaluate(() => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const g = globalThis as any;
        return g.document.documentElement.scrollWidth - g.innerWidth;
      });
      expect(overflow).toBeLessThanOrEqual(0);
      await shot(name);
    }
    // The first Tab reaches the skip link, then the main navigation.
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(
        () =>
          (globalThis as { document?: { activeElement?: { textContent?: string } } }).document?.activeElement
            ?.textContent,
      ),
    ).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(
        () =>
          (globalThis as { document?: { activeElement?: { textContent?: string } } }).document?.activeElement
            ?.textContent,
      ),
    ).toBe('Spaces');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: /Sign in/ }).waitFor();
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length,
      ),
    ).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
