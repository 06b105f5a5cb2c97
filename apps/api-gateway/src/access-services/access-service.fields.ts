import type { AccessService } from '@vellum/db';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';
import { ACCESS_NAME_MAX } from '../roles/access-control';

/**
 * The access service resource (`vocab:AccessService`, issue 10, SPEC.md §3.3 "Access control", §6) at
 * `C/accessServices/{name}`: an IIIF Authorization Flow 2.0 access service served by auth-service at `service`
 * (`{auth}/auth/v2/access/{c}/{name}`), whose `profile` and language maps are what viewers show, and whose
 * `roleProvider` decides who gets the roles granted through it.
 */
export const ACCESS_SERVICE_FIELDS = defineFields<AccessService, Links>()(
  'vocab:AccessService',
  {
    name: {
      type: 'string',
      description: `^[a-z0-9][a-z0-9-]*$, ≤ ${ACCESS_NAME_MAX}, unique per customer`,
      write: true,
      order: true,
      filter: 'equals',
      max: ACCESS_NAME_MAX,
    },
    profile: {
      type: 'string',
      description: 'IIIF Auth 2.0 access service profile: active, kiosk or external (default active)',
      write: true,
      filter: 'equals',
      max: 20,
    },
    label: { type: 'object', description: 'IIIF language map (required): the service label', write: true },
    heading: {
      type: 'object',
      description: 'IIIF language map: the heading shown before opening it',
      write: true,
      empty: null,
    },
    note: {
      type: 'object',
      description: 'IIIF language map: the explanatory note',
      write: true,
      empty: null,
    },
    confirmLabel: {
      type: 'object',
      description: 'IIIF language map: the confirm button label',
      write: true,
      empty: null,
    },
    roleProvider: {
      type: 'link',
      description:
        'Who decides the roles: C/roleProviders/{name} (input: that URL or the name; default clickthrough)',
      write: true,
      filter: 'equals',
      max: ACCESS_NAME_MAX,
      render: (a, links) => links.roleProvider(a.customerId, a.roleProvider),
    },
    service: {
      type: 'link',
      description: 'The public URL of the Auth 2.0 access service: {auth}/auth/v2/access/{c}/{name}',
      render: (a, links) => links.authAccessService(a.customerId, a.name),
    },
    created: { type: 'date-time', description: 'When it was created', render: 'iso', order: true },
    modified: { type: 'date-time', description: 'When it last changed', render: 'iso', order: true },
  },
  ['name'],
);

/** Members of a rendered access service that clients may echo back: ignored on write. */
export const ACCESS_SERVICE_READ_ONLY = ['service', 'created', 'modified'] as const;
