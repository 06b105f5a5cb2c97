import { useState } from 'preact/hooks';
import { api, customerPath, type Collection, type Session, type Json } from '../api';
import { linkProps, navigate } from '../router';
import { Confirm, ErrorBox, Progress, useLoad } from '../ui';

/** Polling interval of the live progress (ms). */
const POLL_MS = 1500;

function when(iso?: string): string {
  return iso ? iso.slice(0, 19).replace('T', ' ') : '—';
}

/** One batch's live bar: completed (green) and errors (red) of `count`, with the numbers as text. */
export function BatchProgress({ b }: { b: Json }) {
  return (
    <div class="batch-progress">
      <Progress
        value={b.completed ?? 0}
        errors={b.errors ?? 0}
        max={b.count ?? 0}
        label={`Progress of batch ${b.id}`}
      />
      <span class="counts" data-testid={`batch-${b.id}-counts`}>
        {b.completed} completed, {b.errors} errors
        {b.cancelled ? `, ${b.cancelled} cancelled` : ''} of {b.count}
        {b.finished ? ' · finished' : b.estCompletion ? ` · est. completion ${when(b.estCompletion)}` : ''}
      </span>
    </div>
  );
}

/** The customer's queue (`GET C/queue`) and its batches: active and recent, polled every {@link POLL_MS}. */
export function BatchesPage({ session }: { session: Session }) {
  const base = `${customerPath(session)}/queue`;
  const queue = useLoad(() => api(session, 'GET', base), [base], POLL_MS);
  const active = useLoad(
    () => api<Collection<Json>>(session, 'GET', `${base}/active?pageSize=100`),
    [base],
    POLL_MS,
  );
  const recent = useLoad(
    () => api<Collection<Json>>(session, 'GET', `${base}/recent?pageSize=25`),
    [base],
    POLL_MS,
  );
  const table = (title: string, list: Collection<Json> | undefined, testid: string) => (
    <>
      <h2>{title}</h2>
      <table class="list" data-testid={testid}>
        <thead>
          <tr>
            <th scope="col">Batch</th>
            <th scope="col">Submitted</th>
            <th scope="col">Progress</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {(list?.member ?? []).map((b) => (
            <tr key={b.id}>
              <td>
                <a {...linkProps(`/batches/${b.id}`)}>{b.id}</a>
                {b.priority ? ' (priority)' : ''}
              </td>
              <td>{when(b.submitted)}</td>
              <td>
                <BatchProgress b={b} />
              </td>
              <td>{when(b.finished)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list && !list.member.length ? <p>None.</p> : null}
    </>
  );
  return (
    <section>
      <h1>Queue and batches</h1>
      <ErrorBox error={queue.error ?? active.error ?? recent.error} />
      {queue.data ? (
        <p class="queue-summary" aria-live="polite">
          {queue.data.imagesWaiting} images waiting in {queue.data.batchesWaiting} unfinished batches
        </p>
      ) : null}
      {table('Active batches', active.data, 'active-batches')}
      {table('Recently finished', recent.data, 'recent-batches')}
    </section>
  );
}

/**
 * One batch (`GET C/queue/batches/{b}`), polled while it runs: progress, its members (`.../images`), its errors
 * with reasons (`.../errors`), "Retry failed" (`POST .../reingestErrors`, which makes a new batch) and "Cancel"
 * (`POST .../cancel`, confirmed).
 */
export function BatchPage({ session, batch }: { session: Session; batch: number }) {
  const path = `${customerPath(session)}/queue/batches/${batch}`;
  const b = useLoad(() => api(session, 'GET', path), [path], POLL_MS);
  const running = b.data && !b.data.finished;
  const members = useLoad(
    () => api<Collection<Json>>(session, 'GET', `${path}/assets?pageSize=500`),
    [path, b.data?.completed, b.data?.errors, b.data?.cancelled],
  );
  const errors = useLoad(
    () => api<Collection<Json>>(session, 'GET', `${path}/errors?pageSize=500`),
    [path, b.data?.errors],
  );
  const [error, setError] = useState<unknown>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const retry = async () => {
    setError(null);
    try {
      const nb = await api(session, 'POST', `${path}/reingestErrors`);
      navigate(`/batches/${nb.id}`);
    } catch (err) {
      setError(err);
    }
  };
  const cancel = async () => {
    setConfirmCancel(false);
    setError(null);
    try {
      await api(session, 'POST', `${path}/cancel`);
      b.reload();
    } catch (err) {
      setError(err);
    }
  };
  const spaceOf = (a: Json) =>
    a.space ??
    String(a['@id'] ?? '')
      .split('/spaces/')[1]
      ?.split('/')[0];
  return (
    <section>
      <p class="crumbs">
        <a {...linkProps('/batches')}>Batches</a> / {batch}
      </p>
      <h1>Batch {batch}</h1>
      <ErrorBox error={b.error} />
      {b.data ? (
        <>
          <BatchProgress b={b.data} />
          <p>
            Submitted {when(b.data.submitted)}
            {b.data.finished ? `, finished ${when(b.data.finished)}` : ', running'}
            {b.data.superseded ? ' (superseded: its members were resubmitted)' : ''}
          </p>
          <div class="row">
            <button type="button" onClick={() => void retry()} disabled={!b.data.errors}>
              Retry failed
            </button>
            <button type="button" class="danger" onClick={() => setConfirmCancel(true)} disabled={!running}>
              Cancel batch
            </button>
          </div>
        </>
      ) : null}
      <ErrorBox error={error} />
      <h2>Errors</h2>
      <ErrorBox error={errors.error} />
      <table class="list" data-testid="batch-errors">
        <thead>
          <tr>
            <th scope="col">Asset</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {(errors.data?.member ?? []).map((a) => (
            <tr key={a['@id']}>
              <td>
                <a {...linkProps(`/spaces/${spaceOf(a)}/images/${encodeURIComponent(a.id)}`)}>{a.id}</a>
              </td>
              <td class="err">{a.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {errors.data && !errors.data.member.length ? <p>No errors.</p> : null}
      <h2>Members</h2>
      <ErrorBox error={members.error} />
      <table class="list" data-testid="batch-members">
        <thead>
          <tr>
            <th scope="col">Asset</th>
            <th scope="col">Space</th>
            <th scope="col">State</th>
            <th scope="col">Dimensions</th>
          </tr>
        </thead>
        <tbody>
          {(members.data?.member ?? []).map((a) => (
            <tr key={a['@id']}>
              <td>
                <a {...linkProps(`/spaces/${spaceOf(a)}/images/${encodeURIComponent(a.id)}`)}>{a.id}</a>
              </td>
              <td>{spaceOf(a)}</td>
              <td>{a.ingesting ? 'ingesting' : a.error ? `failed: ${a.error}` : 'ready'}</td>
              <td>{a.width && a.height ? `${a.width} × ${a.height}` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Confirm
        open={confirmCancel}
        message={`Cancel batch ${batch}? Members not yet started will not be processed.`}
        confirmLabel="Cancel batch"
        onConfirm={() => void cancel()}
        onCancel={() => setConfirmCancel(false)}
      />
    </section>
  );
}
