import path from 'node:path';
import { type Daemon, startDaemon } from './daemon';
import { freePort } from './wait';

/** A confidential client registered at the test OpenID provider (grant authorization_code, PKCE S256 required). */
export interface OidcTestClient {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs the provider accepts (e.g. auth-service's `{auth}/auth/v2/oidc/callback`). */
  redirectUris: string[];
  /** Where RP-initiated logout may send the browser back to (optional). */
  postLogoutRedirectUris?: string[];
  /** How the client authenticates at the token endpoint (default `client_secret_basic`; or `client_secret_post`). */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

/**
 * A test account: the username is the `sub` (lower-cased); `claims` are added to the ID token and userinfo (e.g.
 * `{ groups: ['staff'], email: 'a@example.org' }`). `groups` is released with the `profile` scope and the `groups`
 * scope, `email` with `email`; any other claim with the scope of its own name.
 */
export interface OidcTestAccount {
  username: string;
  password: string;
  claims?: Record<string, unknown>;
}

/** Options of {@link startOidcProvider}. */
export interface StartOidcProviderOptions {
  /** The 127.0.0.1 port to listen on (default: a free one). */
  port?: number;
  clients: OidcTestClient[];
  accounts: OidcTestAccount[];
}

/** A running test OpenID provider. */
export interface OidcTestProvider {
  /** `http://127.0.0.1:<port>` (discovery at `{issuer}/.well-known/openid-configuration`). */
  issuer: string;
  port: number;
  /** What the provider process printed so far (for failure messages). */
  output(): string;
  /** Stops the provider process. */
  stop(): Promise<void>;
}

/** The provider script (ESM), next to src/ and dist/. */
export const OIDC_PROVIDER_SCRIPT = path.join(__dirname, '..', 'oidc', 'provider.mjs');

/**
 * Starts a REAL OpenID Connect provider (npm `oidc-provider` v9) as a child node process on a loopback port, so a test
 * can drive a genuine authorization-code flow (plain HTTP or a browser). Login is an HTML form at
 * `{issuer}/interaction/<uid>`: `<form id="login">` with inputs `#username`, `#password` and the button `#submit`
 * (a wrong password re-renders it with `#error`); consent is granted automatically for every requested scope. ID tokens
 * carry the account's claims (`conformIdTokenClaims: false`). Sessions, codes and tokens live in the process's memory.
 * @throws Error with the process's output when it does not listen within 30 s.
 */
export async function startOidcProvider(opts: StartOidcProviderOptions): Promise<OidcTestProvider> {
  const port = opts.port ?? (await freePort());
  const daemon: Daemon = await startDaemon({
    command: process.execPath,
    args: [OIDC_PROVIDER_SCRIPT],
    port,
    description: 'oidc-provider',
    cwd: path.dirname(OIDC_PROVIDER_SCRIPT),
    env: {
      VELLUM_OIDC_CONFIG: JSON.stringify({ port, clients: opts.clients, accounts: opts.accounts }),
      // oidc-provider warns loudly about development-only settings (http issuer, generated keys): expected here.
      NODE_ENV: 'test',
    },
  });
  return {
    issuer: `http://127.0.0.1:${port}`,
    port,
    output: () => daemon.output(),
    stop: () => daemon.stop(5000),
  };
}
