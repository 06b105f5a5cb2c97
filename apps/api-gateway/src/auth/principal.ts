import type { Request } from 'express';

/** The authenticated caller: an API key and the customer it belongs to. */
export interface Principal {
  key: string;
  customerId: number;
  isAdmin: boolean;
}

/** A customer as needed for routing/authorisation (cached). */
export interface CustomerRef {
  id: number;
  name: string;
  isAdmin: boolean;
}

/** What the auth guard attaches to the request. */
export interface VellumRequest extends Request {
  principal?: Principal;
  customer?: CustomerRef;
}
