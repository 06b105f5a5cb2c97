import { useEffect, useState } from 'preact/hooks';
import { api, customerPath, pathOf, type Collection, type Session, type Json } from '../api';
import { linkProps, navigate } from '../router';
import { ErrorBox, lastSegment, listText, textList, useLoad } from '../ui';
import { Upload } from './upload';

const FILTERS = [
  'string1',
  'string2',
  'string3',
  'number1',
  'number2',
  'number3',
  'tags',
  'manifests',
] as const;
const SORTABLE = [
  'id',
  'created',
  'width',
  'height',
  'string1',
  'string2',
  'string3',
  'number1',
  'number2',
  'number3',
];
const PAGE_SIZE = 50;

/**
 * One space: its defaults (`PATCH C/spaces/{s}`), its default delivery channels, the upload area and its assets
 * (`GET C/spaces/{s}/images`) as a paged, sortable table or a thumbnail grid, filtered by string1..3, number1..3,
 * tags and manifests. The view, page, order and filters live in the URL's query string.
 */
export function SpacePage({
  session,
  space,
  query,
}: {
  session: Session;
  space: number;
  query: URLSearchParams;
}) {
  const base = `${customerPath(session)}/spaces/${space}`;
  const info = useLoad(() => api(session, 'GET', base), [session.customer, space]);
  const view = query.get('view') === 'table' ? 'table' : 'grid';
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const orderBy = query.get('orderBy') ?? 'id';
  const desc = query.get('desc') === '1';
  const filters: Record<string, string> = {};
  for (const f of FILTERS) if (query.get(f)) filters[f] = query.get(f)!;
  const qs = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE) });
  qs.set(desc ? 'orderByDescending' : 'orderBy', orderBy);
  for (const [k, v] of Object.entries(filters))
    qs.set(k, k === 'tags' || k === 'manifests' ? v.replace(/\s*,\s*/g, ',') : v);
  const assets = useLoad(
    () => api<Collection<Json>>(session, 'GET', `${base}/images?${qs.toString()}`),
    [session.customer, space, qs.toString()],
  );
  const setQuery = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    navigate(`/spaces/${space}?${next.toString()}`, true);
  };
  const total = assets.data?.totalItems ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const sortHeader = (field: string, label: string) => {
    const active = orderBy === field;
    return (
      <th scope="col" aria-sort={active ? (desc ? 'descending' : 'ascending') : 'none'}>
        <button
          type="button"
          class="sort"
          onClick={() => setQuery({ orderBy: field, desc: active && !desc ? '1' : null, page: null })}
        >
          {label} {active ? (desc ? '▼' : '▲') : ''}
        </button>
      </th>
    );
  };
  return (
    <section>
      <p class="crumbs">
        <a {...linkProps('/spaces')}>Spaces</a> / {info.data?.name ?? space}
      </p>
      <h1>
        Space {space}
        {info.data ? `: ${info.data.name}` : ''}
      </h1>
      <ErrorBox error={info.error} />
      {info.data ? <SpaceDefaults session={session} space={info.data} onSaved={info.reload} /> : null}
      <Upload session={session} space={space} onDone={assets.reload} />
      <h2 id="assets-heading">Assets {assets.data ? `(${total})` : ''}</h2>
      <Filters
        initial={filters}
        onApply={(f) =>
          setQuery({ ...Object.fromEntries(FILTERS.map((k) => [k, f[k] ?? null])), page: null })
        }
      />
      <div class="row toolbar">
        <span role="group" aria-label="View">
          <button type="button" aria-pressed={view === 'grid'} onClick={() => setQuery({ view: null })}>
            Grid
          </button>
          <button type="button" aria-pressed={view === 'table'} onClick={() => setQuery({ view: 'table' })}>
            Table
          </button>
        </span>
        <label for="order">Sort by</label>
        <select
          id="order"
          value={orderBy}
          onChange={(e) => setQuery({ orderBy: e.currentTarget.value, page: null })}
        >
          {SORTABLE.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
        <label>
          <input
            type="checkbox"
            checked={desc}
            onChange={(e) => setQuery({ desc: e.currentTarget.checked ? '1' : null })}
          />{' '}
          descending
        </label>
        <button type="button" onClick={assets.reload}>
          Refresh
        </button>
      </div>
      <ErrorBox error={assets.error} />
      {view === 'grid' ? (
        <ul class="grid" aria-labelledby="assets-heading" data-testid="asset-grid">
          {(assets.data?.member ?? []).map((a) => (
            <li key={a.id}>
              <a {...linkProps(`/spaces/${space}/images/${encodeURIComponent(a.id)}`)}>
                <Thumb asset={a} />
                <span class="cap">{a.id}</span>
                {a.error ? (
                  <span class="badge err">error</span>
                ) : a.ingesting ? (
                  <span class="badge">ingesting</span>
                ) : null}
              </a>
            </li>
          ))}
        </ul>
      ) : (
        <table class="list" data-testid="asset-table">
          <caption class="sr-only">Assets of space {space}</caption>
          <thead>
            <tr>
              {sortHeader('id', 'Id')}
              <th scope="col">Media type</th>
              {sortHeader('width', 'Width')}
              {sortHeader('height', 'Height')}
              {sortHeader('string1', 'string1')}
              {sortHeader('number1', 'number1')}
              <th scope="col">Tags</th>
              <th scope="col">State</th>
              {sortHeader('created', 'Created')}
            </tr>
          </thead>
          <tbody>
            {(assets.data?.member ?? []).map((a) => (
              <tr key={a.id}>
                <td>
                  <a {...linkProps(`/spaces/${space}/images/${encodeURIComponent(a.id)}`)}>{a.id}</a>
                </td>
                <td>{a.mediaType}</td>
                <td>{a.width ?? ''}</td>
                <td>{a.height ?? ''}</td>
                <td>{a.string1 ?? ''}</td>
                <td>{a.number1 ?? ''}</td>
                <td>{listText(a.tags)}</td>
                <td>{a.error ? 'error' : a.ingesting ? 'ingesting' : 'ready'}</td>
                <td>{a.created?.slice(0, 19).replace('T', ' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {assets.data && !assets.data.member.length ? <p>No assets match.</p> : null}
      <nav class="row pager" aria-label="Pages">
        <button type="button" disabled={page <= 1} onClick={() => setQuery({ page: String(page - 1) })}>
          Previous
        </button>
        <span>
          Page {page} of {pages}
        </span>
        <button type="button" disabled={page >= pages} onClick={() => setQuery({ page: String(page + 1) })}>
          Next
        </button>
      </nav>
    </section>
  );
}

/** An asset's thumbnail from its `thumbnailImageService` (the 200 px size), or a placeholder. */
export function Thumb({ asset, size = 200 }: { asset: Json; size?: number }) {
  const svc: string | undefined = asset.thumbnailImageService;
  if (!svc || asset.error || asset.ingesting) return <span class="thumb placeholder" aria-hidden="true" />;
  return (
    <img
      class="thumb"
      src={`${svc}/full/!${size},${size}/0/default.jpg`}
      alt={`Thumbnail of ${asset.id}`}
      loading="lazy"
    />
  );
}

function Filters({
  initial,
  onApply,
}: {
  initial: Record<string, string>;
  onApply: (f: Record<string, string>) => void;
}) {
  const [f, setF] = useState<Record<string, string>>(initial);
  useEffect(() => setF(initial), [JSON.stringify(initial)]);
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(f);
      }}
    >
      <fieldset>
        <legend>Filter</legend>
        {FILTERS.map((k) => (
          <span key={k} class="field">
            <label for={`filter-${k}`}>{k}</label>
            <input
              id={`filter-${k}`}
              inputMode={k.startsWith('number') ? 'numeric' : undefined}
              value={f[k] ?? ''}
              onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })}
            />
          </span>
        ))}
        <button type="submit">Apply filters</button>
        <button
          type="button"
          onClick={() => {
            setF({});
            onApply({});
          }}
        >
          Clear
        </button>
      </fieldset>
    </form>
  );
}

/** The space's defaults (tags, roles, access sizes) and its default delivery channel rules. */
function SpaceDefaults({ session, space, onSaved }: { session: Session; space: Json; onSaved: () => void }) {
  const base = `${customerPath(session)}/spaces/${space.id}`;
  const [form, setForm] = useState({
    name: space.name ?? '',
    defaultTags: listText(space.defaultTags),
    defaultRoles: listText((space.defaultRoles ?? []).map(lastSegment)),
    defaultMaxWidth: String(space.defaultMaxWidth ?? 0),
    defaultOpenFullMax: String(space.defaultOpenFullMax ?? 0),
    defaultOpenMaxWidth: String(space.defaultOpenMaxWidth ?? 0),
  });
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const rules = useLoad(
    () => api<Collection<Json>>(session, 'GET', `${base}/defaultDeliveryChannels?pageSize=500`),
    [base],
  );
  const [rule, setRule] = useState({ channel: 'iiif-img', policy: 'default', mediaType: 'image/*' });
  const [ruleError, setRuleError] = useState<unknown>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await api(session, 'PATCH', base, {
        name: form.name.trim(),
        defaultTags: textList(form.defaultTags),
        defaultRoles: textList(form.defaultRoles),
        defaultMaxWidth: Number(form.defaultMaxWidth) || 0,
        defaultOpenFullMax: Number(form.defaultOpenFullMax) || 0,
        defaultOpenMaxWidth: Number(form.defaultOpenMaxWidth) || 0,
      });
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  const field = (k: keyof typeof form, label: string, numeric = false) => (
    <span class="field">
      <label for={`sd-${k}`}>{label}</label>
      <input
        id={`sd-${k}`}
        type={numeric ? 'number' : 'text'}
        min={numeric ? 0 : undefined}
        value={form[k]}
        onInput={(e) => setForm({ ...form, [k]: e.currentTarget.value })}
      />
    </span>
  );
  return (
    <details class="panel">
      <summary>Space defaults and delivery channels</summary>
      <form onSubmit={(e) => void save(e)} class="grid-form">
        {field('name', 'Name')}
        {field('defaultTags', 'Default tags (comma-separated)')}
        {field('defaultRoles', 'Default roles (names, comma-separated)')}
        {field('defaultMaxWidth', 'Default maxWidth (px, 0 = none)', true)}
        {field('defaultOpenFullMax', 'Default openFullMax (px, 0 = none)', true)}
        {field('defaultOpenMaxWidth', 'Default openMaxWidth (px, 0 = none)', true)}
        <button type="submit">Save defaults</button>
        {saved ? <span role="status">Saved.</span> : null}
      </form>
      <ErrorBox error={error} />
      <h3>Default delivery channels of this space</h3>
      <ErrorBox error={rules.error} />
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Media type</th>
            <th scope="col">Channel</th>
            <th scope="col">Policy</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(rules.data?.member ?? []).map((r) => (
            <tr key={r['@id']}>
              <td>{r.mediaType}</td>
              <td>{r.channel}</td>
              <td>{r.policy}</td>
              <td>
                <button
                  type="button"
                  onClick={() =>
                    void api(session, 'DELETE', pathOf(r['@id'])).then(rules.reload, (err) =>
                      setRuleError(err),
                    )
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rules.data && !rules.data.member.length ? <p>None: the customer's rules apply.</p> : null}
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setRuleError(null);
          void api(session, 'POST', `${base}/defaultDeliveryChannels`, rule).then(rules.reload, (err) =>
            setRuleError(err),
          );
        }}
      >
        <label for="ddc-media">Media type</label>
        <input
          id="ddc-media"
          value={rule.mediaType}
          onInput={(e) => setRule({ ...rule, mediaType: e.currentTarget.value })}
        />
        <label for="ddc-channel">Channel</label>
        <select
          id="ddc-channel"
          value={rule.channel}
          onChange={(e) => setRule({ ...rule, channel: e.currentTarget.value })}
        >
          {['iiif-img', 'thumbs', 'iiif-av', 'file', 'none'].map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
        <label for="ddc-policy">Policy</label>
        <input
          id="ddc-policy"
          value={rule.policy}
          onInput={(e) => setRule({ ...rule, policy: e.currentTarget.value })}
        />
        <button type="submit">Add rule</button>
      </form>
      <ErrorBox error={ruleError} />
    </details>
  );
}
