import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_POLICY, type AuthPolicy } from './decorators';
import { ApiKeyService } from './api-key.service';
import { CustomerDirectory } from './customer-directory.service';
import type { VellumRequest } from './principal';
import { forbidden, notFound, tooManyRequests, unauthorized, unavailable } from '../http/problems';
import { mapTransient } from '../http/transient-db.interceptor';

/**
 * The client address failed authentications are counted against: Express's `req.ip`, which follows the app's
 * `trust proxy` setting (the socket address unless the request came through a trusted proxy).
 */
export function clientAddress(req: { ip?: string; socket?: { remoteAddress?: string } }): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

/**
 * Authorisation of the management API (SPEC.md §3.2), applied to every gateway controller:
 * - `@Public()` routes need nothing;
 * - routes with a `:customer` param need a key of that customer or an admin key (a non-admin key of another
 *   customer gets 403 whether or not the customer exists, so existence does not leak);
 * - every other route needs an admin key.
 * Missing or wrong credentials → 401 with `WWW-Authenticate: Basic realm="Vellum"`; too many failures → 429 with
 * `Retry-After`; hash queue full → 503 with `Retry-After` (see {@link ApiKeyService}).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly customers: CustomerDirectory,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    try {
      return await this.authorize(context);
    } catch (err) {
      throw mapTransient(err);
    }
  }

  private async authorize(context: ExecutionContext): Promise<boolean> {
    const policy =
      this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'customer';
    if (policy === 'public') return true;
    const req = context.switchToHttp().getRequest<VellumRequest>();
    const result = await this.keys.authenticate(req.headers.authorization, clientAddress(req));
    if ('kind' in result) {
      if (result.kind === 'throttled') {
        throw tooManyRequests(
          result.refusal.scope === 'address'
            ? 'Too many failed authentication attempts from this address; retry later.'
            : 'Too many failed authentication attempts for this key; retry later.',
          result.refusal.retryAfterSeconds,
        );
      }
      if (result.kind === 'busy')
        throw unavailable('Too many authentication attempts are being verified; retry shortly.');
      throw unauthorized(
        req.headers.authorization
          ? 'The API key or secret is not valid.'
          : 'This route needs HTTP Basic credentials (key:secret).',
      );
    }
    const principal = result;
    req.principal = principal;
    const segment = typeof req.params?.customer === 'string' ? req.params.customer : undefined;
    if (policy === 'admin' || segment === undefined) {
      if (!principal.isAdmin) throw forbidden('This route needs an admin key.');
      if (segment === undefined) return true;
    }
    const customer = await this.customers.resolve(segment);
    if (!principal.isAdmin) {
      if (!customer || customer.id !== principal.customerId)
        throw forbidden('This key may not act on that customer.');
    }
    if (!customer) throw notFound(`Customer ${segment} not found.`);
    req.customer = customer;
    return true;
  }
}
