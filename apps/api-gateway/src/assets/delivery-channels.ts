import { textProblem } from '@vellum/common';
import { LIMITS } from '../http/limits';
import {
  channelFitsMediaType,
  DELIVERY_CHANNELS,
  type AssetDeliveryChannel,
  type AssetFamily,
  type DeliveryChannel,
} from '@vellum/contracts';

/** A default delivery channel rule row (SPEC.md §1 "Default delivery channels"); spaceId 0 = customer-wide, customerId 0 = platform. */
export interface DefaultChannelRule {
  customerId: number;
  spaceId: number;
  mediaType: string;
  channel: string;
  policy: string;
}

/** The platform seed rules (SPEC.md §1), used only when the database holds no platform rules at all. */
export const SEED_DEFAULT_RULES: readonly DefaultChannelRule[] = [
  { customerId: 0, spaceId: 0, mediaType: 'image/*', channel: 'iiif-img', policy: 'default' },
  { customerId: 0, spaceId: 0, mediaType: 'image/*', channel: 'thumbs', policy: 'default' },
  { customerId: 0, spaceId: 0, mediaType: 'video/*', channel: 'iiif-av', policy: 'default-video' },
  { customerId: 0, spaceId: 0, mediaType: 'audio/*', channel: 'iiif-av', policy: 'default-audio' },
  { customerId: 0, spaceId: 0, mediaType: 'application/*', channel: 'file', policy: 'none' },
];

/** Built-in (system) policy names per channel; always valid whatever the policy table holds. */
export const SYSTEM_POLICIES: Record<DeliveryChannel, readonly string[]> = {
  'iiif-img': ['default', 'use-original'],
  thumbs: ['default'],
  'iiif-av': ['default-video', 'default-audio'],
  file: ['none'],
  none: ['none'],
};

/** Case-insensitive media type glob match: `*` matches any run of characters (`image/*`, `*∕*`, `image/jp*`). */
export function mediaTypeGlobMatches(glob: string, mediaType: string): boolean {
  const pattern = glob
    .trim()
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(mediaType.trim().toLowerCase());
}

/**
 * Resolves an asset's delivery channels from default rules (SPEC.md §1): candidate rules are those of the
 * space `(customerId, spaceId)`, the customer `(customerId, 0)` and the platform `(0, 0)`; a space rule beats a
 * customer rule beats a platform rule, within a tier the longer glob beats the shorter, and the first match per
 * channel wins. A `none` match is dropped when any other channel matched.
 * @returns `[{channel, policy}]` in a stable order (the channel order of DELIVERY_CHANNELS).
 */
export function resolveDefaultChannels(
  rules: readonly DefaultChannelRule[],
  customerId: number,
  spaceId: number,
  mediaType: string,
): AssetDeliveryChannel[] {
  const tier = (r: DefaultChannelRule): number => {
    if (r.customerId === customerId && spaceId !== 0 && r.spaceId === spaceId) return 0;
    if (r.customerId === customerId && r.spaceId === 0) return 1;
    if (r.customerId === 0 && r.spaceId === 0) return 2;
    return -1;
  };
  const candidates = rules
    .map((rule, index) => ({ rule, index, tier: tier(rule) }))
    .filter((c) => c.tier >= 0 && mediaTypeGlobMatches(c.rule.mediaType, mediaType))
    .sort(
      (a, b) => a.tier - b.tier || b.rule.mediaType.length - a.rule.mediaType.length || a.index - b.index,
    );
  const chosen = new Map<string, string>();
  for (const { rule } of candidates) {
    if (!chosen.has(rule.channel)) chosen.set(rule.channel, rule.policy);
  }
  if (chosen.size > 1) chosen.delete('none');
  return DELIVERY_CHANNELS.filter((ch) => chosen.has(ch)).map((ch) => ({
    channel: ch,
    policy: chosen.get(ch)!,
  }));
}

/** The policy used when a channel is requested without one. */
export function defaultPolicyFor(channel: DeliveryChannel, mediaType: string): string {
  switch (channel) {
    case 'iiif-img':
    case 'thumbs':
      return 'default';
    case 'iiif-av':
      return mediaType.toLowerCase().startsWith('audio/') ? 'default-audio' : 'default-video';
    default:
      return 'none';
  }
}

/** Result of normalising a request's `deliveryChannels`: the channels (or `'default'` = resolve from rules), or errors. */
export type ChannelInput = { kind: 'explicit'; channels: AssetDeliveryChannel[] } | { kind: 'default' };

/**
 * Normalises `deliveryChannels` as sent (SPEC.md §3.4): an array of `{channel, policy?}` objects or plain channel
 * names, never empty (`[]` → an error); `none` or `default` must stand alone (`default` = resolve from the default
 * rules); each channel must be
 * valid for the media type (`channelFitsMediaType`: `iiif-img`/`thumbs` need `image/*` or `application/pdf`,
 * `iiif-av` needs `audio/*` or `video/*`); a
 * channel appears at most once. Policies may be names or DLCS-style policy URLs ending `/{channel}/{name}`.
 * @param path field path used in error entries (e.g. `deliveryChannels` or `member[3].deliveryChannels`).
 * @returns the normalised input, plus `{field, message}` errors (empty when valid).
 */
