// A consumer process for resilience.int-spec.ts: a VellumRmqTransport (from dist/) consuming asset.deleted.v1
// with prefetch 4, whose handler SIGKILLs its own process on the asset id "poison" (a crashing input).
// On the main queue the other messages stay in hand until the crash (they are its innocent bystanders); on the
// suspect lane they are handled and reported on stdout as `handled <assetId>`.
// argv: <amqpUrl> <exchange> <serviceName>
'use strict';
require('reflect-metadata');
const { VellumRmqTransport } = require('../dist/index.js');
const { AssetDeletedV1 } = require('@vellum/contracts');

const [amqpUrl, exchange, serviceName] = process.argv.slice(2);
const transport = new VellumRmqTransport({ serviceName, amqpUrl, exchange, retryDelaysMs: [100] });
let received = 0;
const waiters = [];
const until = (cond) =>
  new Promise((resolve) => {
    if (cond()) resolve();
    else waiters.push({ cond, resolve });
  });

transport.addHandler(
  AssetDeletedV1.routingKey,
  async (payload, ctx) => {
    received += 1;
    for (const w of waiters.splice(0)) {
      if (w.cond()) w.resolve();
      else waiters.push(w);
    }
    const alone = ctx.queue.endsWith('.suspect');
    if (payload.assetId === 'poison') {
      // Crash once the whole first round is in hand, so the others are unacked when the process dies.
      if (!alone) await until(() => received >= 4);
      process.stdout.write(`crashing on poison (redeliveries ${ctx.redeliveries})\n`);
      process.kill(process.pid, 'SIGKILL');
    }
    if (!alone) await new Promise(() => undefined);
    process.stdout.write(`handled ${payload.assetId}\n`);
  },
  true,
  { prefetch: 4 },
);

process.on('SIGTERM', () => {
  transport.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

transport.listen((err) => {
  if (err) {
    process.stderr.write(`listen failed: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write('listening\n');
});
