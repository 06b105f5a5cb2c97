import { Inject, Injectable, Logger } from '@nestjs/common';
import { type BaseClient, custom, errors, generators, Issuer, type TokenSet } from 'openid-client';
import type { SecretBox } from '@vellum/secrets';
import { AuthServiceEnv } from '../auth-service.env';
import { SECRET_BOX } from '../config/providers';
import type { ResolvedAccessService } from '../access/access-services.repository';

/** How long a discovered issuer document is reused, ms. */
const DISCOVERY_TTL_MS = 10 * 60_000;

/** The provider could not be reached or answered nonsense: 502/503 for the user, never a stack trace. */
export class OidcUnavailableError extends Error {
  override readonly name = 'OidcUnavailableError';
}

/** The provider refused, or its answer did not validate (state, nonce, ID token, PKCE): 401 for the user. */
export class OidcRejectedError extends Error {
  override readonly name = 'OidcRejectedError';
}

/** The transient state of one authorization request (kept in a signed cookie until the callback). */
export interface OidcTransient {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

/** What the callback learnt: the user's `sub` and the values of the provider's role claim. */
export interface OidcIdentity {
  subject: string;
  claimValues: string[];
}

/**
 * OpenID Connect role providers (issue 10 contract "roleProviders" type `oidc`) with `openid-client@5`:
 * discovery from the issuer (`{issuer}/.well-known/openid-configuration`), the authorization code flow with PKCE
 * S256, `state` and `nonce`, the ID token validated by openid-client (signature, `iss`, `aud`, `exp`, `nonce`),
 * the role claim read from the ID token or else from userinfo. The client secret is opened with the SecretBox
 * (context `role-provider:{customerId}:{name}`).
 */
@Injectable()
export class OidcService {
  private readonly logger = new Logger(OidcService.name);
  private readonly issuers = new Map<string, { issuer: Issuer; at: number }>();

  constructor(
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(AuthServiceEnv) env: AuthServiceEnv,
  ) {
    custom.setHttpOptionsDefaults({ timeout: env.VELLUM_AUTH_OIDC_TIMEOUT_MS });
  }

  /**
   * Starts a login: the provider's authorization URL (to redirect to) and the transient state to keep.
   * @param redirectUri always `{auth}/auth/v2/access/{c}/{service}/callback`.
   * @throws OidcUnavailableError when discovery fails or the provider is misconfigured.
   */
  async begin(
    resolved: ResolvedAccessService,
    redirectUri: string,
  ): Promise<{ url: string; transient: OidcTransient }> {
    const client = await this.client(resolved, redirectUri);
    const transient: OidcTransient = {
      state: generators.state(),
      nonce: generators.nonce(),
      codeVerifier: generators.codeVerifier(),
      redirectUri,
    };
    const url = client.authorizationUrl({
      scope: resolved.provider.scopes?.trim() || 'openid profile email',
      redirect_uri: redirectUri,
      response_type: 'code',
      state: transient.state,
      nonce: transient.nonce,
      code_challenge: generators.codeChallenge(transient.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, transient };
  }

  /**
   * Completes a login at the callback: exchanges the code (with the PKCE verifier), validates the ID token
   * (nonce included) and reads the role claim.
   * @param params the callback's query parameters.
   * @throws OidcRejectedError (the provider said no, or validation failed), OidcUnavailableError (unreachable).
   */
  async complete(
    resolved: ResolvedAccessService,
    params: Record<string, string>,
    transient: OidcTransient,
  ): Promise<OidcIdentity> {
    const client = await this.client(resolved, transient.redirectUri);
    let tokens: TokenSet;
    try {
      tokens = await client.callback(transient.redirectUri, params, {
        state: transient.state,
        nonce: transient.nonce,
        code_verifier: transient.codeVerifier,
        response_type: 'code',
      });
    } catch (err) {
      throw this.classify(err);
    }
    const claims = tokens.claims();
    const claimName = resolved.provider.claim?.trim();
    let raw: unknown = claimName ? claims[claimName] : undefined;
    if (claimName && raw === undefined && tokens.access_token && client.issuer.metadata.userinfo_endpoint) {
      try {
        const info = await client.userinfo(tokens.access_token);
        if (info.sub !== claims.sub) throw new OidcRejectedError('userinfo sub differs from the ID token');
        raw = info[claimName];
      } catch (err) {
        throw this.classify(err);
      }
    }
    const values = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw])
      .filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      .map(String);
    return { subject: claims.sub, claimValues: values };
  }

  /**
   * The role names an identity gets: the role mapping's entries for each claim value, plus its `*` entry (any
   * authenticated user); `toName` turns a mapped name or role URI into one of this customer's role names.
   */
  static mapRoles(
    mapping: unknown,
    identity: OidcIdentity,
    toName: (ref: unknown) => string | undefined,
  ): string[] {
    if (!mapping || typeof mapping !== 'object' || Array.isArray(mapping)) return [];
    const table = mapping as Record<string, unknown>;
    const out = new Set<string>();
    for (const key of [...identity.claimValues, '*']) {
      if (!Object.prototype.hasOwnProperty.call(table, key)) continue;
      const refs = table[key];
      for (const ref of Array.isArray(refs) ? refs : [refs]) {
        const name = toName(ref);
        if (name) out.add(name);
      }
    }
    return [...out];
  }

  private async client(resolved: ResolvedAccessService, redirectUri: string): Promise<BaseClient> {
    const p = resolved.provider;
    if (!p.issuer || !p.clientId)
      throw new OidcUnavailableError(`role provider ${p.name} lacks issuer or clientId`);
    const issuer = await this.discover(p.issuer);
    let secret: string | undefined;
    if (p.clientSecret) {
      try {
        secret = this.box.open(p.clientSecret, `role-provider:${resolved.customerId}:${p.name}`);
      } catch (err) {
        this.logger.error(
          `cannot open the client secret of role provider ${resolved.customerId}/${p.name}: ${(err as Error).message}`,
        );
        throw new OidcUnavailableError('client secret cannot be opened');
      }
    }
    return new issuer.Client({
      client_id: p.clientId,
      ...(secret
        ? { client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' }
        : { token_endpoint_auth_method: 'none' }),
      redirect_uris: [redirectUri],
      response_types: ['code'],
    });
  }

  private async discover(issuerUrl: string): Promise<Issuer> {
    const hit = this.issuers.get(issuerUrl);
    if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.issuer;
    try {
      const issuer = await Issuer.discover(issuerUrl);
      this.issuers.set(issuerUrl, { issuer, at: Date.now() });
      return issuer;
    } catch (err) {
      this.logger.warn(`OIDC discovery of ${issuerUrl} failed: ${(err as Error).message}`);
      throw new OidcUnavailableError(`discovery of ${issuerUrl} failed`);
    }
  }

  private classify(err: unknown): Error {
    if (err instanceof OidcRejectedError || err instanceof OidcUnavailableError) return err;
    if (err instanceof errors.OPError || err instanceof errors.RPError) {
      this.logger.warn(`OIDC login refused: ${err.message}`);
      return new OidcRejectedError(err.message);
    }
    this.logger.warn(`OIDC provider unreachable: ${(err as Error)?.message ?? String(err)}`);
    return new OidcUnavailableError((err as Error)?.message ?? 'provider error');
  }
}