export function normaliseDeliveryChannels(
  value: unknown,
  mediaType: string | undefined,
  path = 'deliveryChannels',
): { input?: ChannelInput; errors: { field: string; message: string }[] } {
  const errors: { field: string; message: string }[] = [];
  if (!Array.isArray(value)) {
    return {
      errors: [
        {
          field: path,
          message: 'deliveryChannels must be an array of channel names or {channel, policy} objects',
        },
      ],
    };
  }
  if (value.length === 0) {
    return {
      errors: [
        {
          field: path,
          message:
            'deliveryChannels cannot be empty: name at least one channel, ["none"] for an asset that is not served, or ["default"] for the default rules',
        },
      ],
    };
  }
  if (value.length > LIMITS.deliveryChannels) {
    return {
      errors: [
        { field: path, message: `deliveryChannels must have at most ${LIMITS.deliveryChannels} entries` },
      ],
    };
  }
  const entries: { channel: string; policy?: string }[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string') entries.push({ channel: item });
    else if (
      item &&
      typeof item === 'object' &&
      typeof (item as { channel?: unknown }).channel === 'string'
    ) {
      const policy = (item as { policy?: unknown }).policy;
      if (policy !== undefined && policy !== null && typeof policy !== 'string') {
        errors.push({ field: `${path}[${i}].policy`, message: 'policy must be a string' });
      } else if (typeof policy === 'string') {
        const problem = textProblem(policy, { max: LIMITS.policy });
        if (problem) errors.push({ field: `${path}[${i}].policy`, message: `policy ${problem}` });
      }
      entries.push({
        channel: (item as { channel: string }).channel,
        policy: typeof policy === 'string' && policy ? policy : undefined,
      });
    } else
      errors.push({
        field: `${path}[${i}]`,
        message: 'each delivery channel must be a channel name or an object with "channel"',
      });
  });
  if (errors.length) return { errors };
  if (entries.length === 1 && entries[0].channel === 'default') return { input: { kind: 'default' }, errors };
  const seen = new Set<string>();
  const channels: AssetDeliveryChannel[] = [];
  const mt = (mediaType ?? '').toLowerCase();
  entries.forEach((e, i) => {
    const field = `${path}[${i}]`;
    if (e.channel === 'default') {
      errors.push({ field, message: '"default" must be the only delivery channel' });
      return;
    }
    if (!(DELIVERY_CHANNELS as readonly string[]).includes(e.channel)) {
      const shown = e.channel.length > 40 ? `${e.channel.slice(0, 40)}…` : e.channel;
      errors.push({
        field,
        message: `unknown delivery channel "${shown}" (one of ${DELIVERY_CHANNELS.join(', ')})`,
      });
      return;
    }
    const channel = e.channel as DeliveryChannel;
    if (seen.has(channel)) {
      errors.push({ field, message: `delivery channel "${channel}" appears more than once` });
      return;
    }
    seen.add(channel);
    if (channel === 'none' && entries.length > 1)
      errors.push({ field, message: '"none" must be the only delivery channel' });
    if ((channel === 'iiif-img' || channel === 'thumbs') && mediaType && !channelFitsMediaType(channel, mt)) {
      errors.push({
        field,
        message: `delivery channel "${channel}" needs an image/* or application/pdf mediaType, not "${mediaType}"`,
      });
    }
    if (channel === 'iiif-av' && mediaType && !channelFitsMediaType(channel, mt)) {
      errors.push({
        field,
        message: `delivery channel "iiif-av" needs an audio/* or video/* mediaType, not "${mediaType}"`,
      });
    }
    let policy = e.policy ?? defaultPolicyFor(channel, mt);
    const fromUrl = /\/deliveryChannelPolicies\/([^/]+)\/([^/]+)\/?$/.exec(policy);
    if (fromUrl) {
      if (fromUrl[1] !== channel)
        errors.push({
          field: `${field}.policy`,
          message: `policy URL is for channel "${fromUrl[1]}", not "${channel}"`,
        });
      try {
        policy = decodeURIComponent(fromUrl[2]);
      } catch {
        errors.push({ field: `${field}.policy`, message: 'policy URL has a malformed %-escape' });
        return;
      }
    }
    channels.push({ channel, policy });
  });
  return errors.length ? { errors } : { input: { kind: 'explicit', channels }, errors };
}

/**
 * Asset family (SPEC.md §1 "Family"): `T` when the asset has `iiif-av`, `I` when it has `iiif-img` or `thumbs`;
 * otherwise from the media type when the only channel is `none` (or there are none): image → I, audio/video → T;
 * everything else `F`.
 */
export function familyFor(channels: readonly AssetDeliveryChannel[], mediaType: string): AssetFamily {
  const names = new Set(channels.map((c) => c.channel));
  if (names.has('iiif-av')) return 'T';
  if (names.has('iiif-img') || names.has('thumbs')) return 'I';
  if (names.has('file')) return 'F';
  const mt = mediaType.toLowerCase();
  if (mt.startsWith('image/')) return 'I';
  if (mt.startsWith('audio/') || mt.startsWith('video/')) return 'T';
  return 'F';
}
