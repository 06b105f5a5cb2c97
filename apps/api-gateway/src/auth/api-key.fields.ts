import type { ApiKey } from '@vellum/db';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/**
 * The API key resource (`vocab:ApiKey`, SPEC.md §3.3 "Keys"): what `GET C/keys[/{key}]` render, the `orderBy`
 * whitelist, the OpenAPI schema. Nothing is writable (`POST C/keys` takes no body); the secret is rendered once,
 * by the create route, and its hash never (it is not a field).
 */
export const API_KEY_FIELDS = defineFields<ApiKey, Links>()(
  'vocab:ApiKey',
  {
    key: { type: 'string', description: 'The key (the user name of HTTP Basic)', order: true },
    customer: {
      column: 'customerId',
      type: 'link',
      description: 'The customer the key belongs to',
      render: (k, links) => links.customer(k.customerId),
    },
    created: { type: 'date-time', description: 'When the key was created', render: 'iso', order: true },
    lastUsed: {
      type: 'date-time',
      description: 'When the key last authenticated a request (approximate)',
      render: 'iso',
      order: true,
    },
  },
  ['key'],
);
