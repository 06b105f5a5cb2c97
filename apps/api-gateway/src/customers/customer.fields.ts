import type { Customer } from '@vellum/db';
import { LIMITS } from '../http/limits';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/**
 * The customer resource (`vocab:Customer`, SPEC.md §3.3 "Customers"), field by field: the body keys of
 * `POST /customers` and `PATCH C`, the `orderBy` whitelist and filters of `GET /customers`, the presenter and the
 * OpenAPI schema are derived from it.
 *
 * Links: SPEC.md §3.1 says every advertised link resolves, so a customer renders links only to the routes that
 * exist: `keys`, `spaces`, `queue`, `namedQueries`, `originStrategies`, `storage`, `deliveryChannelPolicies`,
 * `defaultDeliveryChannels`, `customHeaders`, `roles`, `accessServices`, `roleProviders`, `users`.
 * LEAD: as their routes land on main, add here (type 'link', render from {@link Links}): `allImages`,
 * `deleteImages`, `storagePolicy`, `queue/priority`... (the customers int-spec follows every link).
 */
export const CUSTOMER_FIELDS = defineFields<Customer, Links>()(
  'vocab:Customer',
  {
    id: { type: 'integer', description: 'Customer id (used in every URL)', order: true },
    name: {
      type: 'string',
      description: `URL-safe unique name: ^[a-zA-Z0-9_.-]+$, ≤ ${LIMITS.customerName} chars, not "admin", not v<digits>, not all digits; set on create only`,
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.customerName,
    },
    displayName: {
      type: 'string',
      description: `Human-readable name, unique across customers (≤ ${LIMITS.displayName} chars)`,
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.displayName,
    },
    administrator: {
      column: 'isAdmin',
      type: 'boolean',
      description: 'True for the admin customer (omitted otherwise)',
      render: (c) => c.isAdmin || undefined,
    },
    created: { type: 'date-time', description: 'When the customer was created', render: 'iso', order: true },
    keys: {
      type: 'link',
      description: "The customer's API keys",
      render: (c, links) => links.keys(c.id),
    },
    spaces: {
      type: 'link',
      description: "The customer's spaces",
      render: (c, links) => links.spaces(c.id),
    },
    queue: {
      type: 'link',
      description: "The customer's ingest queue",
      render: (c, links) => links.queue(c.id),
    },
    namedQueries: {
      type: 'link',
      description: "The customer's named queries (and the global ones)",
      render: (c, links) => links.namedQueries(c.id),
    },
    originStrategies: {
      type: 'link',
      description: "The customer's origin strategies",
      render: (c, links) => links.originStrategies(c.id),
    },
    storage: {
      type: 'link',
      description: "The customer's storage totals (vocab:CustomerStorage)",
      render: (c, links) => links.storage(c.id),
    },
    deliveryChannelPolicies: {
      type: 'link',
      description: "The customer's delivery channel policies, one collection per channel",
      render: (c, links) => links.deliveryChannelPolicies(c.id),
    },
    defaultDeliveryChannels: {
      type: 'link',
      description: "The customer's default delivery channel rules",
      render: (c, links) => links.defaultDeliveryChannels(c.id),
    },
    customHeaders: {
      type: 'link',
      description: "HTTP headers added to the image responses of the customer's assets",
      render: (c, links) => links.customHeaders(c.id),
    },
    roles: {
      type: 'link',
      description: "The customer's roles (access control)",
      render: (c, links) => links.roles(c.id),
    },
    accessServices: {
      type: 'link',
      description: "The customer's IIIF Auth 2.0 access services",
      render: (c, links) => links.accessServices(c.id),
    },
    roleProviders: {
      type: 'link',
      description: "The customer's role providers (clickthrough, built-in accounts, OIDC)",
      render: (c, links) => links.roleProviders(c.id),
    },
    users: {
      type: 'link',
      description: "The accounts of the customer's built-in role provider",
      render: (c, links) => links.users(c.id),
    },
    // LEAD: further customer links go here (see the comment above), only once their routes exist.
  },
  ['id'],
);

/** Writable fields set on create only (`PATCH C` with `name` → 400, SPEC.md §3.3). */
export const CUSTOMER_CREATE_ONLY = ['name'] as const;

/** Fields `PATCH C` accepts: the writable ones less {@link CUSTOMER_CREATE_ONLY}. */
export const CUSTOMER_PATCHABLE = CUSTOMER_FIELDS.writable.filter(
  (k) => !(CUSTOMER_CREATE_ONLY as readonly string[]).includes(k),
);
