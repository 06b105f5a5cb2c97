import type { DefaultDeliveryChannel } from '@vellum/db';
import { LIMITS } from '../http/limits';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/** What rendering a rule needs: the link builder and which policies the customer owns (`channel/name`). */
export interface RuleRenderContext {
  links: Links;
  ownPolicies: ReadonlySet<string>;
}

/**
 * A default delivery channel rule (`vocab:DefaultDeliveryChannel`, SPEC.md §1 "Default delivery channels",
 * §3.3): `mediaType` glob → (`channel`, `policy`), customer-wide (space 0) or for one space. `policy` renders as
 * the name of a shared system policy, or the URL of the customer's own policy (which resolves), as the DLCS does.
 */
export const DEFAULT_CHANNEL_FIELDS = defineFields<DefaultDeliveryChannel, RuleRenderContext>()(
  'vocab:DefaultDeliveryChannel',
  {
    channel: {
      type: 'string',
      description: 'Delivery channel: iiif-img, thumbs, iiif-av, file or none',
      write: true,
      order: true,
      filter: 'equals',
      max: 20,
    },
    policy: {
      type: 'string',
      description:
        "Policy of the channel: a name, or a policy URL ending /{channel}/{name}; rendered as the URL of the customer's own policy or the name of a system policy",
      write: true,
      order: true,
      render: (r, ctx) =>
        ctx.ownPolicies.has(`${r.channel}/${r.policy}`)
          ? ctx.links.deliveryChannelPolicy(r.customerId, r.channel, r.policy)
          : r.policy,
    },
    mediaType: {
      type: 'string',
      description: `Media type glob (image/*, video/mp4, */*), ≤ ${LIMITS.mediaType} characters; case-insensitive`,
      write: true,
      order: true,
      filter: 'equals',
      max: LIMITS.mediaType,
    },
  },
  ['mediaType', 'channel', 'id'],
);
