// A clustered service for cluster.int-spec.ts: an HTTP server answering its pid, and a counter in a registry
// shared with the primary; GET /metrics answers the replica's metrics. Needs `pnpm build` of @vellum/common.
'use strict';
const http = require('node:http');
const { Counter, Registry } = require('prom-client');
const { runClustered } = require('../dist/cluster.js');
const { clusterMetrics, shareMetricsRegistry } = require('../dist/cluster.js');

const [workers, port] = process.argv.slice(2).map(Number);
runClustered('cluster-fixture', workers, async () => {
  const registry = new Registry();
  const hits = new Counter({ name: 'fixture_hits_total', help: 'hits', registers: [registry] });
  shareMetricsRegistry(registry);
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') return res.end((await clusterMetrics()) ?? (await registry.metrics()));
    hits.inc();
    res.setHeader('connection', 'close');
    res.end(String(process.pid));
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
});
