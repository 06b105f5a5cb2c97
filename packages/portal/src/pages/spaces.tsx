import { useState } from 'preact/hooks';
import { api, customerPath, type Collection, type Session, type Json } from '../api';
import { linkProps, navigate } from '../router';
import { ErrorBox, listText, textList, useLoad } from '../ui';

/** Spaces of the customer (`GET C/spaces`) and a form creating one (`POST C/spaces`). */
export function SpacesPage({ session }: { session: Session }) {
  const list = useLoad(
    () => api<Collection<Json>>(session, 'GET', `${customerPath(session)}/spaces?pageSize=500&orderBy=id`),
    [session.customer],
  );
  const [name, setName] = useState('');
  const [tags, setTags] = useState('');
  const [error, setError] = useState<unknown>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const body: Json = { name: name.trim() };
      if (tags.trim()) body.defaultTags = textList(tags);
      const s = await api(session, 'POST', `${customerPath(session)}/spaces`, body);
      navigate(`/spaces/${s.id}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <h1>Spaces</h1>
      <ErrorBox error={list.error} />
      <table class="list">
        <caption class="sr-only">Spaces of customer {session.customer}</caption>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Name</th>
            <th scope="col">Default tags</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.member ?? []).map((s) => (
            <tr key={s.id}>
              <td>{s.id}</td>
              <td>
                <a {...linkProps(`/spaces/${s.id}`)}>{s.name}</a>
              </td>
              <td>{listText(s.defaultTags)}</td>
              <td>{s.created?.slice(0, 19).replace('T', ' ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && !list.data.member.length ? <p>No spaces yet.</p> : null}
      <h2>Create a space</h2>
      <form class="inline" onSubmit={(e) => void create(e)}>
        <label for="space-name">Name</label>
        <input id="space-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="space-tags">Default tags (comma-separated)</label>
        <input id="space-tags" value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
        <button type="submit">Create space</button>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}
