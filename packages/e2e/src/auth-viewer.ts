import http from 'node:http';

/**
 * A IIIF Authorization Flow 2.0 client, as a viewer implements it (IIIF Auth 2.0 §3 "Workflow from the client's
 * perspective"), on a page served from ANOTHER origin than Vellum: a library's own site. The page's script, `window.viewer`,
 * does exactly what a viewer does, one step per method, so a browser test can walk the flow and check each step:
 *
 * 1. `loadInfo(infoJsonUrl)`: reads an image service's info.json and finds its `AuthProbeService2`, the nested
 *    `AuthAccessService2` and that one's `AuthAccessTokenService2` and `AuthLogoutService2`.
 * 2. `probe(token?)`: GETs the probe service (with `Authorization: Bearer <token>` when given, never with cookies)
 *    and returns the `AuthProbeResult2`.
 * 3. The `#login` button: `window.open(access + '?origin=' + location.origin)` (the access service, profile active);
 *    `accessClosed()` resolves once that window has closed (the client polls `closed`, §3).
 * 4. `requestToken({origin?})`: loads the token service in a hidden iframe with `messageId` and `origin` (default
 *    the page's own) and resolves with the message the iframe posts back (`AuthAccessToken2` or
 *    `AuthAccessTokenError2`) whose `messageId` matches, or `{timeout: true}` after `timeoutMs`.
 * 5. `showImage(url)`: an `<img>` on the page (no `crossorigin`: the browser sends the cookies it has for the image's
 *    host, as OpenSeadragon's tiles do); resolves with whether it decoded and its natural size.
 * 6. `fetchImage(url, token?)`: a CORS fetch without cookies, with the bearer token when given; status, content
 *    type and the decoded size.
 * 7. The `#logout` button: opens the logout service in a new window.
 *
 * `messages` lists every `message` event the page received (origin and data), so a test can check that none came.
 */
export const AUTH_VIEWER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Auth 2.0 client</title><link rel="icon" href="data:,"></head>
<body>
<h1>A IIIF Auth 2.0 client</h1>
<button id="login" type="button">Log in</button>
<button id="logout" type="button">Log out</button>
<div id="images"></div>
<script>
(function () {
  'use strict';
  var list = function (v) { return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]; };
  var typeOf = function (s) { return s && (s.type || s['@type']); };
  var idOf = function (s) { return s && (s.id || s['@id']); };
  var viewer = {
    services: null,
    messages: [],
    accessWindow: null,
    accessClosedPromise: null,
    logoutWindow: null,
    loadInfo: async function (url) {
      var res = await fetch(url, { credentials: 'omit' });
      var info = await res.json();
      var probe = list(info.service).find(function (s) { return typeOf(s) === 'AuthProbeService2'; });
      if (!probe) { viewer.services = null; return { status: res.status, info: info, services: null }; }
      var access = list(probe.service).find(function (s) { return typeOf(s) === 'AuthAccessService2'; });
      var inner = list(access && access.service);
      var token = inner.find(function (s) { return typeOf(s) === 'AuthAccessTokenService2'; });
      var logout = inner.find(function (s) { return typeOf(s) === 'AuthLogoutService2'; });
      viewer.services = {
        probe: idOf(probe),
        access: idOf(access),
        profile: access && access.profile,
        label: access && access.label,
        confirmLabel: access && access.confirmLabel,
        token: idOf(token),
        logout: idOf(logout),
      };
      return { status: res.status, info: info, services: viewer.services };
    },
    probe: async function (token) {
      var headers = token ? { Authorization: 'Bearer ' + token } : {};
      var res = await fetch(viewer.services.probe, { headers: headers, credentials: 'omit' });
      var text = await res.text();
      var body;
      try { body = JSON.parse(text); } catch (e) { body = text; }
      return { httpStatus: res.status, body: body };
    },
    openAccess: function () {
      var url = viewer.services.access + '?origin=' + encodeURIComponent(location.origin);
      var win = window.open(url, '_blank');
      viewer.accessWindow = win;
      viewer.accessClosedPromise = new Promise(function (resolve) {
        var timer = setInterval(function () {
          if (!win || win.closed) { clearInterval(timer); resolve(true); }
        }, 100);
      });
    },
    accessClosed: function () { return viewer.accessClosedPromise; },
    openLogout: function () { viewer.logoutWindow = window.open(viewer.services.logout, '_blank'); },
    requestToken: function (opts) {
      opts = opts || {};
      var messageId = 'm' + Math.random().toString(36).slice(2);
      var origin = opts.origin || location.origin;
      var service = opts.service || viewer.services.token;
      var serviceOrigin = new URL(service).origin;
      return new Promise(function (resolve) {
        var frame = document.createElement('iframe');
        frame.style.display = 'none';
        var done = function (value) {
          window.removeEventListener('message', onMessage);
          clearTimeout(timer);
          frame.remove();
          resolve(value);
        };
        var onMessage = function (event) {
          if (event.origin !== serviceOrigin) return;
          if (!event.data || event.data.messageId !== messageId) return;
          done({ messageId: messageId, message: event.data });
        };
        var timer = setTimeout(function () { done({ messageId: messageId, timeout: true }); }, opts.timeoutMs || 10000);
        window.addEventListener('message', onMessage);
        frame.src = service + '?messageId=' + encodeURIComponent(messageId) + '&origin=' + encodeURIComponent(origin);
        document.body.appendChild(frame);
      });
    },
    showImage: function (url, timeoutMs) {
      return new Promise(function (resolve) {
        var img = new Image();
        var timer = setTimeout(function () { resolve({ ok: false, timeout: true }); }, timeoutMs || 20000);
        img.onload = function () {
          img.decode().then(function () {
            clearTimeout(timer);
            resolve({ ok: true, width: img.naturalWidth, height: img.naturalHeight });
          }, function () { clearTimeout(timer); resolve({ ok: false, decode: false }); });
        };
        img.onerror = function () { clearTimeout(timer); resolve({ ok: false }); };
        img.src = url;
        document.getElementById('images').appendChild(img);
      });
    },
    fetchImage: async function (url, token) {
      var headers = token ? { Authorization: 'Bearer ' + token } : {};
      var res = await fetch(url, { headers: headers, credentials: 'omit' });
      var out = { status: res.status, contentType: res.headers.get('content-type') };
      if (res.ok) {
        var bitmap = await createImageBitmap(await res.blob());
        out.width = bitmap.width;
        out.height = bitmap.height;
      }
      return out;
    },
  };
  window.addEventListener('message', function (event) {
    viewer.messages.push({ origin: event.origin, data: event.data });
  });
  document.getElementById('login').addEventListener('click', viewer.openAccess);
  document.getElementById('logout').addEventListener('click', viewer.openLogout);
  window.viewer = viewer;
})();
</script></body></html>
`;

/** The Auth 2.0 client page served on a loopback port. */
export interface AuthViewerServer {
  /** `http://127.0.0.1:{port}` */
  origin: string;
  /** `{origin}/viewer.html` */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves {@link AUTH_VIEWER_PAGE} at `/viewer.html` on `127.0.0.1:port` (anything else 404).
 * @param port the TCP port (0: a free one).
 */
export async function startAuthViewer(port = 0): Promise<AuthViewerServer> {
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (pathname !== '/viewer.html') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(AUTH_VIEWER_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return {
    origin,
    url: `${origin}/viewer.html`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
