#!/usr/bin/env node
// Transcode speed of the av-transcoder (issue 9 "Done when": "transcode speed (× real time) for the 720p preset on the
// video fixture"): runs the transcoder's own `AvTranscodeService` from `apps/av-transcoder/dist` (the real ffmpeg seam,
// the real presets) against the filesystem object store in a temp directory. No broker or database. A run is download →
// ffprobe → ffmpeg (preset) → ffprobe of the output → upload (+ the poster frame for video), its work directory removed.
//
//   node scripts/bench/av.mjs [--preset video-mp4-720p] [--runs 3] [--json] [file]   (default file: fixtures/video.mp4)
//
// After one uncounted warm-up run, prints per-run wall time and speed = source duration / wall time (× real time),
// median and best; with --json one line `{ preset, file, durationMs, runs, wallMsMedian, speedMedian, speedBest,
// ffmpegSpeedLast, cpus }`. Run it with `nice -n 19` on a shared machine (the figures then are a lower bound).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    preset: { type: 'string', default: 'video-mp4-720p' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const file = path.resolve(positionals[0] ?? path.join(ROOT, 'fixtures', 'video.mp4'));
const runs = Number(values.runs);
if (!fs.existsSync(file)) fail(`input file not found: ${file}`);
if (!Number.isInteger(runs) || runs < 1) fail('--runs must be a positive integer');
const distDir = path.join(ROOT, 'apps', 'av-transcoder', 'dist');
if (!fs.existsSync(path.join(distDir, 'media', 'index.js')))
  fail(`${path.relative(ROOT, distDir)} is not built: run "pnpm exec turbo run build" first`);
const require = createRequire(path.join(ROOT, 'apps', 'av-transcoder', 'package.json'));
const { AvTranscodeService } = require(path.join(distDir, 'media', 'index.js'));
const { FsObjectStore } = require('@vellum/storage');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vellum-av-bench-'));
try {
  const store = new FsObjectStore(path.join(tmp, 'store'));
  await store.ensureBucket('bench-origins');
  await store.putFile('bench-origins', 'origin', file);
  const service = new AvTranscodeService(store, {
    ffmpeg: 'ffmpeg',
    ffprobe: 'ffprobe',
    stallTimeoutMs: 120_000,
    tmpRoot: tmp,
  });
  let lastSpeed;
  const job = {
    mediaType: 'video/mp4',
    source: { bucket: 'bench-origins', key: 'origin' },
    presets: [values.preset],
    bucket: 'bench-derivatives',
    keyPrefix: 'bench',
  };
  const once = async () => {
    const t0 = performance.now();
    const r = await service.transcode(job, (p) => {
      if (p.speed !== undefined) lastSpeed = p.speed;
    });
    return { wallMs: performance.now() - t0, durationMs: r.duration, out: r.outputs[0] };
  };
  await once(); // warm-up
  const results = [];
  for (let i = 0; i < runs; i++) {
    const r = await once();
    results.push(r);
    if (!values.json)
      console.log(
        `run ${i + 1}: ${r.wallMs.toFixed(0)} ms for ${r.durationMs} ms of media = ${(r.durationMs / r.wallMs).toFixed(2)}× real time` +
          ` (${r.out.width}×${r.out.height}, ${r.out.codec}, ${r.out.location.size} bytes)`,
      );
  }
  const walls = results.map((r) => r.wallMs).sort((a, b) => a - b);
  const median = walls[Math.floor(walls.length / 2)];
  const durationMs = results[0].durationMs;
  const summary = {
    preset: values.preset,
    file: path.relative(ROOT, file),
    durationMs,
    runs,
    wallMsMedian: Math.round(median),
    speedMedian: Number((durationMs / median).toFixed(2)),
    speedBest: Number((durationMs / walls[0]).toFixed(2)),
    ffmpegSpeedLast: lastSpeed,
    cpus: os.availableParallelism(),
  };
  if (values.json) console.log(JSON.stringify(summary));
  else
    console.log(
      `${values.preset} on ${summary.file}: median ${summary.speedMedian}× real time (best ${summary.speedBest}×; ` +
        `whole job incl. probe, poster and store I/O), ffmpeg's own last speed ${lastSpeed ?? '?'}×, ${summary.cpus} cores`,
    );
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

function fail(msg) {
  console.error(`av bench: ${msg}`);
  process.exit(1);
}
