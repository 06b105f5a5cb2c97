import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_POLICY, type AuthPolicy } from './decorators';
import { ApiKeyService } from './api-key.service';
import { CustomerDirectory } from './customer-directory.service';
import type { VellumRequest } from './principal';
import { forbidden, notFound, unauthorized } from '../http/problems';
import { mapTransient } from '../http/transient-db.interceptor';

/**
 * Authorisation of the management API (SPEC.md §3.2), applied to every gateway controller:
 * - `@Public()` routes need nothing;
 * - routes with a `:customer` param need a key of that customer or an admin key (a non-admin key of another
 *   customer gets 403 whether or not the customer exists, so existence does not leak);
 * - every other route needs an admin key.
 * Missing or wrong credentials → 401 with `WWW-Authenticate: Basic realm="Vellum"`.
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
    const principal = await this.keys.authenticate(req.headers.authorization);
    if (!principal) {
      throw unauthorized(
        req.headers.authorization
          ? 'The API key or secret is not valid.'
          : 'This route needs HTTP Basic credentials (key:secret).',
      );
    }
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
