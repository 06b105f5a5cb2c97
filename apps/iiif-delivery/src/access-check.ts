import { deliveryError } from './delivery-errors';

/**
 * The access-control check point of the byte channels (`/file/`, `/iiif-av/`; SPEC.md §5, §6): the one function
 * the access-control issue replaces with the IIIF Auth 2.0 check (the session cookie or bearer token of
 * auth-service, 403 when authenticated without one of the asset's roles, `Cache-Control: private`).
 * Until then an asset with roles is never served.
 * @param asset the asset's roles.
 * @param label `customer/space/id`, for the message.
 * @throws ProblemException 401 when `roles` is non-empty.
 */
export function assertAuthorised(asset: { roles: readonly string[] }, label: string): void {
  if (asset.roles.length === 0) return;
  throw deliveryError(
    401,
    `Asset ${label} is restricted: it requires authorisation (IIIF Auth 2.0 is not available on this service yet)`,
  );
}
