import type { DeliveryChannelPolicy } from '@vellum/db';
import { LIMITS } from '../http/limits';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/**
 * The delivery channel policy resource (`vocab:DeliveryChannelPolicy`, SPEC.md §1, §3.3), field by field: the
 * body keys (`name`, `displayName`, `policyData`), the `orderBy` whitelist and the presenter. `policyData` is
 * stored as a JSON array and rendered, as the DLCS does, as its JSON-encoded string.
 */
export const POLICY_FIELDS = defineFields<DeliveryChannelPolicy, Links>()(
  'vocab:DeliveryChannelPolicy',
  {
    name: {
      type: 'string',
      description: `Name, unique per channel: ^[a-z0-9-]+$, ≤ ${LIMITS.policyName} characters (given by the URL on PUT)`,
      write: true,
      order: true,
    },
    displayName: {
      type: 'string',
      description: `Human-readable name (≤ ${LIMITS.displayName} characters; defaults to name)`,
      write: true,
      order: true,
    },
    channel: { type: 'string', description: 'The delivery channel (from the URL)' },
    policyData: {
      type: 'string',
      description:
        'JSON-encoded array of strings: thumbs sizes (w, ,h or !w,h, optionally ^) or iiif-av preset names ' +
        '(GET /avPresets); absent for the iiif-img and file system policies',
      write: true,
      render: (p) => (p.policyData === null ? undefined : JSON.stringify(p.policyData)),
    },
    system: {
      type: 'boolean',
      description: 'True for a platform policy shared by every customer (never changed through the API)',
      render: (p) => p.system,
    },
    created: { type: 'date-time', description: 'When the policy was created', render: 'iso', order: true },
    modified: { type: 'date-time', description: 'When it last changed', render: 'iso', order: true },
  },
  ['name', 'customerId'],
);

/** Members of a rendered policy that clients may echo back: ignored on write (`channel` must match the URL). */
export const POLICY_READ_ONLY = ['channel', 'system', 'created', 'modified'] as const;
