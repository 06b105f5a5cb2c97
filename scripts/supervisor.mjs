// The process supervisor `npm start` runs the six services under: a service that exits unexpectedly is started
// again with exponential backoff while the others keep running; a service that cannot start at all (it exits
// during start-up several times in a row and was never ready) is given up on and reported. Node built-ins only.
import { EventEmitter } from 'node:events';

/**
 * Restart delays: `initialMs` doubling per consecutive crash up to `maxMs`; the count starts again once a run has
 * lasted `resetAfterMs` (all milliseconds).
 */
export const DEFAULT_BACKOFF = Object.freeze({ initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 });

/**
 * Delay in milliseconds before restart number `attempt` (1-based): `initialMs · 2^(attempt−1)`, capped at
 * `maxMs`. With the defaults: 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s…
 */
export function backoffDelay(attempt, { initialMs, maxMs } = DEFAULT_BACKOFF) {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

/** `exit code 1`, `signal SIGKILL`: how a child ended, for log lines. */
export function describeExit(code, signal) {
  if (signal) return `signal ${signal}`;
  if (code === null || code === undefined) return 'no exit status';
  return `exit code ${code}`;
}

function seconds(ms) {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/**
 * Keeps child processes running.
 *
 * ```js
 * const sup = new Supervisor({ report: (level, text) => console.log(text) });
 * sup.add({ name: 'api-gateway', spawn: () => spawn(...), waitReady: (child, signal) => pollHealth(signal) });
 * sup.start();          // spawns every service
 * await sup.stop();     // Ctrl-C: SIGTERM all, SIGKILL after stopTimeoutMs, no restarts
 * ```
 *
 * A service spec: `name`; `spawn()` → a `ChildProcess` (stdout/stderr piped, so the last lines are kept in memory
 * for reports); `waitReady(child, signal)` → a promise that resolves when the child is ready (default: ready at
 * once), `signal` aborts when the child exits; `logFile` (shown in reports).
 *
 * Events (each with `{ name, ... }`): `spawn` `{ pid, restarts }`, `ready` `{ pid, restarts }`, `crash`
 * `{ code, signal, uptimeMs, attempt, delayMs, duringStartup }`, `gave-up` `{ code, signal, failures }`,
 * `stopped` (after {@link Supervisor#stop}).
 */
export class Supervisor extends EventEmitter {
  /**
   * @param {object} [opts]
   * @param {{initialMs:number,maxMs:number,resetAfterMs:number}} [opts.backoff] restart delays ({@link DEFAULT_BACKOFF})
   * @param {number} [opts.maxStartFailures] consecutive exits during start-up, with no ready run yet, before the
   *   service is given up on; default 5
   * @param {number} [opts.stopTimeoutMs] how long {@link Supervisor#stop} waits after SIGTERM before SIGKILL; default 30000
   * @param {number} [opts.tailLines] lines of output kept per service for reports; default 25
   * @param {(level: 'info'|'warn'|'error', text: string) => void} [opts.report] where log lines go; default console
   * @param {() => number} [opts.now] clock in milliseconds (tests)
   */
  constructor(opts = {}) {
    super();
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.maxStartFailures = opts.maxStartFailures ?? 5;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 30_000;
    this.tailLines = opts.tailLines ?? 25;
    this.report =
      opts.report ?? ((level, text) => (level === 'info' ? console.log(text) : console.error(text)));
    this.now = opts.now ?? Date.now;
    this.services = new Map();
    this.stopping = false;
  }

  /** Registers a service (see the class comment for the spec). Not started until {@link Supervisor#start}. */
  add(spec) {
    if (this.services.has(spec.name)) throw new Error(`service ${spec.name} added twice`);
    this.services.set(spec.name, {
      spec,
      child: null,
      startedAt: 0,
      ready: false,
      everReady: false,
      attempt: 0,
      startFailures: 0,
      restarts: 0,
      timer: null,
      gaveUp: false,
      tail: [],
      partial: '',
    });
    return this;
  }

  /** Spawns every registered service not yet running. */
  start() {
    for (const svc of this.services.values()) if (!svc.child && !svc.timer) this.#spawn(svc);
  }

  /** The running child of `name` (null while it waits for a restart or after giving up). */
  child(name) {
    return this.#get(name).child;
  }

  /** `{ running, ready, restarts, gaveUp, pid }` of one service. */
  status(name) {
    const svc = this.#get(name);
    return {
      running: svc.child !== null,
      ready: svc.ready,
      restarts: svc.restarts,
      gaveUp: svc.gaveUp,
      pid: svc.child?.pid,
    };
  }

  /** The last output lines of `name`'s latest run (up to `tailLines`). */
  tail(name) {
    return this.#get(name).tail.join('\n');
  }

  /**
   * Resolves when `name` is ready (its `waitReady` resolved), rejects when it is given up on or the supervisor
   * stops first.
   */
  whenReady(name) {
    const svc = this.#get(name);
    if (svc.ready) return Promise.resolve();
    if (svc.gaveUp) return Promise.reject(new Error(`${name} cannot start`));
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        this.off('ready', onReady);
        this.off('gave-up', onGaveUp);
        this.off('stopped', onStopped);
      };
      const onReady = (e) => e.name === name && (cleanup(), resolve());
      const onGaveUp = (e) => e.name === name && (cleanup(), reject(new Error(`${name} cannot start`)));
      const onStopped = () => (cleanup(), reject(new Error('stopped')));
      this.on('ready', onReady);
      this.on('gave-up', onGaveUp);
      this.on('stopped', onStopped);
    });
  }

  /**
   * Stops everything: no more restarts, SIGTERM to every running child, SIGKILL to those still running after
   * `stopTimeoutMs`. Resolves when every child has exited. Safe to call twice.
   */
  async stop() {
    if (this.stopPromise) return this.stopPromise;
    this.stopping = true;
    this.stopPromise = (async () => {
      const exits = [];
      for (const svc of this.services.values()) {
        if (svc.timer) clearTimeout(svc.timer);
        svc.timer = null;
        const child = svc.child;
        if (!child) continue;
        exits.push(
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), this.stopTimeoutMs);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
        );
      }
      await Promise.all(exits);
      this.emit('stopped', {});
    })();
    return this.stopPromise;
  }

  #get(name) {
    const svc = this.services.get(name);
    if (!svc) throw new Error(`unknown service ${name}`);
    return svc;
  }

  #keep(svc, chunk) {
    const text = svc.partial + chunk.toString();
    const lines = text.split('\n');
    svc.partial = lines.pop() ?? '';
    if (svc.partial.length > 8192) svc.partial = svc.partial.slice(-8192);
    for (const line of lines) svc.tail.push(line.replace(/\r$/, ''));
    if (svc.tail.length > this.tailLines) svc.tail.splice(0, svc.tail.length - this.tailLines);
  }

  #spawn(svc) {
    svc.timer = null;
    if (this.stopping) return;
    const { name } = svc.spec;
    let child;
    try {
      child = svc.spec.spawn();
    } catch (err) {
      // Treated like an exit during start-up, so it is retried and eventually reported.
      this.#tailLine(svc, `failed to spawn: ${err.message}`);
      this.#exited(svc, null, null, null);
      return;
    }
    svc.child = child;
    svc.tail = [];
    svc.partial = '';
    svc.startedAt = this.now();
    svc.ready = false;
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d) => this.#keep(svc, d));
    const exited = new AbortController();
    let done = false;
    const onEnd = (code, signal) => {
      if (done) return;
      done = true;
      exited.abort();
      if (svc.partial) {
        svc.tail.push(svc.partial);
        svc.partial = '';
      }
      this.#exited(svc, child, code, signal);
    };
    // 'close' fires after stdio is drained, so the kept tail holds the child's last words.
    child.once('close', onEnd);
    child.once('error', (err) => {
      this.#tailLine(svc, `process error: ${err.message}`);
      if (child.pid === undefined) onEnd(null, null);
    });
    this.emit('spawn', { name, pid: child.pid, restarts: svc.restarts });
    const waitReady = svc.spec.waitReady ?? (async () => {});
    Promise.resolve()
      .then(() => waitReady(child, exited.signal))
      .then(
        () => {
          if (done || svc.child !== child) return;
          svc.ready = true;
          svc.everReady = true;
          svc.startFailures = 0;
          if (svc.restarts > 0)
            this.report('info', `${name} is running again (pid ${child.pid}, restart ${svc.restarts})`);
          this.emit('ready', { name, pid: child.pid, restarts: svc.restarts });
        },
        () => {
          /* the child exited first, or readiness gave up: the exit handler decides */
        },
      );
  }

  #tailLine(svc, line) {
    svc.tail.push(line);
    if (svc.tail.length > this.tailLines) svc.tail.shift();
  }

  #exited(svc, child, code, signal) {
    if (child && svc.child !== child) return;
    svc.child = null;
    const { name } = svc.spec;
    if (this.stopping) return;
    const uptimeMs = child ? this.now() - svc.startedAt : 0;
    const duringStartup = !svc.ready;
    svc.ready = false;
    if (uptimeMs >= this.backoff.resetAfterMs) svc.attempt = 0;
    svc.attempt += 1;
    svc.startFailures = duringStartup ? svc.startFailures + 1 : 0;
    const how = describeExit(code, signal);
    const logHint = svc.spec.logFile ? ` (${svc.spec.logFile})` : '';

    if (duringStartup && !svc.everReady && svc.startFailures >= this.maxStartFailures) {
      svc.gaveUp = true;
      this.report(
        'error',
        `✗ ${name} cannot start: it exited during start-up ${svc.startFailures} times in a row (last: ${how}); ` +
          `not restarting it. Last log lines${logHint}:\n${this.tail(name) || '(no output)'}`,
      );
      this.emit('gave-up', { name, code, signal, failures: svc.startFailures });
      return;
    }

    const delayMs = backoffDelay(svc.attempt, this.backoff);
    const when = duringStartup ? 'during start-up' : `after ${seconds(uptimeMs)}`;
    let text =
      `✗ ${name} exited unexpectedly (${how}) ${when}; restart attempt ${svc.attempt} in ${seconds(delayMs)}` +
      ` (the other services keep running)`;
    if (svc.attempt === 1) text += `. Last log lines${logHint}:\n${this.tail(name) || '(no output)'}`;
    this.report(svc.attempt === 1 ? 'error' : 'warn', text);
    this.emit('crash', { name, code, signal, uptimeMs, attempt: svc.attempt, delayMs, duringStartup });
    svc.timer = setTimeout(() => {
      svc.restarts += 1;
      this.#spawn(svc);
    }, delayMs);
  }
}
