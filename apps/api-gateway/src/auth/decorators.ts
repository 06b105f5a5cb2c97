import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { CustomerRef, Principal, VellumRequest } from './principal';

export const AUTH_POLICY = 'vellum:auth-policy';
/** `public`: no key needed; `admin`: an admin key; `customer`: a key of the `:customer` route param or an admin key. */
export type AuthPolicy = 'public' | 'admin' | 'customer';

/** No credentials needed (entry point, set-up). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_POLICY, 'public');
/** Admin key needed (customer-less routes, SPEC.md §3.2). */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_POLICY, 'admin');

/** The customer of the `:customer` route param, resolved and authorised by the guard. */
export const CurrentCustomer = createParamDecorator((_: unknown, ctx: ExecutionContext): CustomerRef => {
  const req = ctx.switchToHttp().getRequest<VellumRequest>();
  if (!req.customer) throw new Error('CurrentCustomer used on a route without :customer');
  return req.customer;
});

/** The authenticated principal. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal | undefined => {
    return ctx.switchToHttp().getRequest<VellumRequest>().principal;
  },
);
