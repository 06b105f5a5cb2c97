// node:test suite of scripts/supervisor.mjs (run by `npm test` through scripts/test.mjs, or
// `node --test scripts/test/`). Real child processes; every wait is on an event with a deadline.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, describe, it } from 'node:test';
import { backoffDelay, describeExit, Supervisor } from '../supervisor.mjs';

/** Resolves with the first `event` whose payload matches `pred`; rejects after `timeoutMs`. */
function next(emitter, event, pred = () => true, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(e);
    };
    emitter.on(event, on);
  });
}

/** A child running `code` with piped output. */
function node(code) {
  return () => spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Ready once the child prints `ready` (what /health/ready is to a real service). */
function printsReady(child, signal) {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (d) => {
      seen += d.toString();
      if (seen.includes('ready')) resolve();
    });
    signal.addEventListener('abort', () => reject(new Error('exited')));
  });
}

const LONG_RUNNING = `console.log('hello from ' + process.pid); console.log('ready'); setInterval(() => {}, 1000);`;

describe('backoffDelay', () => {
  it('doubles from 1 s and caps at 30 s', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n)),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
    );
    assert.equal(backoffDelay(3, { initialMs: 10, maxMs: 25 }), 25);
  });

  it('describes exits', () => {
    assert.equal(describeExit(1, null), 'exit code 1');
    assert.equal(describeExit(null, 'SIGKILL'), 'signal SIGKILL');
  });
});

