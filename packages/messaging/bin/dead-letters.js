#!/usr/bin/env node
// Lists or replays a service's dead letters (README "Dead letters"). Needs `pnpm build` of @vellum/messaging.
//   node packages/messaging/bin/dead-letters.js list <service>
//   node packages/messaging/bin/dead-letters.js replay <service> [--type <routing key>] [--reason <reason>] [--limit <n>]
// AMQP_URL (default amqp://guest:guest@127.0.0.1:5672) names the broker and vhost.
'use strict';
const amqp = require('amqplib');
const { listDeadLetters, replayDeadLetters, redactUrl } = require('../dist/index.js');

function usage(code) {
  process.stderr.write(
    'usage: dead-letters list <service>\n' +
      '       dead-letters replay <service> [--type <routing key>] [--reason invalid|permanent|exhausted|crashed] [--limit <n>]\n',
  );
  process.exit(code);
}

async function main() {
  const [cmd, service, ...rest] = process.argv.slice(2);
  if (!service || !['list', 'replay'].includes(cmd)) usage(2);
  const opts = {};
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) usage(2);
    if (flag === '--type') opts.routingKey = value;
    else if (flag === '--reason') opts.reason = value;
    else if (flag === '--limit' && /^\d+$/.test(value)) opts.limit = Number(value);
    else usage(2);
  }
  const url = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
  const conn = await amqp.connect(url);
  try {
    if (cmd === 'list') {
      const letters = await listDeadLetters(conn, service);
      for (const l of letters) console.log(`${l.routingKey}\t${l.reason}\t${l.queue}\t${l.error}`);
      console.log(`${letters.length} dead letter(s) in ${service}.dead-letter at ${redactUrl(url)}`);
    } else {
      const r = await replayDeadLetters(conn, service, opts);
      console.log(`replayed ${r.replayed}, kept ${r.kept} in ${service}.dead-letter`);
    }
  } finally {
    await conn.close();
  }
}

main().catch((err) => {
  process.stderr.write(`dead-letters: ${err.message}\n`);
  process.exit(1);
});
