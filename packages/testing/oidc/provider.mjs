// A real OpenID provider (npm `oidc-provider` v9, ESM) for tests: spawned as a child process by
// src/oidc-provider.ts so that jest's CommonJS runtime never loads this ESM package.
//
// Input: the environment variable VELLUM_OIDC_CONFIG, JSON
//   { "port": number, "clients": [{ "clientId", "clientSecret", "redirectUris": [url] }],
//     "accounts": [{ "username", "password", "claims": { "groups": [..], "email": .. } }] }
// Listens on 127.0.0.1:<port>; the issuer is http://127.0.0.1:<port>. Prints one line "oidc-provider listening <issuer>".
//
// Interactions (login and consent) are a tiny handler of our own: GET /interaction/<uid> renders an HTML form
// (`<form id="login">` with inputs `username`, `password` and a `<button type="submit" id="submit">`); the POST checks
// the password against the accounts and, on success, grants every requested scope and claim at once (no consent page).
// A wrong password re-renders the form with `<p id="error">`.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.VELLUM_OIDC_CONFIG ?? '{}');
const port = Number(config.port);
const issuer = `http://127.0.0.1:${port}`;
const accounts = new Map((config.accounts ?? []).map((a) => [String(a.username).toLowerCase(), a]));

const STANDARD = {
  openid: ['sub'],
  profile: ['name', 'preferred_username', 'groups'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};

const provider = new Provider(issuer, {
  clients: (config.clients ?? []).map((c) => ({
    client_id: c.clientId,
    client_secret: c.clientSecret,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris ?? [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? 'client_secret_basic',
  })),
  // Every claim any account carries is known to the provider (custom claims under the scope of their name too).
  claims: (() => {
    const claims = { ...STANDARD };
    for (const a of accounts.values())
      for (const k of Object.keys(a.claims ?? {}))
        if (!Object.values(claims).some((list) => list.includes(k))) claims[k] = [k];
    return claims;
  })(),
  scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
  // Claims requested by scope land in the ID token (relying parties read roles from there).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  async findAccount(_ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: account.username,
          name: account.username,
          ...(account.claims ?? {}),
        };
      },
    };
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Error</title><h1 id="error">${esc(out.error)}</h1><p>${esc(out.error_description ?? '')}</p>`;
  },
  ttl: {
    Session: 3600,
    Interaction: 600,
    Grant: 3600,
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
  },
});
provider.proxy = false;

function esc(s) {
  return String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function loginPage(uid, clientId, error) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in to the test provider</h1><p>Client: ${esc(clientId)}</p>
${error ? `<p id="error">${esc(error)}</p>` : ''}
<form id="login" method="post" action="/interaction/${esc(uid)}/login">
<label>Username <input name="username" id="username" autocomplete="username"></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button type="submit" id="submit">Sign in</button>
</form></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Grants every scope and claim asked for in this interaction; returns the grant id. */
async function grantAll(details, accountId) {
  const { params, prompt } = details;
  let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  if (!grant) grant = new provider.Grant({ accountId, clientId: params.client_id });
  const missing = prompt.details ?? {};
  grant.addOIDCScope(missing.missingOIDCScope?.join(' ') ?? String(params.scope ?? 'openid'));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes)
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes))
      grant.addResourceScope(indicator, scopes.join(' '));
  return grant.save();
}

async function interaction(req, res, url) {
  const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
  if (!m) return false;
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== m[1]) throw new Error('interaction mismatch');
  const html = (status, body) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  };
  if (details.prompt.name === 'consent') {
    // Already logged in: consent is implied (a test provider).
    const grantId = await grantAll(details, details.session.accountId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return true;
  }
  if (req.method === 'GET' && !m[2]) {
    html(200, loginPage(details.uid, details.params.client_id));
    return true;
  }
  if (req.method === 'POST' && m[2]) {
    const form = await readForm(req);
    const username = String(form.get('username') ?? '').toLowerCase();
    const account = accounts.get(username);
    if (!account || account.password !== form.get('password')) {
      html(200, loginPage(details.uid, details.params.client_id, 'Invalid username or password'));
      return true;
    }
    const grantId = await grantAll({ ...details, prompt: { details: {} } }, username);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: username }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return true;
  }
  res.writeHead(405).end();
  return true;
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', issuer);
  interaction(req, res, url)
    .then((handled) => {
      if (!handled) callback(req, res);
    })
    .catch((err) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${err.message}`);
    });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider listening ${issuer}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
