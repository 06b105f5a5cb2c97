import { ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { Matches, IsOptional, validateSync, type ValidationError } from 'class-validator';
import { IsInt32, IsList, IsText } from '@vellum/common';
import { LIMITS } from '../http/limits';
import type { AssetDeliveryChannel } from '@vellum/contracts';
import type { FieldError } from '../http/hydra';
import { assetIdProblem } from './asset-id';
import { ASSET_FIELDS, ASSET_LINK_FIELDS } from './asset.fields';
import { normaliseDeliveryChannels, type ChannelInput } from './delivery-channels';

const METADATA_STRING = { max: LIMITS.metadataString, maxBytes: LIMITS.metadataStringBytes };
const metadataString = {
  description: `Metadata string (≤ ${LIMITS.metadataString} characters and ${LIMITS.metadataStringBytes} UTF-8 bytes)`,
  maxLength: LIMITS.metadataString,
  type: String,
};
const metadataNumber = {
  description: 'Metadata integer (int4)',
  minimum: -2147483648,
  maximum: LIMITS.integer,
  type: 'integer' as const,
};

/** Media type `type/subtype` (RFC 6838 restricted names, optional parameters). */
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$/;

/**
 * The writable fields of an asset (`vocab:Image`) as sent to PUT/POST/PATCH and in queue members (SPEC.md §3.4).
 * `deliveryChannels` is checked separately (names or `{channel, policy}` objects).
 */
export class AssetBodyDto {
  @ApiPropertyOptional({
    description: `Asset id (one URL path segment, ≤ ${LIMITS.assetId} chars); must match the URL on PUT`,
    example: 'b2921371x_0001.jp2',
    maxLength: LIMITS.assetId,
  })
  @IsOptional()
  @IsText({ max: LIMITS.assetId })
  id?: string;

  @ApiPropertyOptional({
    description: 'Space id; must match the URL; required in queue members',
    example: 1,
    minimum: 1,
    maximum: LIMITS.integer,
  })
  @IsOptional()
  @IsInt32()
  space?: number;

  @ApiPropertyOptional({
    description:
      'URI of the master file: http(s) or s3://{bucket}/{key} (sftp and ftp are refused until supported). Credentials in it ' +
      '(`https://user:password@host/...`) are stored encrypted and rendered as `xxx`; sending the rendered ' +
      'value back keeps them.',
    example: 'https://example.org/images/1.jpg',
    maxLength: LIMITS.origin,
  })
  @IsOptional()
  @IsText({ max: LIMITS.origin })
  origin?: string;

  @ApiPropertyOptional({
    description: 'Media type, required when the asset is created',
    example: 'image/jpeg',
    maxLength: LIMITS.mediaType,
  })
  @IsOptional()
  @IsText({ max: LIMITS.mediaType })
  @Matches(MEDIA_TYPE, { message: 'mediaType must be a media type like image/jpeg' })
  mediaType?: string;

  @ApiPropertyOptional({
    description:
      'Delivery channels: names or {channel, policy} objects; omitted → from the default delivery channel rules',
    example: [{ channel: 'iiif-img', policy: 'default' }, 'thumbs'],
    isArray: true,
    maxItems: LIMITS.deliveryChannels,
  })
  @IsOptional()
  deliveryChannels?: unknown;

  @ApiPropertyOptional({
    type: [String],
    description: `Roles needed to access the asset: URIs ({api}/customers/{c}/roles/{name}) or names of the customer's roles (≤ ${LIMITS.roles}, each ≤ ${LIMITS.role} chars; unknown → 400)`,
    maxItems: LIMITS.roles,
  })
  @IsOptional()
  @IsList(LIMITS.roles)
  @IsText({ max: LIMITS.role }, { each: true })
  roles?: string[] | null;

  @ApiPropertyOptional({
    description: 'Largest pixel size served (≤ 0 = unlimited)',
    maximum: LIMITS.integer,
  })
  @IsOptional()
  @IsInt32()
  maxWidth?: number | null;

  @ApiPropertyOptional({
    description: 'Open /full/ size bound for assets with roles (≤ 0 = unset)',
    maximum: LIMITS.integer,
  })
  @IsOptional()
  @IsInt32()
  openFullMax?: number | null;

  @ApiPropertyOptional({
    description: 'Open substitute maxWidth for assets with roles (≤ 0 = unset)',
    maximum: LIMITS.integer,
  })
  @IsOptional()
  @IsInt32()
  openMaxWidth?: number | null;

  @ApiPropertyOptional({
    type: [String],
    description: `Tags (≤ ${LIMITS.tags}, each ≤ ${LIMITS.tag} chars)`,
    maxItems: LIMITS.tags,
  })
  @IsOptional()
  @IsList(LIMITS.tags)
  @IsText({ max: LIMITS.tag }, { each: true })
  tags?: string[] | null;

  @ApiPropertyOptional(metadataString)
  @IsOptional()
  @IsText(METADATA_STRING)
  string1?: string | null;
  @ApiPropertyOptional(metadataString)
  @IsOptional()
  @IsText(METADATA_STRING)
  string2?: string | null;
  @ApiPropertyOptional(metadataString)
  @IsOptional()
  @IsText(METADATA_STRING)
  string3?: string | null;
  @ApiPropertyOptional(metadataNumber) @IsOptional() @IsInt32() number1?: number | null;
  @ApiPropertyOptional(metadataNumber) @IsOptional() @IsInt32() number2?: number | null;
  @ApiPropertyOptional(metadataNumber) @IsOptional() @IsInt32() number3?: number | null;

  @ApiPropertyOptional({
    type: [String],
    description: `Ids of manifests the asset belongs to (≤ ${LIMITS.manifests}, each ≤ ${LIMITS.manifest} chars)`,
    maxItems: LIMITS.manifests,
  })
  @IsOptional()
  @IsList(LIMITS.manifests)
  @IsText({ max: LIMITS.manifest }, { each: true })
  manifests?: string[] | null;
}

/**
 * Members the platform sets: the JSON-LD keys, the asset table's read-only fields, and the links of routes
 * (`storage`, `metadata`...). Sending one with a value different from the current one → 400 naming it
 * (SPEC.md §3.4).
 */
export const READ_ONLY_FIELDS: readonly string[] = [
  '@context',
  '@id',
  '@type',
  ...ASSET_FIELDS.readOnly,
  ...ASSET_LINK_FIELDS,
];

/**
 * Fields of the older DLCS asset API that Vellum replaced by `deliveryChannels` (SPEC.md §3.4): sending one → 400
 * naming it, with a pointer to the replacement, rather than "unknown field".
 */
export const LEGACY_FIELDS: Readonly<Record<string, string>> = {
  thumbnailPolicy:
    '"thumbnailPolicy" is a legacy DLCS field: give the thumbnail policy in deliveryChannels ({"channel": "thumbs", "policy": ...})',
  imageOptimisationPolicy:
    '"imageOptimisationPolicy" is a legacy DLCS field: give the image policy in deliveryChannels ({"channel": "iiif-img", "policy": ...})',
};

/** Read-only fields derived from the body itself (compared after the write is built, on create). */
export const DERIVED_FIELDS: readonly string[] = ['family'];

/** Origin schemes the ingest-orchestrator fetches (SPEC.md §4.2; `ftps` = FTP with explicit TLS). */
export const SUPPORTED_ORIGIN_SCHEMES = ['http', 'https', 's3', 'sftp', 'ftp', 'ftps'];

/** A validated asset body: the DTO plus its normalised delivery channels and the keys actually sent. */
export interface AssetInput {
  dto: AssetBodyDto;
  /** Keys present in the body (writable ones), so PATCH can tell "omitted" from "sent". */
  sent: Set<keyof AssetBodyDto>;
  channels?: ChannelInput;
  /**
   * Derived read-only fields ({@link DERIVED_FIELDS}) echoed in the body, left for the caller to compare with the
   * value it derives (`deferDerived`).
   */
  derived?: Record<string, unknown>;
}

export interface ParseAssetOptions {
  /** Prefix of error fields, e.g. `member[3].`. */
  prefix?: string;
  /** The current API representation (when the asset exists), for the read-only check. */
  current?: Record<string, unknown>;
  /** The representation's values fixed by the URL (`@id`, `@type`), accepted on create. */
  expected?: Record<string, unknown>;
  /** The media type to check channels against when the body does not send one. */
  fallbackMediaType?: string;
  /**
   * Without `current` (a create), do not compare {@link DERIVED_FIELDS} (`family`) here: hand them back in
   * `input.derived` so the caller compares them with the derived value (SPEC.md §3.4: "on create `family` is
   * compared with the derived value").
   */
  deferDerived?: boolean;
}

function isEmptyish(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    v === 0 ||
    v === false ||
    (Array.isArray(v) && v.length === 0)
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isEmptyish(a) && isEmptyish(b)) return true;
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return true;
    const da = Date.parse(a);
    const db = Date.parse(b);
    return /^\d{4}-\d\d-\d\d/.test(a) && /^\d{4}-\d\d-\d\d/.test(b) && !Number.isNaN(da) && da === db;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

function flatten(errors: ValidationError[], prefix: string): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = `${prefix}${e.property}`;
    if (e.constraints) {
      for (const message of Object.values(e.constraints)) {
        out.push({
          field,
          message: message.replace(/^property (\S+) should not exist$/, 'unknown field "$1"'),
        });
      }
    }
    if (e.children?.length) out.push(...flatten(e.children, `${field}.`));
  }
  return out;
}

