import type { Role } from '@vellum/db';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';
import { ACCESS_NAME_MAX } from './access-control';

/**
 * The role resource (`vocab:Role`, issue 10, SPEC.md §3.3 "Access control", §6) at `C/roles/{name}`: the body
 * keys, `orderBy` whitelist (`name`, `created`), list filters (`name`, `accessService`), presenter and OpenAPI
 * schema. Assets, space defaults, custom headers and users store the role's `name`; the API shows it as
 * `{api}/customers/{c}/roles/{name}`.
 */
export const ROLE_FIELDS = defineFields<Role, Links>()(
  'vocab:Role',
  {
    name: {
      type: 'string',
      description: `^[a-z0-9][a-z0-9-]*$, ≤ ${ACCESS_NAME_MAX}, unique per customer; the last segment of the role's URI`,
      write: true,
      order: true,
      filter: 'equals',
      max: ACCESS_NAME_MAX,
    },
    label: { type: 'object', description: 'IIIF language map, e.g. {"en": ["Staff"]}', write: true },
    accessService: {
      type: 'link',
      description:
        'The access service that grants the role: C/accessServices/{name} (input: that URL or the name; default clickthrough)',
      write: true,
      filter: 'equals',
      max: ACCESS_NAME_MAX,
      render: (r, links) => links.accessService(r.customerId, r.accessService),
    },
    created: { type: 'date-time', description: 'When it was created', render: 'iso', order: true },
    modified: { type: 'date-time', description: 'When it last changed', render: 'iso', order: true },
  },
  ['name'],
);

/** Members of a rendered role that clients may echo back: ignored on write. */
export const ROLE_READ_ONLY = ['created', 'modified'] as const;
