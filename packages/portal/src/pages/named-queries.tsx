import { useState } from 'preact/hooks';
import { api, ApiError, customerPath, type Collection, type Session, type Json } from '../api';
import { ErrorBox, useLoad } from '../ui';

/**
 * Named queries (docs/api/named-queries.md): the customer's and the global ones, a form creating one from a
 * template, and a "try" form projecting it with arguments as a manifest
 * (`{delivery}/iiif-resource/{customer}/{name}/{args...}`), opened in Vellum's Mirador page. The delivery base
 * is taken from Json asset's `imageService` link, else given by the user.
 */
export function NamedQueriesPage({ session }: { session: Session }) {
  const base = `${customerPath(session)}/namedQueries`;
  const list = useLoad(() => api<Collection<Json>>(session, 'GET', `${base}?pageSize=500`), [base]);
  const delivery = useLoad(async () => {
    const r = await api<Collection<Json>>(
      session,
      'GET',
      `${customerPath(session)}/allImages?pageSize=1`,
    ).catch(() => null);
    const svc: string | undefined = r?.member?.[0]?.imageService ?? r?.member?.[0]?.thumbnailImageService;
    const m = svc ? /^(.*?)\/(iiif-img|thumbs)\//.exec(svc) : null;
    return m ? m[1] : `${location.protocol}//${location.hostname}:3001`;
  }, [session.customer]);
  const [name, setName] = useState('');
  const [template, setTemplate] = useState('manifest=s1&canvas=n1&s1=p1');
  const [error, setError] = useState<unknown>(null);
  const [tryName, setTryName] = useState('');
  const [args, setArgs] = useState('');
  const [deliveryBase, setDeliveryBase] = useState('');
  const [tried, setTried] = useState<{ url: string; items?: number; error?: unknown } | null>(null);
  const dBase = deliveryBase || delivery.data || '';
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api(session, 'POST', base, { name: name.trim(), template: template.trim() });
      setName('');
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const manifestUrl = (q: string) =>
    `${dBase}/iiif-resource/${session.customer}/${encodeURIComponent(q)}/${args
      .split('/')
      .map((a) => encodeURIComponent(a.trim()))
      .filter(Boolean)
      .join('/')}`;
  const tryIt = async (e: Event) => {
    e.preventDefault();
    const url = manifestUrl(tryName);
    setTried({ url });
    try {
      const res = await fetch(url);
      const body = await res.json().catch(() => null);
      if (!res.ok)
        setTried({
          url,
          error: new ApiError(res.status, body?.title ?? `${res.status} ${res.statusText}`, body?.detail),
        });
      else setTried({ url, items: (body?.items ?? body?.sequences?.[0]?.canvases ?? []).length });
    } catch (err) {
      setTried({ url, error: err });
    }
  };
  return (
    <section>
      <h1>Named queries</h1>
      <ErrorBox error={list.error} />
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Template</th>
            <th scope="col">Global</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.member ?? []).map((q) => (
            <tr key={q['@id']}>
              <td>{q.name}</td>
              <td>
                <code>{q.template}</code>
              </td>
              <td>{q.global ? 'yes' : 'no'}</td>
              <td>
                <button type="button" onClick={() => setTryName(q.name)}>
                  Try
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && !list.data.member.length ? <p>No named queries yet.</p> : null}
      <h2>Create a named query</h2>
      <form class="inline" onSubmit={(e) => void create(e)}>
        <label for="nq-name">Name</label>
        <input id="nq-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="nq-template">Template</label>
        <input
          id="nq-template"
          class="wide"
          required
          value={template}
          onInput={(e) => setTemplate(e.currentTarget.value)}
        />
        <button type="submit">Create</button>
      </form>
      <p class="hint">
        Template keys: <code>manifest</code>, <code>canvas</code>, <code>sequence</code>, <code>space</code>,{' '}
        <code>s1..s3</code>, <code>n1..n3</code>; values <code>p1</code>, <code>p2</code>… are the arguments.
      </p>
      <ErrorBox error={error} />
      <h2>Try a named query</h2>
      <form class="inline" onSubmit={(e) => void tryIt(e)}>
        <label for="nq-try">Query</label>
        <input id="nq-try" required value={tryName} onInput={(e) => setTryName(e.currentTarget.value)} />
        <label for="nq-args">Arguments (separated by /)</label>
        <input id="nq-args" value={args} onInput={(e) => setArgs(e.currentTarget.value)} />
        <label for="nq-delivery">Delivery base URL</label>
        <input id="nq-delivery" value={dBase} onInput={(e) => setDeliveryBase(e.currentTarget.value)} />
        <button type="submit">Try</button>
      </form>
      {tried ? (
        <div role="status">
          <p>
            Manifest: <a href={tried.url}>{tried.url}</a>
            {tried.items !== undefined ? ` (${tried.items} canvases)` : ''}
          </p>
          <ErrorBox error={tried.error} />
          <p>
            <a href={`${dBase}/viewer/mirador?manifest=${encodeURIComponent(tried.url)}`}>
              Open the manifest in Mirador
            </a>
          </p>
        </div>
      ) : null}
    </section>
  );
}