/**
 * Validates an asset body (SPEC.md §3.4): types of writable fields, unknown fields, the legacy
 * `thumbnailPolicy`/`imageOptimisationPolicy` ({@link LEGACY_FIELDS}), read-only fields that differ from the
 * current representation (a read-only field echoed with its current value, `@id`, `created`, `family`..., is
 * accepted), the id rules (§1), the origin scheme, the media type, and the delivery channels against the media type
 * (`[]` refused). Returns every problem at once; never throws.
 */
export function parseAssetBody(
  body: unknown,
  opts: ParseAssetOptions = {},
): { input?: AssetInput; errors: FieldError[] } {
  const prefix = opts.prefix ?? '';
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      errors: [
        { field: prefix.replace(/\.$/, '') || 'body', message: 'must be a JSON object (a vocab:Image)' },
      ],
    };
  }
  const errors: FieldError[] = [];
  const writable: Record<string, unknown> = {};
  const derived: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (Object.prototype.hasOwnProperty.call(LEGACY_FIELDS, key)) {
      errors.push({ field: `${prefix}${key}`, message: LEGACY_FIELDS[key] });
      continue;
    }
    if (opts.deferDerived && !opts.current && DERIVED_FIELDS.includes(key)) {
      derived[key] = value;
      continue;
    }
    if (READ_ONLY_FIELDS.includes(key)) {
      if (key === '@context') continue;
      const reference = opts.current?.[key] ?? opts.expected?.[key];
      if (key === '@type' && (value === 'vocab:Image' || value === 'Image')) continue;
      if (!sameValue(value, reference)) {
        errors.push({
          field: `${prefix}${key}`,
          message: `"${key}" is read-only (set by the platform) and cannot be changed`,
        });
      }
      continue;
    }
    writable[key] = value;
  }
  const dto = plainToInstance(AssetBodyDto, writable);
  errors.push(...flatten(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }), prefix));
  const sent = new Set(Object.keys(writable).filter(isDtoKey) as (keyof AssetBodyDto)[]);
  if (dto.id !== undefined && dto.id !== null) {
    const problem = assetIdProblem(dto.id);
    if (problem) errors.push({ field: `${prefix}id`, message: problem });
  }
  // An origin echoed unchanged (an uploaded file's vellum-store:// origin included) is not re-checked.
  if (typeof dto.origin === 'string' && dto.origin !== opts.current?.origin) {
    const problem = originProblem(dto.origin);
    if (problem) errors.push({ field: `${prefix}origin`, message: problem });
  }
  let channels: ChannelInput | undefined;
  if (dto.deliveryChannels !== undefined && dto.deliveryChannels !== null) {
    const mediaType = typeof dto.mediaType === 'string' ? dto.mediaType : opts.fallbackMediaType;
    const result = normaliseDeliveryChannels(dto.deliveryChannels, mediaType, `${prefix}deliveryChannels`);
    errors.push(...result.errors);
    channels = result.input;
  }
  if (errors.length) return { errors };
  return {
    input: { dto, sent, channels, ...(Object.keys(derived).length ? { derived } : {}) },
    errors,
  };
}

