#!/usr/bin/env node
// Image-processor memory benchmark (SPEC.md §10 "Memory": peak RSS under 1.5 GiB while processing 24-megapixel
// images with the configured concurrency). Not a test: it reports figures. Needs the built app
// (`pnpm exec turbo run build --filter=@vellum/image-processor`). No broker, no database, no store: the bare
// pipeline (sniff, decode, pyramidal TIFF with 512-px JPEG tiles, thumbnails !1024/!400/!200/!100), configured as
// the service configures it (MediaRepository: sharp.concurrency(1), sharp.cache(false)).
//
//   node scripts/bench/image-rss.mjs [--concurrency N] [--rounds 4] [--input fixtures/photo-large.jpg] [--mp 24]
//
// 1. Makes the input in a temp dir: by default photo-large.jpg resized to 6000×4000 (24 MP, JPEG q90); `--mp 0`
//    uses `--input` as it is (e.g. a PDF or a JP2).
// 2. Runs the pipeline in a CHILD process (so making the input does not count) on N × rounds copies, N jobs side by
//    side, N = --concurrency, else IMAGE_PROCESSOR_CONCURRENCY, else the env class default (one per core).
// 3. Samples the child's resident set (/proc/<pid>/status VmRSS) every 20 ms and reads its high-water mark
//    (VmHWM) at the end; prints peak RSS (MiB), images/s and wall time per image. Exits 1 when the peak is ≥ 1.5 GiB.
//    Decoder child processes (opj_decompress for JPEG 2000, pdftoppm for PDF) are separate processes: their RSS is
//    sampled too and printed apart (and added to the worker's, as a container's memory limit would count it).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../lib.mjs';

const APP = path.join(ROOT, 'apps', 'image-processor');
const require = createRequire(path.join(APP, 'package.json'));
const LIMIT_MIB = 1536;

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};

function dist(file) {
  const p = path.join(APP, 'dist', file);
  if (!fs.existsSync(p))
    throw new Error(
      `${p} is missing: build first (pnpm exec turbo run build --filter=@vellum/image-processor)`,
    );
  return require(p);
}

/** Pids of the descendants of `pid` (decoder child processes: opj_decompress, pdfinfo, pdftoppm). */
function descendants(pid) {
  const out = [];
  let tasks = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let kids = '';
    try {
      kids = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.split(' ').filter(Boolean).map(Number)) out.push(k, ...descendants(k));
  }
  return out;
}

/** kB fields of /proc/<pid>/status. */
function procStatus(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

async function worker() {
  require('reflect-metadata');
  const { ImagePipelineService } = dist('image-pipeline.service.js');
  const { MediaRepository } = dist('media.repository.js');
  const { defaultImageProcessorConfig } = dist('image-processor.config.js');
  const { input, work, concurrency, total, mediaType } = JSON.parse(process.env.VELLUM_BENCH_JOB);
  const config = defaultImageProcessorConfig({ concurrency });
  const pipeline = new ImagePipelineService(new MediaRepository(config), config);
  const walls = [];
  let next = 0;
  let first;
  const job = async (i) => {
    const dir = fs.mkdtempSync(path.join(work, `job-${i}-`));
    const src = path.join(dir, 'source');
    fs.copyFileSync(input, src);
    const t0 = performance.now();
    const r = await pipeline.run({
      sourceFile: src,
      mediaType,
      workDir: dir,
      pyramid: { tileSize: 512 },
      thumbnails: { sizes: ['!1024,1024', '!400,400', '!200,200', '!100,100'] },
    });
    walls.push(performance.now() - t0);
    first ??= `${r.format} ${r.width}×${r.height}, pyramid ${r.pyramid.levels.length} levels (${r.pyramid.size} B), ${r.thumbnails.length} thumbnails`;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await job(next++);
    }),
  );
  const wallMs = performance.now() - t0;
  process.send({ wallMs, walls, first, maxRssKb: process.resourceUsage().maxRSS });
}