describe('Supervisor', () => {
  let sup;
  afterEach(async () => {
    await sup?.stop();
    sup = undefined;
  });

  it('restarts a killed child with backoff, reports it, and leaves the others running', async () => {
    const lines = [];
    sup = new Supervisor({
      backoff: { initialMs: 20, maxMs: 1000, resetAfterMs: 60_000 },
      report: (level, text) => lines.push({ level, text }),
    });
    sup.add({ name: 'alpha', spawn: node(LONG_RUNNING), waitReady: printsReady, logFile: '/x/alpha.log' });
    sup.add({ name: 'beta', spawn: node(LONG_RUNNING), waitReady: printsReady });
    sup.start();
    await Promise.all([sup.whenReady('alpha'), sup.whenReady('beta')]);
    const alphaPid = sup.status('alpha').pid;
    const betaPid = sup.status('beta').pid;

    const crashed = next(sup, 'crash', (e) => e.name === 'alpha');
    const back = next(sup, 'ready', (e) => e.name === 'alpha');
    sup.child('alpha').kill('SIGKILL');
    const crash = await crashed;
    assert.equal(crash.signal, 'SIGKILL');
    assert.equal(crash.attempt, 1);
    assert.equal(crash.delayMs, 20);
    assert.equal(crash.duringStartup, false);
    const again = await back;
    assert.notEqual(again.pid, alphaPid);
    assert.equal(again.restarts, 1);
    assert.deepEqual(sup.status('alpha'), {
      running: true,
      ready: true,
      restarts: 1,
      gaveUp: false,
      pid: again.pid,
    });
    assert.equal(sup.status('beta').pid, betaPid, 'beta was not touched');
    assert.equal(sup.child('beta').exitCode, null);

    const report = lines.find((l) => l.text.includes('alpha exited unexpectedly'));
    assert.ok(report, JSON.stringify(lines));
    assert.equal(report.level, 'error');
    assert.match(report.text, /signal SIGKILL/);
    assert.match(report.text, /restart attempt 1 in 0\.0 s/);
    assert.match(report.text, /Last log lines \(\/x\/alpha\.log\):\n/);
    assert.match(report.text, new RegExp(`hello from ${alphaPid}`));
    assert.ok(lines.some((l) => l.text.includes(`alpha is running again (pid ${again.pid}, restart 1)`)));

    // A second crash soon after: the delay doubles, and the log tail is not repeated.
    const second = next(sup, 'crash', (e) => e.name === 'alpha');
    sup.child('alpha').kill('SIGTERM');
    const c2 = await second;
    assert.equal(c2.attempt, 2);
    assert.equal(c2.delayMs, 40);
    assert.equal(c2.signal, 'SIGTERM');
    const l2 = lines.filter((l) => l.text.includes('alpha exited unexpectedly'))[1];
    assert.equal(l2.level, 'warn');
    assert.doesNotMatch(l2.text, /Last log lines/);
    await next(sup, 'ready', (e) => e.name === 'alpha');
  });

  it('starts counting again after a run that lasted resetAfterMs', async () => {
    let clock = 0;
    sup = new Supervisor({
      backoff: { initialMs: 10, maxMs: 1000, resetAfterMs: 5000 },
      report: () => {},
      now: () => clock,
    });
    sup.add({ name: 'svc', spawn: node(LONG_RUNNING), waitReady: printsReady });
    sup.start();
    await sup.whenReady('svc');
    const attempts = [];
    for (const advance of [0, 0, 5000]) {
      const crashed = next(sup, 'crash');
      const ready = next(sup, 'ready');
      clock += advance;
      sup.child('svc').kill('SIGKILL');
      attempts.push((await crashed).attempt);
      await ready;
    }
    assert.deepEqual(attempts, [1, 2, 1]);
  });

  it('gives up on a service that exits during start-up every time, saying why', async () => {
    const lines = [];
    sup = new Supervisor({
      backoff: { initialMs: 5, maxMs: 20, resetAfterMs: 60_000 },
      maxStartFailures: 3,
      report: (level, text) => lines.push({ level, text }),
    });
    sup.add({
      name: 'broken',
      spawn: node(
        `process.stderr.write('broken: Invalid environment: PORT must be an integer between 1 and 65535 (got "x")\\n'); process.exit(1);`,
      ),
      waitReady: printsReady,
    });
    sup.add({ name: 'fine', spawn: node(LONG_RUNNING), waitReady: printsReady });
    const gaveUp = next(sup, 'gave-up');
    sup.start();
    await assert.rejects(sup.whenReady('broken'), /broken cannot start/);
    const e = await gaveUp;
    assert.deepEqual(e, { name: 'broken', code: 1, signal: null, failures: 3 });
    assert.equal(sup.status('broken').gaveUp, true);
    assert.equal(sup.status('broken').running, false);
    const last = lines.at(-1);
    assert.equal(last.level, 'error');
    assert.match(
      last.text,
      /broken cannot start: it exited during start-up 3 times in a row \(last: exit code 1\)/,
    );
    assert.match(last.text, /Invalid environment: PORT must be an integer/);
    assert.equal(last.text.match(/Invalid environment/g).length, 1, 'the last run only, not every run');
    assert.equal(
      lines.filter((l) => /broken exited unexpectedly \(exit code 1\) during start-up/.test(l.text)).length,
      2,
    );
    await sup.whenReady('fine');
  });

  it('stop() ends every child (SIGKILL after the timeout) and restarts nothing', async () => {
    sup = new Supervisor({ backoff: { initialMs: 5 }, stopTimeoutMs: 300, report: () => {} });
    sup.add({ name: 'polite', spawn: node(LONG_RUNNING), waitReady: printsReady });
    sup.add({
      name: 'stubborn',
      spawn: node(`process.on('SIGTERM', () => {}); ${LONG_RUNNING}`),
      waitReady: printsReady,
    });
    sup.start();
    await Promise.all([sup.whenReady('polite'), sup.whenReady('stubborn')]);
    const children = [sup.child('polite'), sup.child('stubborn')];
    let spawned = 0;
    sup.on('spawn', () => (spawned += 1));
    await sup.stop();
    assert.equal(children[0].signalCode ?? children[0].exitCode, 'SIGTERM');
    assert.equal(children[1].signalCode, 'SIGKILL');
    assert.equal(spawned, 0);
    assert.equal(sup.status('polite').running, false);
    await sup.stop(); // idempotent
  });
});
