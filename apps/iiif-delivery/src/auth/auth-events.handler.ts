import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AuthSessionEndedV1, CustomerAccessControlChangedV1 } from '@vellum/contracts';
import { AssetLookupService } from '../asset-lookup.service';
import { PresentationCache } from '../presentation/presentation-cache.service';
import { AccessViewService } from './access-view.service';
import { CallerService } from './caller.service';

/**
 * The access-control events every iiif-delivery replica hears on its own exclusive queue (SPEC.md §6), like the
 * cache-invalidation handler:
 * - `auth.session.ended.v1`: the session's cookie and access tokens are refused from now until its `expires`
 *   (credentials are verified locally, so this is how a logout reaches delivery);
 * - `customer.access-control.changed.v1`: the customer's cached access view goes, with the cached lookups (their
 *   info.json documents and manifests carry its Auth 2.0 services) and named-query projections of the customer.
 */
@Controller()
export class AuthEventsHandler {
  private readonly logger = new Logger(AuthEventsHandler.name);

  constructor(
    private readonly callers: CallerService,
    private readonly views: AccessViewService,
    private readonly lookup: AssetLookupService,
    private readonly presentations: PresentationCache,
  ) {}

  /** A session ended (logout): refuse its credentials on this replica until they expire anyway. */
  @EventPattern(AuthSessionEndedV1.routingKey, { exclusive: true })
  onSessionEnded(@Payload() msg: AuthSessionEndedV1): void {
    this.callers.revoke(msg.sessionId, msg.expires);
    this.logger.debug(`session ${msg.sessionId} of customer ${msg.customerId} ended until ${msg.expires}`);
  }

  /** A customer's roles, access services or role providers changed: drop what was built from them. */
  @EventPattern(CustomerAccessControlChangedV1.routingKey, { exclusive: true })
  onAccessControlChanged(@Payload() msg: CustomerAccessControlChangedV1): void {
    this.views.invalidate(msg.customerId);
    const dropped = this.lookup.invalidateCustomer(msg.customerId);
    this.presentations.invalidateCustomer(msg.customerId);
    this.logger.debug(
      `access control of customer ${msg.customerId} changed: ${dropped} cached lookups dropped`,
    );
  }
}
