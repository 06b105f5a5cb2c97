/**
 * The Vellum portal (issue 13): a single-page app over the public management API (SPEC.md §3), served by
 * api-gateway at /portal/. Pages: sign in/out, spaces, assets (table + grid), asset, upload, batches, batch,
 * named queries. Everything it does goes through the same routes an integrator uses.
 */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { loadSession, saveSession, type Session } from './api';
import { navigate, useRoute, linkProps } from './router';
import { SignIn } from './pages/signin';
import { SpacesPage } from './pages/spaces';
import { SpacePage } from './pages/space';
import { AssetPage } from './pages/asset';
import { BatchesPage, BatchPage } from './pages/batches';
import { NamedQueriesPage } from './pages/named-queries';
import './style.css';

function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const { path, query } = useRoute();
  const signOut = () => {
    saveSession(null);
    setSession(null);
    navigate('/', true);
  };
  if (!session) {
    return (
      <SignIn
        onSignedIn={(s) => {
          saveSession(s);
          setSession(s);
          navigate(path === '/' || path === '/signin' ? '/spaces' : path, true);
        }}
      />
    );
  }
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  let page;
  if (seg[0] === 'spaces' && seg[1] && seg[2] === 'images' && seg[3]) {
    page = <AssetPage session={session} space={Number(seg[1])} id={seg[3]} />;
  } else if (seg[0] === 'spaces' && seg[1]) {
    page = <SpacePage session={session} space={Number(seg[1])} query={query} />;
  } else if (seg[0] === 'batches' && seg[1]) {
    page = <BatchPage session={session} batch={Number(seg[1])} />;
  } else if (seg[0] === 'batches') {
    page = <BatchesPage session={session} />;
  } else if (seg[0] === 'named-queries') {
    page = <NamedQueriesPage session={session} />;
  } else {
    page = <SpacesPage session={session} />;
  }
  const current = seg[0] ?? 'spaces';
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Vellum</span>
        <nav aria-label="Main">
          <a {...linkProps('/spaces')} aria-current={current === 'spaces' ? 'page' : undefined}>
            Spaces
          </a>
          <a {...linkProps('/batches')} aria-current={current === 'batches' ? 'page' : undefined}>
            Batches
          </a>
          <a {...linkProps('/named-queries')} aria-current={current === 'named-queries' ? 'page' : undefined}>
            Named queries
          </a>
        </nav>
        <span class="who">
          Customer <strong>{session.customer}</strong>
          {session.admin ? ' (admin key)' : ''}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
