#!/usr/bin/env node
// The bare image pipeline (SPEC.md §10 "Ingest": "what the image pipeline alone (sharp, same machine, no bus, no
// database) achieves"): runs the image-processor's own `ImagePipelineService` from `apps/image-processor/dist` on
// local files, `--concurrency` jobs side by side (as the processor's consumer prefetch, IMAGE_PROCESSOR_CONCURRENCY),
// with what the ingest planner asks for by default: a pyramidal TIFF of 512-px tiles (iiif-img/default) and the
// thumbs/default sizes. No broker, database, object store or HTTP: a job is sniff → probe → pyramid → thumbnails,
// its work directory removed afterwards. Spawned by batches.mjs; usable alone:
//
//   node scripts/bench/image-pipeline.mjs [--concurrency 2] [--images N] [--json] file.jpg [file2.jpg ...]
//
// Job i runs on file i mod (number of files), after one uncounted warm-up job per slot. Prints a summary (images/s, per-image ms) or, with --json, one JSON
// line `{ images, concurrency, wallMs, imagesPerSecond, cpuMsPerImage, msMean, msP50, msP99, errors }` on stdout (milliseconds). Exit 1 on any failure.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib.mjs';

const argv = process.argv.slice(2);
const flags = new Map();
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--json') flags.set('json', true);
  else if (argv[i].startsWith('--')) flags.set(argv[i].slice(2), argv[++i]);
  else files.push(argv[i]);
}
const concurrency = Number(flags.get('concurrency') ?? process.env.IMAGE_PROCESSOR_CONCURRENCY ?? 2);
const images = Number(flags.get('images') ?? files.length);
const json = flags.has('json');
if (!files.length) fail('no input files given');
if (!Number.isInteger(concurrency) || concurrency < 1) fail(`--concurrency must be a positive integer`);
if (!Number.isInteger(images) || images < 1) fail(`--images must be a positive integer`);
for (const f of files) if (!fs.existsSync(f)) fail(`input file not found: ${f}`);

const distDir = path.join(ROOT, 'apps', 'image-processor', 'dist');
if (!fs.existsSync(path.join(distDir, 'image-pipeline.service.js')))
  fail(`${path.relative(ROOT, distDir)} is not built: run "pnpm exec turbo run build" first`);
const require = createRequire(path.join(ROOT, 'apps', 'image-processor', 'package.json'));
require('reflect-metadata');
const { ImagePipelineService } = require(path.join(distDir, 'image-pipeline.service.js'));
const { MediaRepository } = require(path.join(distDir, 'media.repository.js'));
const { defaultImageProcessorConfig } = require(path.join(distDir, 'image-processor.config.js'));

// The processor's defaults (VELLUM_PYRAMID_QUALITY etc. as the env class gives them) and the planner's defaults:
// VELLUM_TILE_SIZE 512, thumbs/default sizes (SPEC.md §1 "Delivery channel").
const config = defaultImageProcessorConfig({
  pyramidQuality: Number(process.env.VELLUM_PYRAMID_QUALITY ?? 85),
});
const pipeline = new ImagePipelineService(new MediaRepository(config), config);
const tileSize = Number(process.env.VELLUM_TILE_SIZE ?? 512);
const THUMB_SIZES = ['!1024,1024', '!400,400', '!200,200', '!100,100'];
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-bare-pipeline-'));

function fail(msg) {
  console.error(`image-pipeline: ${msg}`);
  process.exit(1);
}

const ms = [];
const errors = [];

/** One job: the pipeline on `file` in a fresh work directory; resolves its wall milliseconds. */
async function job(i, file) {
  const workDir = fs.mkdtempSync(path.join(tmpRoot, `job-${i}-`));
  const t = performance.now();
  try {
    await pipeline.run({
      sourceFile: file,
      mediaType: 'image/jpeg',
      workDir,
      pyramid: { tileSize },
      thumbnails: { sizes: THUMB_SIZES },
    });
    return performance.now() - t;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

// Warm-up, not counted: one job per slot (first loads of libvips and its codecs), as a processor that has run
// before is warm.
try {
  await Promise.all(Array.from({ length: concurrency }, (_, i) => job(`warm-${i}`, files[i % files.length])));
} catch (err) {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
  fail(`warm-up failed on ${files[0]}: ${err.message}`);
}

let next = 0;
const started = performance.now();
const cpu0 = process.cpuUsage();
async function worker() {
  for (;;) {
    const i = next++;
    if (i >= images) return;
    try {
      ms.push(await job(i, files[i % files.length]));
    } catch (err) {
      errors.push(`${files[i % files.length]}: ${err.message}`);
    }
  }
}
try {
  await Promise.all(Array.from({ length: concurrency }, worker));
} finally {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
}
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
const sorted = ms.slice().sort((a, b) => a - b);
const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);
const summary = {
  images,
  concurrency,
  wallMs: Math.round(wallMs),
  imagesPerSecond: ms.length / (wallMs / 1000),
  // This process's user + system CPU per image (libvips' threads included), from the first job to the last.
  cpuMsPerImage: Math.round((cpu.user + cpu.system) / 1000 / (ms.length || 1)),
  msMean: Math.round(ms.reduce((a, b) => a + b, 0) / (ms.length || 1)),
  msP50: Math.round(pct(0.5)),
  msP99: Math.round(pct(0.99)),
  errors,
};
if (json) console.log(JSON.stringify(summary));
else {
  console.log(
    `${ms.length} of ${images} images at concurrency ${concurrency} in ${(wallMs / 1000).toFixed(1)} s: ` +
      `${summary.imagesPerSecond.toFixed(2)} images/s; per image mean ${summary.msMean} ms (CPU ${summary.cpuMsPerImage} ms), p50 ${summary.msP50} ms, p99 ${summary.msP99} ms`,
  );
  for (const e of errors) console.error(`  ✗ ${e}`);
}
process.exitCode = errors.length ? 1 : 0;
