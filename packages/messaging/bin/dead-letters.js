#!/usr/bin/env node
// Lists, replays or discards a service's dead letters (README "Dead letters"). Needs `pnpm build` of @vellum/messaging.
//   node packages/messaging/bin/dead-letters.js list <service>
//   node packages/messaging/bin/dead-letters.js replay <service> [--type <routing key>] [--reason <reason>] [--limit <n>]
//   node packages/messaging/bin/dead-letters.js discard <service> (--type <routing key> | --reason <reason> | --limit <n> | --all)...
// AMQP_URL (default amqp://guest:guest@127.0.0.1:5672) names the broker and vhost.
'use strict';
const amqp = require('amqplib');
const { listDeadLetters, replayDeadLetters, discardDeadLetters, redactUrl } = require('../dist/index.js');

const REASONS = ['invalid', 'permanent', 'exhausted', 'timeout', 'crashed'];

function usage(code, problem) {
  if (problem) process.stderr.write(`dead-letters: ${problem}\n`);
  process.stderr.write(
    'usage: dead-letters list <service>\n' +
      `       dead-letters replay <service> [--type <routing key>] [--reason ${REASONS.join('|')}] [--limit <n>]\n` +
      `       dead-letters discard <service> [--type <routing key>] [--reason ${REASONS.join('|')}] [--limit <n>] [--all]\n` +
      '         (discard removes messages for good; with no --type/--reason/--limit it needs --all)\n',
  );
  process.exit(code);
}

/** Parses `--type`, `--reason`, `--limit` and (for discard) `--all`; exits 2 on anything else. */
function parseFilter(cmd, rest) {
  const opts = {};
  let all = false;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--all' && cmd === 'discard') {
      all = true;
      continue;
    }
    const value = rest[++i];
    if (value === undefined) usage(2, `${flag} needs a value`);
    if (flag === '--type') opts.routingKey = value;
    else if (flag === '--reason' && REASONS.includes(value)) opts.reason = value;
    else if (flag === '--limit' && /^\d+$/.test(value)) opts.limit = Number(value);
    else usage(2, `unexpected ${flag} ${value}`);
  }
  if (cmd === 'list' && Object.keys(opts).length > 0) usage(2, 'list takes no filter');
  if (cmd === 'discard' && !all && Object.keys(opts).length === 0)
    usage(2, 'discard without --type, --reason or --limit removes every dead letter: say --all');
  return opts;
}

async function main() {
  const [cmd, service, ...rest] = process.argv.slice(2);
  if (!service || !['list', 'replay', 'discard'].includes(cmd)) usage(2);
  const opts = parseFilter(cmd, rest);
  const url = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
  const conn = await amqp.connect(url);
  try {
    if (cmd === 'list') {
      const letters = await listDeadLetters(conn, service);
      for (const l of letters) console.log(`${l.routingKey}\t${l.reason}\t${l.queue}\t${l.error}`);
      console.log(`${letters.length} dead letter(s) in ${service}.dead-letter at ${redactUrl(url)}`);
    } else if (cmd === 'replay') {
      const r = await replayDeadLetters(conn, service, opts);
      console.log(`replayed ${r.replayed}, kept ${r.kept} in ${service}.dead-letter`);
    } else {
      const r = await discardDeadLetters(conn, service, opts);
      console.log(`discarded ${r.discarded}, kept ${r.kept} in ${service}.dead-letter`);
    }
  } finally {
    await conn.close();
  }
}

main().catch((err) => {
  process.stderr.write(`dead-letters: ${err.message}\n`);
  process.exit(1);
});
