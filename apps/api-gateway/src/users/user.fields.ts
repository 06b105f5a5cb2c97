import type { AuthUser } from '@vellum/db';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/** Longest username (varchar(200)). */
export const USERNAME_MAX = 200;

/**
 * A built-in account (`vocab:User`, issue 10, SPEC.md §3.3 `C/users`) of the customer's `builtin` role provider:
 * `username` (stored lower-case, unique per customer), `password` (write-only, stored as a scrypt hash), the role
 * names granted on login (rendered as role URIs) and `enabled`.
 */
export const USER_FIELDS = defineFields<AuthUser, Links>()(
  'vocab:User',
  {
    id: { type: 'string', description: 'The account id (a UUID)' },
    username: {
      type: 'string',
      description: `Login name (≤ ${USERNAME_MAX}; stored lower-case, unique per customer)`,
      write: true,
      order: true,
      filter: 'equals',
      max: USERNAME_MAX,
    },
    password: {
      column: 'passwordHash',
      type: 'string',
      description: 'Password, ≥ 8 characters (write-only: never rendered; stored as a scrypt hash)',
      write: true,
      render: 'hidden',
    },
    roles: {
      type: 'string[]',
      description: 'Roles granted on login: role URIs (input: URIs or names of existing roles)',
      write: true,
      filter: 'overlap',
      max: 100,
      render: (u, links) => u.roles.map((r) => links.role(u.customerId, r)),
    },
    enabled: {
      type: 'boolean',
      description: 'False: the account cannot log in (default true)',
      write: true,
      filter: 'boolean',
    },
    created: { type: 'date-time', description: 'When it was created', render: 'iso', order: true },
    modified: { type: 'date-time', description: 'When it last changed', render: 'iso', order: true },
  },
  ['id'],
);

/** Members of a rendered user that clients may echo back: ignored on write. */
export const USER_READ_ONLY = ['id', 'created', 'modified'] as const;