const DTO_KEYS = new Set<string>(ASSET_FIELDS.writable);
function isDtoKey(k: string): boolean {
  return DTO_KEYS.has(k);
}

/**
 * Checks an origin URI (SPEC.md §1, §4.2). http(s) and `s3://{bucket}/{key}` (read with the platform's S3
 * credentials, `s3-ambient`) are fetched by this release; `sftp` and `ftp` are refused with a clear 400 ("origin
 * scheme X is not supported") rather than accepted and failed later at ingest. The ingest-orchestrator checks
 * an s3 origin's bucket name and key fully (a permanent asset error).
 * @returns null when acceptable, else the reason.
 */
export function originProblem(origin: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'origin must be an absolute URI (http(s)://, s3://, sftp://, ftp:// or ftps://)';
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  if (SUPPORTED_ORIGIN_SCHEMES.includes(scheme)) {
    if (scheme === 's3' && (!url.hostname || url.pathname.length <= 1))
      return 'an s3 origin is s3://{bucket}/{key}';
    if (!url.hostname) return 'origin must name a host';
    return null;
  }
  return `origin scheme "${scheme}" is not supported (use http(s)://, s3://, sftp://, ftp:// or ftps://)`;
}

/** Normalised deliveryChannels as stored: `[{channel, policy}]`. */
export type StoredChannels = AssetDeliveryChannel[];
