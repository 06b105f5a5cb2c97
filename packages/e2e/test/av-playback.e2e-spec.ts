import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as MinioClient } from 'minio';
import type { Browser } from 'playwright-core';
import { createPrismaClient, type PrismaClient } from '@vellum/db';
import { fixturePath, presentation3SchemaErrors, waitFor } from '@vellum/testing';
import { launchChromium, watchRequests } from '../src/browser';
import { startRig, type Json, type Rig } from '../src/rig';

const run = promisify(execFile);

/**
 * Audio and video play in a real browser through Vellum's `iiif-av` channel (issue 9; SPEC.md §4.4, §5): headless
 * Chromium opens a page on another origin whose HTML5 `<video>` and `<audio>` elements take the MP4 and MP3 URLs
 * that the asset's manifest paints, and `currentTime` must advance (the element fetched, decoded and played the
 * bytes delivery streamed, with Range requests answered 206).
 *
 * Two ways in: assets registered by PUT (the origin serves the fixtures; the orchestrator and the av-transcoder
 * make the `default-video` / `default-audio` transcodes and the poster; the asset finishes with ffprobe's duration
 * within 100 ms; the manifest is schema-valid and the poster, through the image pipeline, gives its thumbnail and
 * placeholder canvas from the thumbs service, and an image service), and rows
 * seeded as the orchestrator would finish them, with transcodes this test makes with the real ffmpeg (delivery
 * alone, independent of the worker).
 */
