import { AV_PRESET_NAMES, type DeliveryChannel } from '@vellum/contracts';
import { IiifError, parseSizeV3 } from '@vellum/iiif';
import { LIMITS } from '../http/limits';

/**
 * The channels whose policies `C/deliveryChannelPolicies/{channel}` lists (SPEC.md §3.3); `none` has none to show.
 */
export const POLICY_CHANNELS = ['iiif-img', 'thumbs', 'iiif-av', 'file'] as const;
export type PolicyChannel = (typeof POLICY_CHANNELS)[number];

/** One line per channel, the titles of the sub-collections of `C/deliveryChannelPolicies`. */
export const POLICY_CHANNEL_TITLES: Record<PolicyChannel, string> = {
  'iiif-img': 'Policies for IIIF Image service delivery',
  thumbs: 'Policies for thumbnails as IIIF Image Services',
  'iiif-av': 'Policies for audio and video delivery',
  file: 'Policies for file delivery',
};

/**
 * Channels a customer may define its own policies on: `thumbs` (sizes) and `iiif-av` (presets). The `iiif-img`
 * policies (`default`: tiled pyramid, `use-original`) and `file/none` are behaviours of the platform, shared
 * system policies that every customer sees and none can change (as in the DLCS).
 */
export const CUSTOMER_POLICY_CHANNELS: readonly DeliveryChannel[] = ['thumbs', 'iiif-av'];

/** A policy name: lower-case letters, digits and `-` (SPEC.md §3.3). */
export const POLICY_NAME = /^[a-z0-9-]+$/;

/** True for a channel with a policy collection. */
export function isPolicyChannel(channel: string): channel is PolicyChannel {
  return (POLICY_CHANNELS as readonly string[]).includes(channel);
}

/** Largest width or height a thumbnail size may name, pixels (thumbnails are JPEG, whose edges stop at 65,535). */
export const MAX_THUMBNAIL_EDGE = 65_535;

/**
 * Why one `thumbs` policy entry is not a thumbnail size, or null (SPEC.md §3.3): an IIIF Image API 3.0 size
 * `w,`, `,h` or `!w,h`, optionally prefixed `^`, edges 1..{@link MAX_THUMBNAIL_EDGE}; never `max`, `pct:n`,
 * `w,h` (which would distort) or fractions.
 */
export function thumbnailSizeProblem(entry: string): string | null {
  let size;
  try {
    size = parseSizeV3(entry);
  } catch (err) {
    if (err instanceof IiifError) return `"${shown(entry)}" is not a IIIF size (${err.message})`;
    throw err;
  }
  switch (size.kind) {
    case 'max':
      return `"${shown(entry)}": max is not a thumbnail size; use w, ,h or !w,h`;
    case 'percent':
      return `"${shown(entry)}": pct: sizes are not thumbnail sizes; use w, ,h or !w,h`;
    case 'exact':
      return `"${shown(entry)}": w,h would distort the image; use !w,h for a bounding box`;
    default: {
      const edges = size.kind === 'width' ? [size.w] : size.kind === 'height' ? [size.h] : [size.w, size.h];
      if (edges.some((e) => e > MAX_THUMBNAIL_EDGE))
        return `"${shown(entry)}": edges must be at most ${MAX_THUMBNAIL_EDGE} pixels`;
      return null;
    }
  }
}

/** Why one `iiif-av` policy entry is not a preset of the transcoder, or null (SPEC.md §4.4). */
export function avPresetProblem(entry: string): string | null {
  return AV_PRESET_NAMES.includes(entry)
    ? null
    : `"${shown(entry)}" is not an AV preset (one of ${AV_PRESET_NAMES.join(', ')}; see GET /avPresets)`;
}

/** The result of {@link parsePolicyData}: the entries, or the problems. */
export type PolicyDataResult =
  { entries: string[]; problems?: undefined } | { entries?: undefined; problems: string[] };

/**
 * Parses a `policyData` value as sent (SPEC.md §3.3): a JSON-encoded array of strings (`"[\"!400,400\"]"`, as the
 * DLCS takes it), non-empty, without duplicates, at most {@link LIMITS.policyDataEntries} entries of at most
 * {@link LIMITS.policyDataEntry} characters; each entry valid for the channel (`thumbs`: {@link thumbnailSizeProblem},
 * `iiif-av`: {@link avPresetProblem}).
 * @returns the entries, or every problem found (for one 400 naming `policyData`).
 */
export function parsePolicyData(channel: DeliveryChannel, raw: string): PolicyDataResult {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { problems: ['policyData must be a JSON-encoded array of strings, e.g. "[\\"!400,400\\"]"'] };
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    return { problems: ['policyData must be a JSON-encoded array of strings, e.g. "[\\"!400,400\\"]"'] };
  const entries = value;
  if (entries.length === 0) return { problems: ['policyData must list at least one entry'] };
  if (entries.length > LIMITS.policyDataEntries)
    return { problems: [`policyData must list at most ${LIMITS.policyDataEntries} entries`] };
  const problems: string[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const at = `policyData entry ${i + 1}`;
    if (entry.length === 0 || entry.length > LIMITS.policyDataEntry) {
      problems.push(`${at} must be 1 to ${LIMITS.policyDataEntry} characters`);
      return;
    }
    if (seen.has(entry)) {
      problems.push(`${at} "${shown(entry)}" appears more than once`);
      return;
    }
    seen.add(entry);
    const problem =
      channel === 'thumbs'
        ? thumbnailSizeProblem(entry)
        : channel === 'iiif-av'
          ? avPresetProblem(entry)
          : null;
    if (problem) problems.push(`${at}: ${problem}`);
  });
  return problems.length ? { problems } : { entries };
}

/** An entry as quoted in a message: at most 40 characters. */
function shown(entry: string): string {
  return entry.length > 40 ? `${entry.slice(0, 40)}…` : entry;
}
