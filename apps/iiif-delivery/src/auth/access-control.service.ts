import { Injectable } from '@nestjs/common';
import type { Caller, ImageRequestAccess } from '@vellum/access';
import type { AuthAccessService } from '@vellum/iiif';
import type { ProblemException } from '@vellum/common';
import type { DeliveryAsset } from '../asset-lookup.service';
import { deliveryError } from '../delivery-errors';
import { PublicUrls } from '../public-url.service';
import { AccessViewService } from './access-view.service';
import { accessServicesFor } from './auth-services';
import { CallerService, type CredentialHeaders } from './caller.service';

/**
 * `Vary` of every response whose content depends on the caller's credential (SPEC.md §5, §6): shared caches must
 * not give one caller's answer to another (restricted responses are `private` anyway; this also keeps browsers
 * from reusing a 401 after a login).
 */
export const VARY_CREDENTIALS = 'Cookie, Authorization';

/**
 * The headers of a 401/403 of a restricted resource: never stored by shared caches, and not reused by the browser
 * once the caller has a credential.
 */
export const REFUSAL_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'private, no-store',
  Vary: VARY_CREDENTIALS,
});

/**
 * The problem answered when `@vellum/access` says `needs-role` (SPEC.md §6): 401 when the request had no valid
 * credential (IIIF Auth 2.0: the client should go through the probe's access services), 403 when it had one
 * without any of the asset's roles. `Cache-Control: private, no-store`, `Vary: Cookie, Authorization`.
 * @param what the resource refused, for the message (e.g. `This image of asset 1/2/x`).
 */
export function refusal(decision: { authenticated: boolean }, what: string): ProblemException {
  return decision.authenticated
    ? deliveryError(403, `${what} requires a role your credential does not grant`, { ...REFUSAL_HEADERS })
    : deliveryError(
        401,
        `${what} is restricted: it requires authorisation (IIIF Auth 2.0: see the probe service of its info.json or manifest)`,
        { ...REFUSAL_HEADERS },
      );
}

/** Throws the {@link refusal} of a `needs-role` decision; returns for `allowed` (and `over-max-width`). */
export function assertAllowed(decision: ImageRequestAccess, what: string): void {
  if (decision.outcome === 'needs-role') throw refusal(decision, what);
}

/**
 * The access-control seam of delivery's controllers (SPEC.md §6): who the caller of a request is (only worth
 * asking for a restricted asset), the public base of auth-service, and the Auth 2.0 access services of an asset.
 * The decisions themselves are @vellum/access's (`imageRequestAccess`, `bytesAccess`, `probeOutcome`).
 */
@Injectable()
export class AccessControlService {
  constructor(
    private readonly callers: CallerService,
    private readonly views: AccessViewService,
    private readonly urls: PublicUrls,
  ) {}

  /** The caller of a request for `asset`; `undefined` for an open asset (no credential is read). */
  async callerFor(
    headers: CredentialHeaders,
    asset: Pick<DeliveryAsset, 'customerId' | 'roles'>,
  ): Promise<Caller> {
    if (asset.roles.length === 0) return undefined;
    return this.callers.callerOf(headers, asset.customerId);
  }

  /** The public base of auth-service for a request: `VELLUM_AUTH_URL`, else the request's own public base. */
  authBase(req: Parameters<PublicUrls['base']>[0]): string {
    return this.urls.auth(req);
  }

  /** The Auth 2.0 access services of a restricted asset (empty for an open one), under `authBase`. */
  async accessServices(
    asset: Pick<DeliveryAsset, 'customerId' | 'roles'>,
    authBase: string,
  ): Promise<AuthAccessService[]> {
    if (asset.roles.length === 0) return [];
    return accessServicesFor(await this.views.viewOf(asset.customerId), asset.roles, authBase);
  }
}
