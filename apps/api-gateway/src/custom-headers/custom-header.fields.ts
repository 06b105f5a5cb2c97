import type { CustomHeader } from '@vellum/db';
import { LIMITS } from '../http/limits';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/**
 * A custom header (`vocab:CustomHeader`, SPEC.md §3.3 "Custom headers", §5): an HTTP header iiif-delivery adds
 * to the image responses of the customer's assets, for every asset, the assets of one `space`, those with one
 * `role`, or both; the body keys, `orderBy` whitelist, list filters and presenter all come from here.
 */
export const CUSTOM_HEADER_FIELDS = defineFields<CustomHeader, Links>()(
  'vocab:CustomHeader',
  {
    key: {
      type: 'string',
      description: `HTTP header name (a token, ≤ ${LIMITS.customHeaderKey} characters; not hop-by-hop nor one delivery sets: Content-*, Access-Control-*, Set-Cookie, ETag...)`,
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.customHeaderKey,
    },
    value: {
      type: 'string',
      description: `Header value (≤ ${LIMITS.customHeaderValue} Latin-1 characters, no CR/LF or other control characters)`,
      write: true,
    },
    space: {
      type: 'integer',
      description: 'Only for assets of this space (absent: every space)',
      write: true,
      order: true,
      filter: 'int',
      empty: null,
    },
    role: {
      type: 'string',
      description:
        "Only for assets with this role: a role URI (input: the URI or name of one of the customer's roles; absent: whatever their roles)",
      write: true,
      filter: 'equals',
      max: LIMITS.role,
      empty: null,
      render: (h, links) => (h.role ? links.role(h.customerId, h.role) : undefined),
    },
    created: { type: 'date-time', description: 'When it was created', render: 'iso', order: true },
    modified: { type: 'date-time', description: 'When it last changed', render: 'iso', order: true },
  },
  ['created', 'id'],
);

/** Members of a rendered header that clients may echo back: ignored on write. */
export const CUSTOM_HEADER_READ_ONLY = ['created', 'modified'] as const;
