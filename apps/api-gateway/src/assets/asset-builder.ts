import { channelFitsMediaType, type AssetDeliveryChannel, type AssetFamily } from '@vellum/contracts';
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
 * How a write treats omitted fields (SPEC.md §3.3 "Assets", §3.4):
 * - `create`: a new asset: omitted fields get space defaults (tags, roles, access sizes) or empty values;
 *   omitted deliveryChannels come from the default rules.
 * - `replace`: PUT (or a queue member) on an existing asset: fields the body omits keep their stored values (a
 *   client re-PUTting without `manifests` keeps them, as DLCS clients expect); an explicit empty value (`null`,
 *   `[]`, `""`) clears one (`roles`/`tags`/`manifests` → `[]`, access sizes → 0, `string1..3`/`number1..3` → none;
 *   `deliveryChannels: null` → back to the default rules). Space defaults are never re-applied.
 * - `patch`: PATCH: only the supplied fields change; the same rules as `replace`.
 * `replace` and `patch` differ only in name (the caller's method); whether the write re-ingests is decided by
 * {@link needsReingest} for both.
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

/** The fields whose change makes a write re-ingest (SPEC.md §3.3 PATCH; §6 access sizes). */
export const REINGEST_FIELDS = [
  'origin',
  'mediaType',
  'deliveryChannels',
  'maxWidth',
  'openFullMax',
  'openMaxWidth',
] as const satisfies readonly (keyof AssetFields)[];

/** Channel list → a canonical string (order-insensitive), for comparisons. */
function channelsKey(channels: readonly AssetDeliveryChannel[]): string {
  return JSON.stringify(
    [...channels].map((c) => `${c.channel}\u0000${c.policy}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/**
 * Whether changing an existing asset from `before` to `after` needs a new ingest attempt (SPEC.md §3.3): when
 * `origin`, `mediaType`, `deliveryChannels` (as a set of channel/policy pairs) or an access size (`maxWidth`,
 * `openFullMax`, `openMaxWidth`) changes, or when the asset gains its first role or loses its last: whether an
 * asset has roles decides which thumbnails are open (SPEC.md §6, the orchestrator's `openThumbnailBound`), and
 * those are made at ingest. Changing one role URI for another, tags, `string1..3`, `number1..3` or `manifests`
 * updates in place.
 */
export function needsReingest(before: AssetFields, after: AssetFields): boolean {
  return (
    after.origin !== before.origin ||
    after.mediaType !== before.mediaType ||
    channelsKey(after.deliveryChannels) !== channelsKey(before.deliveryChannels) ||
    after.maxWidth !== before.maxWidth ||
    after.openFullMax !== before.openFullMax ||
    after.openMaxWidth !== before.openMaxWidth ||
    after.roles.length > 0 !== before.roles.length > 0
  );
}

/**
 * Computes an asset's stored fields from a validated body (SPEC.md §3.4, §4.1 step 1): required fields on
 * create, default delivery channels, family, space defaults for tags/roles/access sizes (create only), the
 * "omitted keeps, explicit empty clears" rule of PUT and PATCH on an existing asset (see {@link WriteMode}), policy
 * names known for each channel, and whether the change needs an ingest ({@link needsReingest}; always for a new
 * asset).
 * @returns the fields, or `errors` naming every failed field (prefixed with `ctx.prefix`).
 */
export function buildAssetFields(input: AssetInput, ctx: BuildContext): BuildResult {
  const { dto, sent } = input;
  const prefix = ctx.prefix ?? '';
  const errors: FieldError[] = [];
  const existing = ctx.mode === 'create' ? undefined : ctx.existing;

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

  // Explicit channels win; `["default"]` or `null` (the "empty" value of a field that is never empty) and a new
  // asset resolve the default rules; otherwise the stored channels stay.
  let channels: AssetDeliveryChannel[];
  const resetChannels = sent.has('deliveryChannels') && input.channels === undefined;
  if (input.channels?.kind === 'explicit') channels = input.channels.channels;
  else if (input.channels?.kind === 'default' || resetChannels || !existing) {
    channels = resolveDefaultChannels(ctx.rules, ctx.customerId, ctx.spaceId, mediaType);
  } else {
    channels = existing.deliveryChannels;
  }
  channels.forEach((c, i) => {
    // SPEC.md §3.4, §4.3: image channels take image/* and application/pdf, iiif-av audio/* and video/*.
    if (!channelFitsMediaType(c.channel, mediaType)) {
      errors.push({
        field: input.channels?.kind === 'explicit' ? `${prefix}deliveryChannels[${i}]` : `${prefix}mediaType`,
        message: `delivery channel "${c.channel}" does not fit mediaType "${mediaType}"${input.channels ? '' : '; send deliveryChannels too'}`,
      });
    }
  });
  // No default rule for this media type: the asset is known but not served (seed 004), never channel-less.
  if (channels.length === 0) channels = [{ channel: 'none', policy: 'none' }];
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
    return existing ? existing[key] : fallbackNew;
  };
  const pickSize = (key: 'maxWidth' | 'openFullMax' | 'openMaxWidth', fallbackNew: number): number => {
    if (sent.has(key)) return nonNegative(dto[key]);
    return existing ? existing[key] : fallbackNew;
  };
  const pickScalar = <K extends 'string1' | 'string2' | 'string3' | 'number1' | 'number2' | 'number3'>(
    key: K,
  ): AssetFields[K] => {
    if (sent.has(key)) {
      const v = dto[key];
      return (v === undefined || v === '' ? null : v) as AssetFields[K];
    }
    return existing ? existing[key] : null;
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
  return { fields, reingest: existing ? needsReingest(existing, fields) : true, errors };
}
