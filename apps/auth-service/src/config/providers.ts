import { Inject, Injectable, type Provider } from '@nestjs/common';
import type { Request } from 'express';
import { AuthSigner, DEVELOPMENT_SIGNING_KEY } from '@vellum/access';
import { publicBaseUrl, trustedProxies, type TrustProxy } from '@vellum/common';
import { parseKey, SecretBox } from '@vellum/secrets';
import { AuthServiceEnv } from '../auth-service.env';
import { FormSigner } from '../http/form-signer';

/** Nest token of the {@link AuthSigner} built from `VELLUM_AUTH_SIGNING_KEY` (+ previous keys). */
export const AUTH_SIGNER = Symbol('AUTH_SIGNER');
/** Nest token of the {@link FormSigner} (CSRF tokens, OIDC state), keyed from the current signing key. */
export const FORM_SIGNER = Symbol('FORM_SIGNER');
/** Nest token of the {@link SecretBox} built from `VELLUM_SECRETS_KEY` (+ previous keys): opens OIDC client secrets. */
export const SECRET_BOX = Symbol('SECRET_BOX');

/** The providers of the keys above for a validated environment. */
export function keyProviders(env: AuthServiceEnv): Provider[] {
  const production = env.NODE_ENV === 'production';
  const current = env.VELLUM_AUTH_SIGNING_KEY?.split(',')[0]?.trim();
  return [
    {
      provide: AUTH_SIGNER,
      useValue: AuthSigner.fromConfig({
        key: current,
        previousKeys: env.VELLUM_AUTH_SIGNING_PREVIOUS_KEYS,
        production,
      }),
    },
    { provide: FORM_SIGNER, useValue: new FormSigner(current ? parseKey(current) : DEVELOPMENT_SIGNING_KEY) },
    {
      provide: SECRET_BOX,
      useValue: SecretBox.fromConfig({
        key: env.VELLUM_SECRETS_KEY,
        previousKeys: env.VELLUM_SECRETS_PREVIOUS_KEYS,
        nodeEnv: env.NODE_ENV,
      }),
    },
  ];
}

/** Where a request came from and which public base `{auth}` it addressed (SPEC.md §5 rule). */
@Injectable()
export class RequestContext {
  private readonly trust: TrustProxy;

  constructor(@Inject(AuthServiceEnv) private readonly env: AuthServiceEnv) {
    this.trust = trustedProxies(env.VELLUM_TRUSTED_PROXIES);
  }

  /** `{auth}`: `VELLUM_AUTH_URL` when set, else the request's public origin; no trailing slash. */
  authBase(req: Request): string {
    return publicBaseUrl(req, this.trust, this.env.VELLUM_AUTH_URL);
  }

  /**
   * The client's address: the socket's peer, or, behind trusted proxies, the nearest `X-Forwarded-For` entry
   * that is not itself a trusted proxy (the rate limiter's per-address key).
   */
  clientAddress(req: Request): string {
    const peer = req.socket.remoteAddress ?? 'unknown';
    const forwarded = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .reverse();
    const chain = [peer, ...forwarded];
    let i = 0;
    while (i < chain.length - 1 && this.trust(chain[i], i)) i++;
    return chain[i];
  }
}
