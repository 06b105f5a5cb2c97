import type { AssetDeliveryChannel, AssetFamily } from '@vellum/contracts';
import type { FieldError } from '../http/hydra';
import type { AssetInput } from './asset-input';
import {
  familyFor,
  resolveDefaultChannels,
  SYSTEM_POLICIES,
  type DefaultChannelRule,
} from './delivery-channels';

/** The writable/derived columns of an asset row the gateway decides (SPEC.md §3.4, §4.1 step 1). */
export interface AssetFields {
  origin: string;
  mediaType: string;
  family: AssetFamily;
  deliveryChannels: AssetDeliveryChannel[];
  roles: string[];
  maxWidth: number;
  openFullMax: number;
  openMaxWidth: number;
  tags: string[];
  string1: string | null;
  string2: string | null;
  string3: string | null;
  number1: number | null;
  number2: number | null;
  number3: number | null;
  manifests: string[];
}

/** The subset of an existing asset row the builder reads. */
export type ExistingAsset = AssetFields;

/** Space defaults applied to new assets (SPEC.md §3.3 "Spaces"). */
export interface SpaceDefaults {
  defaultTags: string[];
  defaultRoles: string[];
  defaultMaxWidth: number;
  defaultOpenFullMax: number;
  defaultOpenMaxWidth: number;
}

/** A delivery channel policy known to the customer (its own or the platform's). */
export interface KnownPolicy {
  channel: string;
  name: string;
}

/**
 * How a write treats omitted fields:
 * - `create`: a new asset: omitted fields get space defaults (tags, roles, access sizes) or empty values;
 *   omitted deliveryChannels come from the default rules.
 * - `replace`: PUT on an existing asset: like `create` (the body is the whole new registration), except that
 *   `origin` and `mediaType` fall back to the stored ones when omitted.
 * - `patch`: only the supplied fields change.
 */
export type WriteMode = 'create' | 'replace' | 'patch';

export interface BuildContext {
  customerId: number;
  spaceId: number;
  mode: WriteMode;
  existing?: ExistingAsset;
  space: SpaceDefaults;
  rules: readonly DefaultChannelRule[];
  policies: readonly KnownPolicy[];
  /** Prefix for error fields, e.g. `member[2].`. */
  prefix?: string;
}

/** The result: the fields to store and whether the write needs an ingest (SPEC.md §3.3 PATCH rules). */
export interface BuildResult {
  fields?: AssetFields;
  reingest: boolean;
  errors: FieldError[];
}

const nonNegative = (n: number | null | undefined): number => (typeof n === 'number' && n > 0 ? n : 0);

/**
 * Computes an asset's stored fields from a validated body (SPEC.md §3.4, §4.1 step 1): required fields on
 * create, default delivery channels, family, space defaults for tags/roles/access sizes, the PATCH "only what is
 * supplied" rule, policy names known for each channel, and whether the change needs an ingest.
 */