describe('AV playback through iiif-av (headless Chromium)', () => {
  let rig: Rig;
  let prisma: PrismaClient;
  let browser: Browser;
  let pages: http.Server;
  let pageOrigin: string;
  let customer: number;
  let work: string;
  let failed = false;
  /** The manifest {@link paintedUrl} read last. */
  let lastManifest: Json;
  const SPACE = 1;

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls > state.numPassingAsserts) failed = true;
  });

  async function ffmpeg(fixture: string, out: string, args: string[]): Promise<Buffer> {
    const file = path.join(work, out);
    await run('ffmpeg', ['-y', '-v', 'error', '-i', fixturePath(fixture), ...args, file]);
    return fs.readFileSync(file);
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-e2e-av-'));
    const [mp4, mp3] = await Promise.all([
      ffmpeg('video.mp4', 'v.mp4', [
        ...['-vf', 'scale=-2:480', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
        ...['-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart'],
      ]),
      ffmpeg('audio.mp3', 'a.mp3', ['-t', '30', '-c:a', 'libmp3lame', '-b:a', '128k']),
    ]);
    rig = await startRig('av-playback');
    const c = await rig.api('POST', '/customers', { name: 'av-play', displayName: 'AV playback' });
    expect(c.status).toBe(201);
    customer = c.body.id;
    expect((await rig.api('POST', `/customers/${customer}/spaces`, { name: 'media' })).status).toBe(201);

    const s3 = new MinioClient({
      endPoint: '127.0.0.1',
      port: Number(new URL(rig.s3.env.S3_ENDPOINT).port),
      useSSL: false,
      accessKey: rig.s3.env.S3_ACCESS_KEY,
      secretKey: rig.s3.env.S3_SECRET_KEY,
      region: rig.s3.env.S3_REGION ?? 'us-east-1',
    });
    const bucket = 'vellum-derivatives';
    if (!(await s3.bucketExists(bucket))) await s3.makeBucket(bucket);
    const put = async (id: string, preset: string, mediaType: string, name: string, bytes: Buffer) => {
      const key = `${customer}/${SPACE}/${id}/${preset}/${name}`;
      await s3.putObject(bucket, key, bytes, bytes.length, { 'Content-Type': mediaType });
      return { preset, bucket, key, mediaType, size: bytes.length };
    };
    prisma = createPrismaClient(rig.databaseUrl);
    const finished = new Date();
    await prisma.asset.createMany({
      data: [
        {
          customerId: customer,
          spaceId: SPACE,
          id: 'clip',
          mediaType: 'video/mp4',
          family: 'T',
          width: 960,
          height: 540,
          duration: 5055,
          finished,
          deliveryChannels: [{ channel: 'iiif-av', policy: 'default-video' }],
          derivatives: {
            transcodes: [
              {
                ...(await put('clip', 'video-mp4-480p', 'video/mp4', 'default.mp4', mp4)),
                width: 854,
                height: 480,
              },
            ],
          },
        },
        {
          customerId: customer,
          spaceId: SPACE,
          id: 'track',
          mediaType: 'audio/mpeg',
          family: 'T',
          duration: 30_000,
          finished,
          deliveryChannels: [{ channel: 'iiif-av', policy: 'default-audio' }],
          derivatives: {
            transcodes: [await put('track', 'audio-mp3-128', 'audio/mpeg', 'default.mp3', mp3)],
          },
        },
      ],
    });

    // The page is on another origin than Vellum, as on a library's site.
    pages = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>av</title><body></body>');
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (pages ? pages.close(r) : r(undefined)));
    await prisma?.$disconnect();
    await rig?.stop({ printLogs: failed });
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  /** The painted body URL of an asset's manifest (its only transcode), on the delivery service. */
  async function paintedUrl(id: string): Promise<string> {
    const res = await fetch(`${rig.platform.deliveryUrl}/iiif-manifest/${customer}/${SPACE}/${id}`);
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as Json;
    expect(presentation3SchemaErrors(manifest)).toEqual([]);
    lastManifest = manifest;
    const body = manifest.items[0].items[0].items[0].body;
    // Ids are on the public base URL; the rig's is the delivery service itself.
    return new URL(new URL(body.id).pathname, rig.platform.deliveryUrl).toString();
  }

  /**
   * Plays `src` in a new `<video>`/`<audio>` of a page on another origin; resolves once `currentTime` has passed
   * 1 s and kept advancing, with no failed request, no page error and at least one 206 from iiif-av.
   * @param duration seconds the element must report (±0.2).
   */
  async function playsIn(tag: 'video' | 'audio', src: string, duration: number): Promise<void> {
    const page = await browser.newPage();
    const problems = watchRequests(page, pageOrigin);
    try {
      await page.goto(`${pageOrigin}/`);
      // Page code as text: this package compiles without the DOM library.
      await page.evaluate(`(() => {
        const el = document.createElement(${JSON.stringify(tag)});
        el.id = 'media';
        el.muted = true;
        el.preload = 'auto';
        el.src = ${JSON.stringify(src)};
        document.body.appendChild(el);
        el.play().catch((e) => { window.playError = e.message; });
      })()`);
      const state = (): Promise<{
        currentTime: number;
        duration: number;
        error: string | null;
        playError: string | null;
      }> =>
        page.evaluate(`(() => {
          const el = document.getElementById('media');
          return {
            currentTime: el.currentTime,
            duration: el.duration,
            error: el.error ? el.error.code + ' ' + el.error.message : null,
            playError: window.playError ?? null,
          };
        })()`);
      const playing = await waitFor(
        async () => {
          const s = await state();
          if (s.error || s.playError) throw new Error(`media error: ${s.error ?? s.playError}`);
          return s.currentTime > 1 ? s : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, description: `${tag} currentTime > 1 s` },
      );
      expect(playing.currentTime).toBeGreaterThan(1);
      expect(Math.abs(playing.duration - duration)).toBeLessThan(0.2);
      // It keeps advancing.
      await waitFor(async () => (await state()).currentTime > playing.currentTime + 0.5, {
        timeoutMs: 10_000,
        description: `${tag} currentTime advancing past ${playing.currentTime}`,
      });
      expect(problems.failures).toEqual([]);
      expect(problems.pageErrors).toEqual([]);
      // The media element fetched with Range, and delivery answered 206.
      expect(problems.responses.some((r) => r.startsWith('206 ') && r.includes('/iiif-av/'))).toBe(true);
    } finally {
      await page.close();
    }
  }

  it.each<[string, 'video' | 'audio', string, string, number]>([
    ['the MP4 in a <video>', 'video', 'clip', 'full/full/max/max/0/default.mp4', 5.06],
    ['the MP3 in an <audio>', 'audio', 'track', 'full/max/default.mp3', 30],
  ])('plays %s: currentTime advances', async (_name, tag, id, ending, duration) => {
    const src = await paintedUrl(id);
    expect(src.endsWith(ending)).toBe(true);
    await playsIn(tag, src, duration);
  });

  it.each<[string, 'video' | 'audio', string, string, number]>([
    ['video', 'video', 'video.mp4', 'video/mp4', 5055],
    ['audio', 'audio', 'audio.mp3', 'audio/mpeg', 138_930],
  ])(
    '%s: an asset registered by PUT is transcoded by the av-transcoder, and its manifest plays',
    async (_name, tag, file, mediaType, durationMs) => {
      const id = `put-${tag}`;
      const path = `/customers/${customer}/spaces/${SPACE}/images/${id}`;
      const put = await rig.api('PUT', path, { origin: `${rig.originUrl}/${file}`, mediaType });
      expect(put.status).toBe(201);
      const done = await waitFor(
        async () => {
          const a = await rig.api('GET', path);
          if (a.body.error) throw new Error(`ingest failed: ${a.body.error}`);
          return a.body.ingesting === false ? a.body : undefined;
        },
        { timeoutMs: 240_000, intervalMs: 500, description: `${id} ingested` },
      );
      // ffprobe's duration of the source, within 100 ms.
      expect(Math.abs(done.duration - durationMs)).toBeLessThan(100);
      const src = await paintedUrl(id);
      expect(src).toMatch(
        tag === 'video' ? /\/full\/full\/max\/max\/0\/default\.mp4$/ : /\/full\/max\/default\.mp3$/,
      );
      if (tag === 'video') {
        // The poster the transcoder took went through the image pipeline: the canvas thumbnail and placeholder
        // are its thumbnails (thumbs service), each served as a JPEG, and it has an image service.
        const canvas = lastManifest.items[0];
        expect(canvas).toMatchObject({ width: 960, height: 540 });
        const thumbs = `/thumbs/${customer}/${SPACE}/${id}`;
        const local = (u: string) => new URL(new URL(u).pathname, rig.platform.deliveryUrl).toString();
        expect(new URL(canvas.thumbnail[0].id).pathname).toBe(`${thumbs}/full/200,113/0/default.jpg`);
        expect(new URL(canvas.placeholderCanvas.items[0].items[0].body.id).pathname).toBe(
          `${thumbs}/full/960,540/0/default.jpg`,
        );
        for (const url of [canvas.thumbnail[0].id, canvas.placeholderCanvas.items[0].items[0].body.id]) {
          const jpeg = await fetch(local(url));
          expect({ url, status: jpeg.status, type: jpeg.headers.get('content-type') }).toEqual({
            url,
            status: 200,
            type: 'image/jpeg',
          });
          await jpeg.arrayBuffer();
        }
        const info = await fetch(`${rig.platform.deliveryUrl}/iiif-img/${customer}/${SPACE}/${id}/info.json`);
        expect(info.status).toBe(200);
        expect(await info.json()).toMatchObject({ width: 960, height: 540 });
        const poster = await fetch(
          `${rig.platform.deliveryUrl}/iiif-av/${customer}/${SPACE}/${id}/poster.jpg`,
        );
        expect({ status: poster.status, type: poster.headers.get('content-type') }).toEqual({
          status: 200,
          type: 'image/jpeg',
        });
        await poster.arrayBuffer();
      }
      await playsIn(tag, src, durationMs / 1000);
    },
    300_000,
  );
});
