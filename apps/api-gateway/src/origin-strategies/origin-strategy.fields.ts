import type { OriginStrategy } from '@vellum/db';
import { CREDENTIALS_MASK, type OriginStrategyType } from '@vellum/secrets';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/**
 * A customer's origin strategy (`vocab:CustomerOriginStrategy`, as in the DLCS; SPEC.md §3.3 "Origin strategies"),
 * field by field: the single list its body keys, `orderBy` whitelist, filters, presenter and OpenAPI schema are
 * derived from. `strategy` is written as a type name (or its `/originStrategies/{name}` URL) and rendered as that
 * URL; `credentials` is write-only: always rendered `"xxx"`.
 */
export const ORIGIN_STRATEGY_FIELDS = defineFields<OriginStrategy, Links>()(
  'vocab:CustomerOriginStrategy',
  {
    strategy: {
      type: 'link',
      description:
        'The strategy type: written as default, basic-http-authentication, s3-ambient, sftp or ftp (or the URL of the type), rendered as the URL of the type (/originStrategies/{name})',
      write: true,
      order: true,
      filter: 'equals',
      max: 40,
      render: (r, links) => links.originStrategyType(r.strategy),
    },
    regex: {
      type: 'string',
      description:
        'JavaScript regular expression (≤ 500 characters) matched anywhere in an origin; unique per customer',
      write: true,
      order: true,
    },
    credentials: {
      type: 'string',
      description:
        'Write-only: a JSON-encoded string {"user","password"} (sftp: password and/or privateKey [+ passphrase]), required for basic-http-authentication, sftp and ftp, refused for default and s3-ambient; stored encrypted; always rendered "xxx" (send "xxx" back to keep the stored value)',
      write: true,
      render: () => CREDENTIALS_MASK,
    },
    optimised: {
      type: 'boolean',
      description:
        's3-ambient only: the origin is read again at delivery time, no copy is stored (default false)',
      write: true,
      filter: 'boolean',
    },
    order: {
      type: 'integer',
      description:
        'Evaluation order: the first rule by ascending order whose regex matches applies (default 0)',
      write: true,
      order: true,
    },
    created: { type: 'date-time', description: 'When the rule was created', render: 'iso', order: true },
  },
  ['id'],
);

/** A strategy type of the public list (`vocab:OriginStrategy`, `GET /originStrategies`, SPEC.md §3.2, §3.3). */
export const ORIGIN_STRATEGY_TYPE_FIELDS = defineFields<OriginStrategyType, Links>()('vocab:OriginStrategy', {
  name: { type: 'string', description: 'The type name a rule names in `strategy`' },
  requiresCredentials: {
    type: 'boolean',
    description: 'True when a rule of this type must carry credentials (false: it must not)',
  },
  optimisable: { type: 'boolean', description: 'True when a rule of this type may be optimised' },
  description: { type: 'string', description: 'What the strategy does' },
});