export function buildAssetFields(input: AssetInput, ctx: BuildContext): BuildResult {
  const { dto, sent } = input;
  const prefix = ctx.prefix ?? '';
  const errors: FieldError[] = [];
  const existing = ctx.existing;
  const patch = ctx.mode === 'patch';
  const fresh = ctx.mode !== 'patch';

  const mediaType = (sent.has('mediaType') ? dto.mediaType : undefined) ?? existing?.mediaType;
  if (!mediaType)
    errors.push({ field: `${prefix}mediaType`, message: 'mediaType is required when an asset is created' });
  const origin = (sent.has('origin') ? dto.origin : undefined) ?? existing?.origin;
  if (!origin)
    errors.push({
      field: `${prefix}origin`,
      message: 'origin is required (or upload the file: multipart file part or base64 file member)',
    });
  if (sent.has('origin') && (dto.origin === null || dto.origin === '')) {
    errors.push({ field: `${prefix}origin`, message: 'origin cannot be removed' });
  }
  if (sent.has('mediaType') && (dto.mediaType === null || dto.mediaType === '')) {
    errors.push({ field: `${prefix}mediaType`, message: 'mediaType cannot be removed' });
  }
  if (errors.length || !mediaType || !origin) return { reingest: false, errors };

  let channels: AssetDeliveryChannel[];
  if (input.channels?.kind === 'explicit') channels = input.channels.channels;
  else if (input.channels?.kind === 'default' || fresh || !existing) {
    channels = resolveDefaultChannels(ctx.rules, ctx.customerId, ctx.spaceId, mediaType);
  } else {
    channels = existing.deliveryChannels;
  }
  const mt = mediaType.toLowerCase();
  channels.forEach((c, i) => {
    const fits =
      ((c.channel === 'iiif-img' || c.channel === 'thumbs') && mt.startsWith('image/')) ||
      (c.channel === 'iiif-av' && (mt.startsWith('audio/') || mt.startsWith('video/'))) ||
      c.channel === 'file' ||
      c.channel === 'none';
    if (!fits) {
      errors.push({
        field: input.channels?.kind === 'explicit' ? `${prefix}deliveryChannels[${i}]` : `${prefix}mediaType`,
        message: `delivery channel "${c.channel}" does not fit mediaType "${mediaType}"${input.channels ? '' : '; send deliveryChannels too'}`,
      });
    }
  });
  channels.forEach((c, i) => {
    const known =
      (SYSTEM_POLICIES[c.channel] ?? []).includes(c.policy) ||
      ctx.policies.some((p) => p.channel === c.channel && p.name === c.policy);
    if (!known) {
      errors.push({
        field: `${prefix}deliveryChannels[${i}].policy`,
        message: `unknown ${c.channel} policy "${c.policy}"`,
      });
    }
  });

  const pickArray = (key: 'roles' | 'tags' | 'manifests', fallbackNew: string[]): string[] => {
    if (sent.has(key)) return dto[key] ?? [];
    if (patch && existing) return existing[key];
    return fallbackNew;
  };
  const pickSize = (key: 'maxWidth' | 'openFullMax' | 'openMaxWidth', fallbackNew: number): number => {
    if (sent.has(key)) return nonNegative(dto[key]);
    if (patch && existing) return existing[key];
    return fallbackNew;
  };
  const pickScalar = <K extends 'string1' | 'string2' | 'string3' | 'number1' | 'number2' | 'number3'>(
    key: K,
  ): AssetFields[K] => {
    if (sent.has(key)) return (dto[key] ?? null) as AssetFields[K];
    if (patch && existing) return existing[key];
    return null;
  };

  const fields: AssetFields = {
    origin,
    mediaType,
    family: familyFor(channels, mediaType),
    deliveryChannels: channels,
    roles: pickArray('roles', ctx.space.defaultRoles),
    maxWidth: pickSize('maxWidth', ctx.space.defaultMaxWidth),
    openFullMax: pickSize('openFullMax', ctx.space.defaultOpenFullMax),
    openMaxWidth: pickSize('openMaxWidth', ctx.space.defaultOpenMaxWidth),
    tags: pickArray('tags', ctx.space.defaultTags),
    string1: pickScalar('string1'),
    string2: pickScalar('string2'),
    string3: pickScalar('string3'),
    number1: pickScalar('number1'),
    number2: pickScalar('number2'),
    number3: pickScalar('number3'),
    manifests: pickArray('manifests', []),
  };
  if (errors.length) return { reingest: false, errors };

  let reingest = true;
  if (patch && existing) {
    reingest =
      fields.origin !== existing.origin ||
      fields.mediaType !== existing.mediaType ||
      JSON.stringify(fields.deliveryChannels) !== JSON.stringify(existing.deliveryChannels) ||
      fields.maxWidth !== existing.maxWidth ||
      fields.openFullMax !== existing.openFullMax ||
      fields.openMaxWidth !== existing.openMaxWidth;
  }
  return { fields, reingest, errors };
}
