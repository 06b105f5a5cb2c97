/**
 * The deep-zoom viewer page (`GET /viewer/{c}/{s}/{id}`): pure HTML rendering, no framework. Every value that
 * reaches the page is escaped with {@link escapeHtml}; the page has no inline script or style (its
 * Content-Security-Policy, {@link viewerCsp}, allows scripts and styles from this service only), so the
 * OpenSeadragon options travel in `data-` attributes and are read by {@link VIEWER_JS}.
 */

/** Escapes text for HTML element content and quoted attribute values (`& < > " '`). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the viewer page shows. URLs are absolute (info.json) or relative to the page (assets). */
export interface ViewerPageInput {
  /** The asset id, decoded (the page title). */
  assetId: string;
  /** `{customer}/{space}` as shown in the header. */
  location: string;
  /** The IIIF Image API 3.0 info.json URL: OpenSeadragon's `tileSources`. */
  infoJsonV3: string;
  /** The 2.1 info.json URL (a header link). */
  infoJsonV2: string;
  /** A thumbnail URL (a header link), when the asset has the thumbs channel. */
  thumbnail?: string;
  /** URL of `/viewer/assets/` relative to the page (or absolute), ending in `/`. */
  assetsHref: string;
  /** `?v=...` cache busters of the scripts and stylesheet. */
  versions: { openSeadragon: string; script: string; style: string };
}

/**
 * The viewer page. OpenSeadragon gets (see https://openseadragon.github.io/docs/OpenSeadragon.html#.Options):
 * `prefixUrl` = `{assets}images/` (navigation button images), `tileSources` = `[infoJsonV3]`,
 * `showNavigator: true`, `crossOriginPolicy: 'Anonymous'` (tiles are CORS images, so the canvas is not tainted).
 */
export function renderViewerPage(p: ViewerPageInput): string {
  const a = escapeHtml(p.assetsHref);
  const links = [
    `<a href="${escapeHtml(p.infoJsonV3)}">info.json (3.0)</a>`,
    `<a href="${escapeHtml(p.infoJsonV2)}">info.json (2.1)</a>`,
  ];
  if (p.thumbnail) links.push(`<a href="${escapeHtml(p.thumbnail)}">thumbnail</a>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.assetId)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${a}vellum-viewer.css?v=${escapeHtml(p.versions.style)}">
</head>
<body>
<header><strong>${escapeHtml(p.assetId)}</strong> <span class="loc">${escapeHtml(p.location)}</span> ${links.join(' · ')} <span id="status" role="status"></span></header>
<main id="viewer" data-tile-source="${escapeHtml(p.infoJsonV3)}" data-prefix-url="${a}images/"></main>
<script src="${a}openseadragon.min.js?v=${escapeHtml(p.versions.openSeadragon)}"></script>
<script src="${a}vellum-viewer.js?v=${escapeHtml(p.versions.script)}"></script>
</body>
</html>
`;
}

/** A small HTML error page (status line and detail) in the viewer's style. */
export function renderErrorPage(status: number, title: string, detail: string, assetsHref: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${status} ${escapeHtml(title)}</title>
<link rel="stylesheet" href="${escapeHtml(assetsHref)}vellum-viewer.css">
</head>
<body class="error">
<header><strong>${status} ${escapeHtml(title)}</strong></header>
<p>${escapeHtml(detail)}</p>
</body>
</html>
`;
}

/**
 * The page's `Content-Security-Policy`: nothing by default; scripts and styles from this service only (no inline
 * code); images (tiles, buttons) and fetches (info.json) from this service and from `imageOrigin`, the origin of
 * the public base the info.json ids use (the same service, maybe named differently behind a proxy).
 */
export function viewerCsp(imageOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${imageOrigin}`,
    `connect-src 'self' ${imageOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * `/viewer/assets/vellum-viewer.js`: starts OpenSeadragon on the info.json URL named by `#viewer`'s
 * `data-tile-source`, as any IIIF client would (Mirador and the Universal Viewer embed OpenSeadragon), with
 * `data-prefix-url`, reporting progress in `#status` and as `data-viewer-state` on `<html>` (`opening`, `open`,
 * `tile-loaded`, `open-failed`), which browser tests wait for. The info.json's `sizes` are built so that
 * OpenSeadragon never mistakes them for the pyramid's level sizes (`advertisedSizes` in @vellum/iiif).
 */
export const VIEWER_JS = `(function () {
  'use strict';
  var root = document.documentElement;
  var status = document.getElementById('status');
  var el = document.getElementById('viewer');
  var url = el.getAttribute('data-tile-source');
  function state(s, text) {
    root.setAttribute('data-viewer-state', s);
    status.textContent = text || '';
  }
  if (typeof window.OpenSeadragon !== 'function') {
    state('open-failed', 'OpenSeadragon did not load');
    return;
  }
  state('opening', 'loading…');
  var viewer = window.OpenSeadragon({
    element: el,
    prefixUrl: el.getAttribute('data-prefix-url'),
    tileSources: [url],
    showNavigator: true,
    crossOriginPolicy: 'Anonymous',
  });
  viewer.addHandler('open', function () {
    state('open');
  });
  viewer.addHandler('open-failed', function (e) {
    state('open-failed', 'Could not open the image: ' + (e && e.message ? e.message : 'unknown error'));
  });
  viewer.addOnceHandler('tile-loaded', function () {
    state('tile-loaded');
  });
  window.vellumViewer = viewer;
})();
`;

/** `/viewer/assets/vellum-viewer.css`: a one-line header over a full-window viewer (both pages). */
export const VIEWER_CSS = `html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; background: #111; color: #ddd; font: 14px/1.4 system-ui, sans-serif; }
header { flex: none; padding: 6px 12px; background: #222; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header .loc { color: #888; margin-right: 1em; }
header a { color: #7cc7ff; }
#status { color: #f0c674; margin-left: 1em; }
#viewer { flex: 1; min-height: 0; }
#mirador { flex: 1; min-height: 0; position: relative; }
body.error p { padding: 0 12px; }
`;
