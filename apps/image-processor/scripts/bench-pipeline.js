#!/usr/bin/env node
// Image pipeline benchmark (SPEC.md §10 "Ingest" and "Memory"): not a test. Needs the built app (`pnpm --filter
// @vellum/image-processor build`). Runs the real pipeline (sniff, decode, pyramidal TIFF with 512-px JPEG tiles, four
// thumbnails !1024/!400/!200/!100) on one file, N times, `concurrency` jobs at once, and prints wall ms per image,
// CPU ms per image (process.cpuUsage: user + system, every thread of the process) and the peak RSS.
//
//   node scripts/bench-pipeline.js [--input ../../fixtures/photo-large.jpg] [--runs 10] [--concurrency 1] [--mp 24]
//
// `--mp 24` first makes a synthetic 24-megapixel JPEG (6000×4000, q90, upscaled from the input) to bench the
// spec's target size.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const { ImagePipelineService } = require('../dist/image-pipeline.service');
const { MediaRepository } = require('../dist/media.repository');
const { defaultImageProcessorConfig } = require('../dist/image-processor.config');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** CPU ms of waited-for child processes (cutime + cstime of /proc/self/stat; Linux, 100 Hz ticks). */
function childCpuMs() {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

async function main() {
  let input = path.resolve(arg('input', path.join(__dirname, '../../../fixtures/photo-large.jpg')));
  const runs = Number(arg('runs', '10'));
  const concurrency = Number(arg('concurrency', '1'));
  const mp = arg('mp', undefined);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-bench-'));
  const media = new MediaRepository(); // sharp.concurrency(1), cache(false)
  const pipeline = new ImagePipelineService(media, defaultImageProcessorConfig());
  try {
    if (mp) {
      const w = 6000;
      const h = Math.round((Number(mp) * 1e6) / w);
      const synth = path.join(work, `synthetic-${mp}mp.jpg`);
      await sharp(input).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(synth);
      input = synth;
    }
    const meta = await sharp(input)
      .metadata()
      .catch(() => undefined); // undefined for JPEG 2000 (not sharp-readable)
    const dims = meta
      ? `${meta.width}x${meta.height} = ${((meta.width * meta.height) / 1e6).toFixed(1)} MP`
      : 'not sharp-readable';
    console.log(`input ${path.basename(input)}: ${dims}, ${fs.statSync(input).size} bytes`);
    console.log(
      `runs ${runs}, concurrency ${concurrency}, sharp.concurrency ${sharp.concurrency()}, libvips ${sharp.versions.vips}`,
    );

    let next = 0;
    const walls = [];
    const job = async (i) => {
      const dir = fs.mkdtempSync(path.join(work, `job-${i}-`));
      const src = path.join(dir, 'source');
      fs.copyFileSync(input, src);
      const t0 = performance.now();
      const r = await pipeline.run({
        sourceFile: src,
        mediaType: 'image/jpeg',
        workDir: dir,
        pyramid: { tileSize: 512 },
        thumbnails: { sizes: ['!1024,1024', '!400,400', '!200,200', '!100,100'] },
      });
      walls.push(performance.now() - t0);
      if (i === 0) {
        console.log(
          `pyramid ${r.pyramid.levels.map((l) => `${l.width}x${l.height}`).join(' ')} (${r.pyramid.size} bytes), ` +
            `thumbnails ${r.thumbnails.map((t) => `${t.width}x${t.height}`).join(' ')}`,
        );
      }
      fs.rmSync(dir, { recursive: true, force: true });
    };
    await job(-1).catch((e) => {
      throw e;
    }); // warm-up (not counted)
    walls.length = 0;
    const cpu0 = process.cpuUsage();
    const child0 = childCpuMs();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < runs) await job(next++);
      }),
    );
    const total = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    walls.sort((a, b) => a - b);
    const mean = walls.reduce((a, b) => a + b, 0) / walls.length;
    console.log(
      `wall per image: mean ${mean.toFixed(0)} ms, median ${walls[Math.floor(walls.length / 2)].toFixed(0)} ms, max ${walls[walls.length - 1].toFixed(0)} ms`,
    );
    console.log(
      `throughput: ${((runs / total) * 1000).toFixed(2)} images/s (${total.toFixed(0)} ms for ${runs})`,
    );
    console.log(
      `CPU per image: ${((cpu.user + cpu.system) / 1000 / runs).toFixed(0)} ms (user ${(cpu.user / 1000 / runs).toFixed(0)}, system ${(cpu.system / 1000 / runs).toFixed(0)})`,
    );
    const childMs = childCpuMs() - child0;
    if (childMs > 0)
      console.log(`CPU per image in child processes (opj_decompress): ${(childMs / runs).toFixed(0)} ms`);
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
