import { IsISO8601, IsInt, IsNotEmpty, IsString, Min } from 'class-validator';
import { registerMessage } from '../registry';

/**
 * Event: a customer's access-control configuration changed (a role, access service or role provider was created,
 * changed or deleted; SPEC.md §3.3 "Access control configuration", §6). Every iiif-delivery replica drops its
 * cached view of that customer's roles and access services (the Auth 2.0 service descriptions it writes into
 * info.json, probe results and manifests), so the change shows within seconds everywhere.
 */
export class CustomerAccessControlChangedV1 {
  static readonly routingKey = 'customer.access-control.changed.v1';
  static readonly description =
    "A customer's roles, access services or role providers changed; delivery replicas drop their cached view of them.";
  static readonly producers = ['api-gateway'];
  static readonly consumers = ['iiif-delivery (cache invalidation)'];
  @IsInt() @Min(1) customerId!: number;
}
registerMessage(CustomerAccessControlChangedV1);

/**
 * Event: an IIIF Auth 2.0 session ended (logout, or revoked; SPEC.md §6 "logout service"). Delivery verifies
 * session cookies and access tokens locally (signed, `@vellum/access`), so each replica keeps the ids of ended
 * sessions until `expires` and refuses their tokens and cookies from then on.
 */
export class AuthSessionEndedV1 {
  static readonly routingKey = 'auth.session.ended.v1';
  static readonly description =
    'An Auth 2.0 session ended (logout); delivery replicas refuse its cookie and access tokens until they expire.';
  static readonly producers = ['auth-service'];
  static readonly consumers = ['iiif-delivery (token revocation)'];
  @IsInt() @Min(1) customerId!: number;
  /** The session id (the `sid` claim of its cookie and tokens). */
  @IsString() @IsNotEmpty() sessionId!: string;
  /** ISO 8601: when the last cookie or token of the session expires anyway; the revocation is forgotten after it. */
  @IsISO8601() expires!: string;
}
registerMessage(AuthSessionEndedV1);
