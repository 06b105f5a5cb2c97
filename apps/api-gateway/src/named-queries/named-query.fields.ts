import type { NamedQuery } from '@vellum/db';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/** Longest named-query `name` (varchar(100)). */
export const NAMED_QUERY_NAME_MAX = 100;

/**
 * The named-query resource (`vocab:NamedQuery`, SPEC.md §3.3 "Named queries"), field by field: the single list its
 * body keys, `orderBy` whitelist (`name`, `created`), list filters (`name`, `global`), presenter and OpenAPI schema
 * are derived from. The resource's `@id` is `C/namedQueries/{id}` under the customer of the request (a global query
 * of another customer included, so the link resolves for the key that listed it).
 */
export const NAMED_QUERY_FIELDS = defineFields<NamedQuery, Links>()(
  'vocab:NamedQuery',
  {
    name: {
      type: 'string',
      description: `The query's name in delivery URLs (/iiif-resource/{customer}/{name}/...): one URL path segment of RFC 3986 unreserved characters, ≤ ${NAMED_QUERY_NAME_MAX}, unique per customer`,
      write: true,
      order: true,
      filter: 'equals',
      max: NAMED_QUERY_NAME_MAX,
    },
    template: {
      type: 'string',
      description:
        'The template (SPEC.md §7): &-separated key=value; pN = the N-th URL argument. Keys: space, spacename, s1..s3, n1..n3, tag, batch, manifest, assetOrder (alias canvas), objectname, coverpage, redactedmessage',
      write: true,
    },
    global: {
      type: 'boolean',
      description:
        'Visible to (and usable by) every customer; only an admin key may change it (default false)',
      write: true,
      filter: 'boolean',
    },
    created: { type: 'date-time', description: 'When the query was created', render: 'iso', order: true },
  },
  ['id'],
);

/** Wire names of the named-query body. */
export type NamedQueryWritableField = (typeof NAMED_QUERY_FIELDS.writable)[number];
