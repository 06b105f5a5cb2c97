import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry, type RegistryContentType } from 'prom-client';

/** IPC message a worker sends its primary for the whole replica's metrics, and the answer. */
const METRICS_REQUEST = 'vellum:cluster-metrics-req';
const METRICS_RESPONSE = 'vellum:cluster-metrics-res';

/** Milliseconds a worker waits for the primary's aggregated metrics before answering its own. */
const METRICS_TIMEOUT_MS = 5000;
/** A worker that dies within this many ms of its start counts as a crash loop (restart delay doubles). */
const CRASH_WINDOW_MS = 10_000;
/** Longest delay (ms) between a worker's death and its restart. */
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Worker processes for a setting: `n ≥ 1` → `n`; `0` → one per CPU (`os.availableParallelism()`).
 * @throws RangeError for a negative or non-integer setting.
 */
export function workerCount(setting: number): number {
  if (!Number.isInteger(setting) || setting < 0)
    throw new RangeError(`worker count must be an integer ≥ 0, got ${setting}`);
  return setting === 0 ? availableParallelism() : setting;
}

let clusterWorker = false;

/** True in a worker forked by {@link runClustered} (then `/metrics` aggregates through the primary). */
export function isClusterWorker(): boolean {
  return clusterWorker;
}

/**
 * Runs an HTTP service in `workers` processes that share its listening port (node:cluster; Linux hands each
 * new connection to the next worker), so one replica uses several cores. With `workers` = 1 it simply awaits
 * `start()` in this process (what a Kubernetes pod with one CPU should do: scale with replicas instead).
 *
 * The primary does no HTTP work. It forks the workers and restarts one that exits without being asked to,
 * after 0.5 s, doubling to 30 s while workers keep dying within 10 s of their start (a crash loop must not spin).
 * It passes SIGTERM/SIGINT on to the workers and exits when all of them have exited (with status 1 if one of
 * them failed). It also answers the workers' requests for the replica's metrics (see {@link clusterMetrics}).
 * Each worker is a full instance of the service (its own database pool, AMQP connection and per-instance
 * queues), exactly as a second replica would be, so a service that is safe to scale out is safe to cluster.
 *
 * @param start the service's start function (e.g. validate env, then bootstrapService), run in each worker.
 */
export async function runClustered(
  serviceName: string,
  workers: number,
  start: () => Promise<unknown>,
): Promise<void> {
  if (workers <= 1 || cluster.isWorker) {
    if (cluster.isWorker) {
      clusterWorker = true;
      attachWorkerMetrics();
    }
    await start();
    return;
  }
  const aggregator = new AggregatorRegistry<RegistryContentType>();
  let stopping = false;
  let failed = false;
  let restartDelay = 500;
  const startedAt = new Map<number, number>();
  const log = (msg: string): void => {
    process.stdout.write(
      `${JSON.stringify({ level: 'info', time: new Date().toISOString(), service: serviceName, pid: process.pid, context: 'Cluster', msg })}\n`,
    );
  };
  const fork = (): void => {
    const w = cluster.fork();
    startedAt.set(w.id, Date.now());
    w.on('message', (m: unknown) => answerMetrics(aggregator, w, m));
  };
  cluster.on('exit', (w: Worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(w.id) ?? 0);
    startedAt.delete(w.id);
    if (stopping) {
      if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') failed = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    restartDelay = lived < CRASH_WINDOW_MS ? Math.min(restartDelay * 2, MAX_RESTART_DELAY_MS) : 500;
    log(`worker ${w.process.pid} exited (${signal ?? code}); restarting in ${restartDelay} ms`);
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay).unref();
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      log(`${sig} received: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(sig);
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  }
  log(`starting ${workers} workers`);
  for (let i = 0; i < workers; i++) fork();
}

function answerMetrics(aggregator: AggregatorRegistry<RegistryContentType>, w: Worker, m: unknown): void {
  const msg = m as { type?: unknown; id?: unknown } | null;
  if (msg?.type !== METRICS_REQUEST) return;
  aggregator.clusterMetrics().then(
    (text: string) => w.isConnected() && w.send({ type: METRICS_RESPONSE, id: msg.id, text }),
    (err: Error) => w.isConnected() && w.send({ type: METRICS_RESPONSE, id: msg.id, error: err.message }),
  );
}

let workerRegistry: Registry | undefined;
const pending = new Map<number, (r: { text?: string; error?: string }) => void>();
let nextId = 0;

function attachWorkerMetrics(): void {
  process.on('message', (m: unknown) => {
    const msg = m as { type?: unknown; id?: number; text?: string; error?: string } | null;
    if (msg?.type !== METRICS_RESPONSE || msg.id === undefined) return;
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
}

/**
 * In a clustered worker, makes `registry` the one whose series this worker contributes to the replica's metrics
 * (prom-client's `AggregatorRegistry`: counters and histograms summed over the workers). No-op elsewhere.
 */
export function shareMetricsRegistry(registry: Registry): void {
  if (!isClusterWorker()) return;
  workerRegistry = registry;
  AggregatorRegistry.setRegistries([registry]);
  // prom-client answers the primary's requests only once an AggregatorRegistry exists in this process.
  new AggregatorRegistry();
}

/**
 * The whole replica's metrics in Prometheus text format, when this process is a clustered worker whose registry
 * was shared ({@link shareMetricsRegistry}): asked of the primary, which collects every worker's. Resolves
 * undefined outside a cluster, or when the primary does not answer within 5 s (then serve the worker's own).
 */
export function clusterMetrics(): Promise<string | undefined> {
  if (!workerRegistry || !process.send) return Promise.resolve(undefined);
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve(undefined);
    }, METRICS_TIMEOUT_MS);
    pending.set(id, (r) => {
      clearTimeout(timer);
      resolve(r.error === undefined ? r.text : undefined);
    });
    process.send!({ type: METRICS_REQUEST, id });
  });
}
