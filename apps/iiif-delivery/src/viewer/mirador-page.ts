/**
 * The Mirador page (`GET /viewer/mirador?manifest={url}`): a IIIF Presentation viewer for people, opening one of
 * this service's manifests (a single asset's, `/iiif-manifest/...`, or a named query's, `/iiif-resource/...`).
 * Pure HTML rendering, no framework, like the deep-zoom page (`viewer-page.ts`): every value is escaped, there is no
 * inline script (the manifest URL travels in a `data-` attribute and is read by {@link MIRADOR_JS}).
 */
import { escapeHtml } from './viewer-page';

/** Longest `manifest` parameter accepted (a URL of this service; a named query's arguments are short). */
export const MANIFEST_PARAM_MAX = 2048;

/** The outcome of {@link resolveManifestParam}: the absolute manifest URL, or why the parameter is refused. */
export type ManifestParam = { ok: true; url: string } | { ok: false; detail: string };

/**
 * Resolves the page's `manifest` query parameter against the request's public base (`base`, e.g.
 * `https://iiif.example.org/dlcs`, no trailing slash). Accepted:
 * - an absolute `http:`/`https:` URL on the public base's origin, without user info
 *   (`http://localhost:3001/iiif-resource/2/book/b1`);
 * - a path starting with one `/`, taken under the public base, path prefix included
 *   (`/iiif-resource/2/book/b1` → `{base}/iiif-resource/2/book/b1`).
 * Anything else (missing, repeated, another origin, another scheme, `//host/...`, longer than
 * {@link MANIFEST_PARAM_MAX}) is refused with a sentence saying what is expected: the page only opens this
 * service's manifests, which is also all its Content-Security-Policy lets it fetch.
 */
export function resolveManifestParam(raw: unknown, base: string): ManifestParam {
  const expected = `Expected ?manifest= the URL of a manifest on ${base} (or its path, e.g. /iiif-resource/{customer}/{query}/{args})`;
  if (typeof raw !== 'string' || raw === '') return { ok: false, detail: `No manifest given. ${expected}.` };
  if (raw.length > MANIFEST_PARAM_MAX)
    return { ok: false, detail: `The manifest URL is longer than ${MANIFEST_PARAM_MAX} characters.` };
  const origin = new URL(base).origin;
  if (raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\')) {
    const url = new URL(`${base}${raw}`);
    if (url.origin === origin) return { ok: true, url: url.href };
  } else {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password) {
      if (url.origin === origin) return { ok: true, url: url.href };
      return { ok: false, detail: `This viewer opens manifests of ${origin} only, not of ${url.origin}.` };
    }
  }
  return { ok: false, detail: `Not a manifest URL of this service: ${raw}. ${expected}.` };
}

/** What the Mirador page shows. */
export interface MiradorPageInput {
  /** The absolute manifest URL ({@link resolveManifestParam}). */
  manifest: string;
  /** URL of `/viewer/assets/` relative to the page, ending in `/`. */
  assetsHref: string;
  /** `?v=...` cache busters of the scripts and stylesheet. */
  versions: { mirador: string; script: string; style: string };
}

/** The window id of the page's one Mirador window (`Mirador.OSDReferences.get(...)` holds its OpenSeadragon). */
export const MIRADOR_WINDOW_ID = 'vellum';

/**
 * The page: a header line (the manifest link) over a full-window Mirador, whose `mirador.min.js` (the npm package
 * `mirador` 4, Apache-2.0) and the page's own {@link MIRADOR_JS} come from `/viewer/assets/`.
 */
export function renderMiradorPage(p: MiradorPageInput): string {
  const a = escapeHtml(p.assetsHref);
  const m = escapeHtml(p.manifest);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mirador: ${m}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${a}vellum-viewer.css?v=${escapeHtml(p.versions.style)}">
</head>
<body>
<header><strong>Mirador</strong> <a href="${m}">manifest</a> <span id="status" role="status"></span></header>
<main id="mirador" data-manifest="${m}"></main>
<script src="${a}mirador.min.js?v=${escapeHtml(p.versions.mirador)}"></script>
<script src="${a}vellum-mirador.js?v=${escapeHtml(p.versions.script)}"></script>
</body>
</html>
`;
}

/**
 * The Mirador page's `Content-Security-Policy`: as the deep-zoom page's (`viewerCsp`: scripts from this service
 * only, no inline script; manifests, info.json, tiles and thumbnails from this service and from `imageOrigin`, the
 * public base's origin), except that styles may be inline: Mirador's components are styled by Emotion (MUI), which
 * inserts `<style>` elements at run time and takes no nonce from Mirador's configuration. Inline styles cannot run
 * script, and `script-src` stays `'self'`.
 */
export function miradorCsp(imageOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob: ${imageOrigin}`,
    `connect-src 'self' ${imageOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * `/viewer/assets/vellum-mirador.js`: starts Mirador (`Mirador.viewer`, https://github.com/ProjectMirador/mirador/wiki)
 * on `#mirador`'s `data-manifest`, in one window ({@link MIRADOR_WINDOW_ID}) with the canvas index open in the side
 * bar and the thumbnail strip below, without the workspace's add/close controls (the page shows one manifest), and
 * with `preserveViewport: false` so that every canvas opens whole (Mirador 4 keeps the previous canvas's zoom by
 * default). Sets `data-viewer-state` on `<html>`: `started`, or `open-failed` when Mirador did not load.
 */
export const MIRADOR_JS = `(function () {
  'use strict';
  var root = document.documentElement;
  var status = document.getElementById('status');
  var el = document.getElementById('mirador');
  if (!window.Mirador || typeof window.Mirador.viewer !== 'function') {
    root.setAttribute('data-viewer-state', 'open-failed');
    status.textContent = 'Mirador did not load';
    return;
  }
  window.vellumMirador = window.Mirador.viewer({
    id: 'mirador',
    windows: [
      {
        id: '${MIRADOR_WINDOW_ID}',
        manifestId: el.getAttribute('data-manifest'),
        thumbnailNavigationPosition: 'far-bottom',
      },
    ],
    window: { allowClose: false, allowMaximize: false, defaultSideBarPanel: 'canvas', sideBarOpenByDefault: true },
    workspaceControlPanel: { enabled: false },
    osdConfig: { preserveViewport: false },
  });
  root.setAttribute('data-viewer-state', 'started');
})();
`;
