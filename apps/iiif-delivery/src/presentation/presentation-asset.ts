import type { NamedQueryAsset } from '@vellum/db';
import { type AvTranscode, avPaths, type PixelSize, type PresentationAsset } from '@vellum/iiif';
import {
  deliveredOn,
  type DeliveryAsset,
  type DeliveryTranscode,
  posterOf,
  transcodesOf,
} from '../asset-lookup.service';

/**
 * Plain descriptions of assets for the manifest builder of @vellum/iiif (SPEC.md §5, §7), from what delivery
 * reads: a looked-up {@link DeliveryAsset} (single-asset manifests) or a named query's rows (`NamedQueryAsset`).
 */

/** A single asset's description: its channels, size, duration, open thumbnails and whether it has roles. */
export function fromDeliveryAsset(asset: DeliveryAsset): PresentationAsset {
  return {
    customerId: asset.customerId,
    spaceId: asset.spaceId,
    id: asset.id,
    mediaType: asset.mediaType,
    channels: withPosterThumbs(asset.channels, deliveredOn(asset, 'thumbs') && asset.thumbnails.length > 0),
    width: asset.width,
    height: asset.height,
    duration: asset.duration,
    thumbnails: asset.thumbnails.map((t) => ({ width: t.width, height: t.height })),
    restricted: asset.roles.length > 0,
    transcodes: paintedTranscodes(asset.transcodes),
    poster: asset.poster ? { width: asset.poster.width, height: asset.poster.height } : undefined,
  };
}

/**
 * The transcodes the manifest paints (SPEC.md §4.4, §5): each with its `iiif-av` path (`@vellum/iiif` `avPaths`:
 * the DLCS `default` name for the first of an extension, the preset name for later ones), media type, dimensions
 * and duration; those of a media type no preset writes are left out (delivery does not serve them).
 */
export function paintedTranscodes(transcodes: readonly DeliveryTranscode[]): AvTranscode[] {
  const paths = avPaths(transcodes);
  const out: AvTranscode[] = [];
  transcodes.forEach((t, i) => {
    const path = paths[i];
    if (!path) return;
    out.push({
      path,
      mediaType: t.mediaType,
      width: t.width,
      height: t.height,
      duration: t.duration,
      label: t.preset,
    });
  });
  return out;
}

/** The channel names of an asset's `deliveryChannels` JSON (`[{ channel, policy }]`). */
export function channelNames(deliveryChannels: unknown): string[] {
  if (!Array.isArray(deliveryChannels)) return [];
  return (deliveryChannels as Array<{ channel?: unknown } | null>)
    .map((c) => (typeof c?.channel === 'string' ? c.channel : ''))
    .filter(Boolean);
}

/**
 * The channels the manifest builder sees: a video whose poster went through the image pipeline (SPEC.md §4.4) has
 * the poster's thumbnails service, so its canvas `thumbnail` and `placeholderCanvas` come from it (`thumbs` added).
 * @param posterThumbs the asset has a poster and open thumbnails of it.
 */
function withPosterThumbs(channels: string[], posterThumbs: boolean): string[] {
  if (!posterThumbs || !channels.includes('iiif-av') || channels.includes('thumbs')) return channels;
  return [...channels, 'thumbs'];
}

/**
 * The open thumbnail sizes of an asset's `derivatives` JSON (`thumbnails.open` `[[w, h]]`, each with a stored key
 * in `thumbnails.keys`, as the lookup of the thumbs channel requires).
 */
export function openThumbnails(derivatives: unknown): PixelSize[] {
  const thumbs = (derivatives as { thumbnails?: { open?: unknown; keys?: Record<string, unknown> } } | null)
    ?.thumbnails;
  if (!thumbs || !Array.isArray(thumbs.open)) return [];
  return (thumbs.open as unknown[])
    .filter(
      (s): s is [number, number] =>
        Array.isArray(s) &&
        s.length === 2 &&
        Number.isInteger(s[0]) &&
        Number.isInteger(s[1]) &&
        (s[0] as number) > 0 &&
        (s[1] as number) > 0,
    )
    .filter(([w, h]) => typeof thumbs.keys?.[`${w},${h}`] === 'string')
    .map(([width, height]) => ({ width, height }));
}

/** One named-query row's description. */
export function fromNamedQueryAsset(row: NamedQueryAsset): PresentationAsset {
  return {
    customerId: row.customerId,
    spaceId: row.spaceId,
    id: row.id,
    mediaType: row.mediaType,
    channels: withPosterThumbs(
      channelNames(row.deliveryChannels),
      posterOf((row.derivatives as { poster?: unknown } | null)?.poster) !== undefined &&
        openThumbnails(row.derivatives).length > 0,
    ),
    width: row.width ?? 0,
    height: row.height ?? 0,
    duration: row.duration ?? 0,
    thumbnails: openThumbnails(row.derivatives),
    restricted: row.roles.length > 0,
    transcodes: paintedTranscodes(
      transcodesOf((row.derivatives as { transcodes?: unknown } | null)?.transcodes),
    ),
    poster: posterSize((row.derivatives as { poster?: unknown } | null)?.poster),
  };
}

/** The newest change among `rows` (`updated`, or `finished` when later): a projection's `Last-Modified`. */
export function newestChange(rows: readonly Pick<NamedQueryAsset, 'updated' | 'finished'>[]): Date {
  let newest = 0;
  for (const r of rows) newest = Math.max(newest, r.updated.getTime(), r.finished?.getTime() ?? 0);
  return new Date(newest);
}

/** The pixel size of a well-formed `derivatives.poster`. */
function posterSize(value: unknown): PixelSize | undefined {
  const p = posterOf(value);
  return p ? { width: p.width, height: p.height } : undefined;
}
