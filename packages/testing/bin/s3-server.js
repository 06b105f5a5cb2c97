#!/usr/bin/env node
// Local-development S3 endpoint (s3rver) for when no MinIO runs: `node packages/testing/bin/s3-server.js
// [--port 9000] [--dir .vellum/s3] [--bucket name ...]`. Needs the built package (`pnpm --filter @vellum/testing build`).
// Then: S3_ENDPOINT=http://127.0.0.1:9000 S3_ACCESS_KEY=S3RVER S3_SECRET_KEY=S3RVER.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { startS3Server } = require('../dist/s3');

const args = process.argv.slice(2);
let port = Number(process.env.S3_PORT || 9000);
let dir = path.resolve(process.cwd(), '.vellum', 's3');
const buckets = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--port') port = Number(args[++i]);
  else if (a === '--dir') dir = path.resolve(args[++i]);
  else if (a === '--bucket') buckets.push(args[++i]);
  else if (a === '--help' || a === '-h') {
    console.log('usage: s3-server.js [--port 9000] [--dir .vellum/s3] [--bucket name ...]');
    process.exit(0);
  } else {
    console.error(`unknown argument: ${a}`);
    process.exit(2);
  }
}
fs.mkdirSync(dir, { recursive: true });

startS3Server({ port, directory: dir, buckets }).then(
  (s3) => {
    console.log(`s3rver listening on ${s3.endpoint} (data in ${dir})`);
    for (const [k, v] of Object.entries(s3.env)) console.log(`${k}=${v}`);
    const stop = () => {
      s3.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
