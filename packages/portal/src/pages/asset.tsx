import { useEffect, useState } from 'preact/hooks';
import { api, customerPath, type Session, type Json } from '../api';
import { linkProps, navigate } from '../router';
import { Confirm, ErrorBox, lastSegment, listText, textList, useLoad } from '../ui';

const TEXT = ['string1', 'string2', 'string3'] as const;
const NUMS = ['number1', 'number2', 'number3'] as const;
const LISTS = ['tags', 'manifests', 'roles'] as const;

/** The delivery base URL of an asset: the part of its `imageService` before `/iiif-img/`. */
function deliveryOf(asset: Json): string | null {
  const u: string | undefined = asset.imageService ?? asset.thumbnailImageService ?? asset.manifest;
  if (!u) return null;
  const m = /^(.*?)\/(iiif-img|thumbs|iiif-manifest)\//.exec(u);
  return m ? m[1] : null;
}

/**
 * One asset (`GET C/spaces/{s}/images/{id}`): thumbnail, dimensions, channels, error, storage, links to its
 * info.json, manifest and viewer; metadata edited by `PATCH`; reingest (`POST .../reingest`) and delete, each
 * after a confirmation.
 */
export function AssetPage({ session, space, id }: { session: Session; space: number; id: string }) {
  const path = `${customerPath(session)}/spaces/${space}/images/${encodeURIComponent(id)}`;
  const asset = useLoad(() => api(session, 'GET', path), [path]);
  const storage = useLoad(() => api(session, 'GET', `${path}/storage`).catch(() => null), [path]);
  const [form, setForm] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const [confirm, setConfirm] = useState<null | 'delete' | 'reingest'>(null);
  const a = asset.data;
  useEffect(() => {
    if (!a) return;
    const f: Record<string, string> = {};
    for (const k of TEXT) f[k] = a[k] ?? '';
    for (const k of NUMS) f[k] = a[k] === undefined || a[k] === null ? '' : String(a[k]);
    for (const k of LISTS) f[k] = listText(k === 'roles' ? (a[k] ?? []).map(lastSegment) : a[k]);
    setForm(f);
  }, [a]);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setStatus('');
    const body: Record<string, unknown> = {};
    for (const k of TEXT) body[k] = form[k] === '' ? null : form[k];
    for (const k of NUMS) body[k] = form[k] === '' ? null : Number(form[k]);
    for (const k of LISTS) body[k] = textList(form[k] ?? '');
    try {
      await api(session, 'PATCH', path, body);
      setStatus('Saved.');
      asset.reload();
    } catch (err) {
      setError(err);
    }
  };
  const act = async () => {
    const what = confirm;
    setConfirm(null);
    setError(null);
    try {
      if (what === 'delete') {
        await api(session, 'DELETE', path);
        navigate(`/spaces/${space}`);
        return;
      }
      setStatus('Reingesting…');
      await api(session, 'POST', `${path}/reingest`);
      setStatus('Reingested.');
      asset.reload();
    } catch (err) {
      setStatus('');
      setError(err);
    }
  };
  const delivery = a ? deliveryOf(a) : null;
  return (
    <section>
      <p class="crumbs">
        <a {...linkProps('/spaces')}>Spaces</a> / <a {...linkProps(`/spaces/${space}`)}>Space {space}</a> /{' '}
        {id}
      </p>
      <h1>Asset {id}</h1>
      <ErrorBox error={asset.error} />
      {a ? (
        <div class="asset">
          <div class="asset-image">
            {a.thumbnailImageService && !a.error ? (
              <img
                data-testid="asset-thumbnail"
                src={`${a.thumbnailImageService}/full/!400,400/0/default.jpg`}
                alt={`Thumbnail of ${a.id}`}
              />
            ) : (
              <span class="thumb placeholder large" aria-hidden="true" />
            )}
          </div>
          <dl class="facts">
            <dt>Media type</dt>
            <dd>{a.mediaType}</dd>
            <dt>Dimensions</dt>
            <dd>{a.width && a.height ? `${a.width} × ${a.height} px` : '—'}</dd>
            {a.duration ? (
              <>
                <dt>Duration</dt>
                <dd>{(a.duration / 1000).toFixed(1)} s</dd>
              </>
            ) : null}
            <dt>Delivery channels</dt>
            <dd>
              {(a.deliveryChannels ?? [])
                .map((c: Json) =>
                  typeof c === 'string' ? c : `${c.channel}${c.policy ? ` (${c.policy})` : ''}`,
                )
                .join(', ') || '—'}
            </dd>
            <dt>State</dt>
            <dd data-testid="asset-state">{a.ingesting ? 'ingesting' : a.error ? 'failed' : 'ready'}</dd>
            {a.error ? (
              <>
                <dt>Error</dt>
                <dd class="err" data-testid="asset-error">
                  {a.error}
                </dd>
              </>
            ) : null}
            <dt>Created</dt>
            <dd>{a.created}</dd>
            <dt>Finished</dt>
            <dd>{a.finished ?? '—'}</dd>
            <dt>Batch</dt>
            <dd>
              {a.batch ? (
                <a {...linkProps(`/batches/${String(a.batch).split('/').pop()}`)}>
                  {String(a.batch).split('/').pop()}
                </a>
              ) : (
                '—'
              )}
            </dd>
            <dt>Storage</dt>
            <dd>
              {storage.data
                ? `${storage.data.size ?? storage.data.totalSizeOfStoredImages ?? 0} bytes stored` +
                  (storage.data.thumbnailSize !== undefined
                    ? `, thumbnails ${storage.data.thumbnailSize} bytes`
                    : '')
                : '—'}
            </dd>
            <dt>Origin</dt>
            <dd class="break">{a.origin}</dd>
          </dl>
          <ul class="links">
            {a.imageService ? (
              <li>
                <a href={`${a.imageService}/info.json`}>info.json</a>
              </li>
            ) : null}
            {a.manifest ? (
              <li>
                <a href={a.manifest}>IIIF manifest</a>
              </li>
            ) : null}
            {delivery && a.manifest ? (
              <li>
                <a href={`${delivery}/viewer/mirador?manifest=${encodeURIComponent(a.manifest)}`}>
                  Open in Mirador
                </a>
              </li>
            ) : null}
            {delivery ? (
              <li>
                <a href={`${delivery}/viewer/${session.customer}/${space}/${encodeURIComponent(a.id)}`}>
                  Image viewer
                </a>
              </li>
            ) : null}
          </ul>
        </div>
      ) : null}
      {a ? (
        <form class="grid-form" onSubmit={(e) => void save(e)} aria-labelledby="meta-heading">
          <h2 id="meta-heading">Metadata</h2>
          {[...TEXT, ...NUMS, ...LISTS].map((k) => (
            <span class="field" key={k}>
              <label for={`meta-${k}`}>{LISTS.includes(k as Json) ? `${k} (comma-separated)` : k}</label>
              <input
                id={`meta-${k}`}
                type={NUMS.includes(k as Json) ? 'number' : 'text'}
                value={form[k] ?? ''}
                onInput={(e) => setForm({ ...form, [k]: e.currentTarget.value })}
              />
            </span>
          ))}
          <button type="submit">Save metadata</button>
        </form>
      ) : null}
      {status ? <p role="status">{status}</p> : null}
      <ErrorBox error={error} />
      {a ? (
        <div class="row">
          <button type="button" onClick={() => setConfirm('reingest')}>
            Reingest
          </button>
          <button type="button" class="danger" onClick={() => setConfirm('delete')}>
            Delete
          </button>
        </div>
      ) : null}
      <Confirm
        open={confirm !== null}
        message={
          confirm === 'delete'
            ? `Delete asset ${id}? Its files are removed too.`
            : `Reingest asset ${id} now?`
        }
        confirmLabel={confirm === 'delete' ? 'Delete asset' : 'Reingest asset'}
        onConfirm={() => void act()}
        onCancel={() => setConfirm(null)}
      />
    </section>
  );
}
