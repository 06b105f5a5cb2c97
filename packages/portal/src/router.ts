import { useEffect, useState } from 'preact/hooks';

/** Client-side routes under /portal/ (the gateway answers index.html for every one of them). */
export const BASE = '/portal';

/** Navigates to `to` (a path under /portal/, e.g. `/spaces/1`) without reloading. */
export function navigate(to: string, replace = false): void {
  const url = BASE + to;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current route: the path under /portal/ and the query parameters. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const on = () => setTick((t) => t + 1);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) || '/' : '/';
  return { path, query: new URLSearchParams(location.search) };
}

/** A same-app link: a real `<a href>` (keyboard, middle click), navigated in place on a plain click. */
export function linkProps(to: string): { href: string; onClick: (e: MouseEvent) => void } {
  return {
    href: BASE + to,
    onClick: (e: MouseEvent) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(to);
    },
  };
}
