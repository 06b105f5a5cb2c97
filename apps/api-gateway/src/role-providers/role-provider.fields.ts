import type { RoleProvider } from '@vellum/db';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';
import { ACCESS_NAME_MAX } from '../roles/access-control';

/** What a stored client secret is rendered as (it is write-only). */
export const SECRET_PLACEHOLDER = 'xxx';

/** A stored role mapping rendered with role URIs. */
function renderMapping(p: RoleProvider, links: Links): Record<string, string[]> | undefined {
  const m = p.roleMapping;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return undefined;
  return Object.fromEntries(
    Object.entries(m as Record<string, unknown>).map(([k, v]) => [
      k,
      (Array.isArray(v) ? v : []).map((name) => links.role(p.customerId, String(name))),
    ]),
  );
}

/**
 * The role provider resource (`vocab:RoleProvider`, issue 10, SPEC.md §3.3 "Access control") at
 * `C/roleProviders/{name}`: who decides which roles an access service grants: `clickthrough` (anyone who accepts
 * the terms gets the roles of the access service), `builtin` (the customer's `C/users`) or `oidc` (an OpenID
 * Connect provider; the values of `claim` map to roles through `roleMapping`, `*` for any signed-in user).
 * `clientSecret` is write-only: stored sealed, rendered "xxx".
 */
export const ROLE_PROVIDER_FIELDS = defineFields<RoleProvider, Links>()(
  'vocab:RoleProvider',
  {
    name: {
      type: 'string',
      description: `^[a-z0-9][a-z0-9-]*$, ≤ ${ACCESS_NAME_MAX}, unique per customer`,
      write: true,
      order: true,
      filter: 'equals',
      max: ACCESS_NAME_MAX,
    },
    type: {
      type: 'string',
      description: 'clickthrough, builtin or oidc',
      write: true,
      filter: 'equals',
      max: 20,
    },
    issuer: {
      type: 'string',
      description:
        'oidc: the issuer URL (https, or http on loopback); discovery at {issuer}/.well-known/openid-configuration',
      write: true,
      empty: null,
    },
    clientId: { type: 'string', description: 'oidc: the client id', write: true, empty: null },
    clientSecret: {
      type: 'string',
      description: 'oidc: the client secret (write-only: rendered "xxx"; required on create)',
      write: true,
      empty: null,
      render: (p) => (p.clientSecret ? SECRET_PLACEHOLDER : undefined),
    },
    scopes: {
      type: 'string',
      description: 'oidc: space-separated scopes (default "openid profile email")',
      write: true,
      empty: null,
    },
    claim: {
      type: 'string',
      description: 'oidc: the claim whose values map to roles (e.g. groups)',
      write: true,
      empty: null,
    },
    roleMapping: {
      type: 'object',
      description:
        'oidc: {"<claim value>": [role URIs or names]}; "*" applies to every signed-in user (rendered with role URIs)',
      write: true,
      empty: null,
      render: renderMapping,
    },
    created: { type: 'date-time', description: 'When it was created', render: 'iso', order: true },
    modified: { type: 'date-time', description: 'When it last changed', render: 'iso', order: true },
  },
  ['name'],
);

/** Members of a rendered role provider that clients may echo back: ignored on write. */
export const ROLE_PROVIDER_READ_ONLY = ['created', 'modified'] as const;