async function main() {
  const { ImageProcessorEnv } = dist('image-processor.env.js');
  const concurrency = Number(
    opt(
      'concurrency',
      process.env.IMAGE_PROCESSOR_CONCURRENCY ?? new ImageProcessorEnv().IMAGE_PROCESSOR_CONCURRENCY,
    ),
  );
  const rounds = Number(opt('rounds', '4'));
  const mp = Number(opt('mp', '24'));
  const given = path.resolve(ROOT, opt('input', 'fixtures/photo-large.jpg'));
  const sharp = require('sharp');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-image-rss-'));
  try {
    let input = given;
    let mediaType = 'image/jpeg';
    if (mp > 0) {
      const w = 6000;
      const h = Math.round((mp * 1e6) / w);
      input = path.join(work, `input-${mp}mp.jpg`);
      await sharp(given).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(input);
    } else if (given.endsWith('.pdf')) mediaType = 'application/pdf';
    const meta = await sharp(input)
      .metadata()
      .catch(() => undefined);
    console.log(
      `input ${path.basename(input)}: ${meta ? `${meta.width}×${meta.height} = ${((meta.width * meta.height) / 1e6).toFixed(1)} MP, ` : ''}` +
        `${fs.statSync(input).size} bytes; concurrency ${concurrency}, ${concurrency * rounds} images; ` +
        `sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, ${os.cpus().length} cores`,
    );

    const child = fork(fileURLToPath(import.meta.url), ['--worker'], {
      env: {
        ...process.env,
        VELLUM_BENCH_JOB: JSON.stringify({
          input,
          work,
          concurrency,
          total: concurrency * rounds,
          mediaType,
        }),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let sampledKb = 0;
    let hwmKb = 0;
    let treeKb = 0;
    let childPeakKb = 0;
    const timer = setInterval(() => {
      const s = procStatus(child.pid);
      if (!s) return;
      sampledKb = Math.max(sampledKb, s.rss);
      hwmKb = Math.max(hwmKb, s.hwm);
      const kids = descendants(child.pid).map((pid) => procStatus(pid)?.rss ?? 0);
      childPeakKb = Math.max(childPeakKb, ...kids, 0);
      treeKb = Math.max(treeKb, s.rss + kids.reduce((a, b) => a + b, 0));
    }, 20);
    const result = await new Promise((resolve, reject) => {
      child.on('message', (m) => {
        const s = procStatus(child.pid);
        if (s) hwmKb = Math.max(hwmKb, s.hwm);
        resolve(m);
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`the benchmark worker exited with ${code}`)));
    });
    clearInterval(timer);
    child.kill();
    const peakMiB = Math.max(hwmKb, result.maxRssKb) / 1024;
    const walls = result.walls.sort((a, b) => a - b);
    const n = walls.length;
    console.log(`first result: ${result.first}`);
    console.log(
      `wall per image: median ${walls[Math.floor(n / 2)].toFixed(0)} ms, max ${walls[n - 1].toFixed(0)} ms; ` +
        `throughput ${((n / result.wallMs) * 1000).toFixed(2)} images/s (${result.wallMs.toFixed(0)} ms for ${n})`,
    );
    console.log(
      `peak RSS: ${peakMiB.toFixed(0)} MiB (high-water mark; largest 20-ms sample ${(sampledKb / 1024).toFixed(0)} MiB); ` +
        `limit ${LIMIT_MIB} MiB (SPEC.md §10): ${peakMiB < LIMIT_MIB ? 'OK' : 'EXCEEDED'}`,
    );
    if (childPeakKb > 0)
      console.log(
        `decoder child processes: largest ${(childPeakKb / 1024).toFixed(0)} MiB; worker + children at once: ` +
          `${(treeKb / 1024).toFixed(0)} MiB (20-ms samples)`,
      );
    if (peakMiB >= LIMIT_MIB) process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (argv.includes('--worker')) {
  worker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
