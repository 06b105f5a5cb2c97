import type { Space } from '@vellum/db';
import { LIMITS } from '../http/limits';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/** A space row, with its asset count when the route computed it (`approximateNumberOfImages`). */
export type SpaceRow = Space & { approximateNumberOfImages?: number };

/**
 * The space resource (`vocab:Space`, SPEC.md §3.3 "Spaces"), field by field: the body keys (`SpaceBodyDto`), the
 * columns, the `orderBy` whitelist and filters of `GET C/spaces`, the presenter and the OpenAPI schema.
 *
 * Links: only to routes that exist (`images`). LEAD: add `storage` and `defaultDeliveryChannels` here (type
 * 'link', render from {@link Links}) once `C/spaces/{s}/storage` and `.../defaultDeliveryChannels` are on main.
 */
export const SPACE_FIELDS = defineFields<Space, Links>()(
  'vocab:Space',
  {
    id: { type: 'integer', description: 'Space id (per customer; matches the URL)', order: true },
    name: {
      type: 'string',
      description: `Name, unique per customer (≤ ${LIMITS.spaceName} chars)`,
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.spaceName,
    },
    created: { type: 'date-time', description: 'When the space was created', render: 'iso', order: true },
    defaultTags: {
      type: 'string[]',
      description: `Tags given to assets created without tags (≤ ${LIMITS.tags})`,
      write: true,
      empty: [],
    },
    defaultRoles: {
      type: 'string[]',
      description: `Roles given to assets created without roles: role URIs (input: URIs or names of the customer's roles; ≤ ${LIMITS.roles})`,
      write: true,
      empty: [],
      render: (s, links) => (s.defaultRoles ?? []).map((r) => links.role(s.customerId, r)),
    },
    defaultMaxWidth: {
      type: 'integer',
      description: 'maxWidth given to assets created without one (0 = none)',
      write: true,
      empty: 0,
    },
    defaultOpenFullMax: {
      type: 'integer',
      description: 'openFullMax given to assets created without one (0 = none)',
      write: true,
      empty: 0,
    },
    defaultOpenMaxWidth: {
      type: 'integer',
      description: 'openMaxWidth given to assets created without one (0 = none)',
      write: true,
      empty: 0,
    },
    approximateNumberOfImages: {
      type: 'integer',
      description: 'Number of assets in the space (on a single space, not in lists)',
      render: (s) => (s as SpaceRow).approximateNumberOfImages,
    },
    images: {
      type: 'link',
      description: 'The assets of the space',
      render: (s, links) => links.images(s.customerId, s.id),
    },
    storage: {
      type: 'link',
      description: "The space's storage totals (vocab:CustomerStorage)",
      render: (s, links) => links.spaceStorage(s.customerId, s.id),
    },
    // LEAD: `defaultDeliveryChannels` link goes here once its route exists.
  },
  ['id'],
);

/** Wire names of the space body. */
export type SpaceWritableField = (typeof SPACE_FIELDS.writable)[number];
