/** Delivery channels (SPEC.md §1 "Delivery channel"). */
export const DELIVERY_CHANNELS = ['iiif-img', 'thumbs', 'iiif-av', 'file', 'none'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/** Asset family: `I` image, `T` time-based, `F` file (SPEC.md §1 "Family"). */
export type AssetFamily = 'I' | 'T' | 'F';

/** One entry of an asset's `deliveryChannels`: a channel and the name of its delivery channel policy. */
export interface AssetDeliveryChannel {
  channel: DeliveryChannel;
  policy: string;
}

/** The default thumbnail sizes (`thumbs/default` policy), IIIF size strings. */
export const DEFAULT_THUMBNAIL_SIZES: readonly string[] = ['!1024,1024', '!400,400', '!200,200', '!100,100'];

/** The tile edge the pyramid is written with and info.json advertises (SPEC.md §5), pixels. */
export const DEFAULT_TILE_SIZE = 512;

/**
 * Media types outside `image/*` that the image channels take (SPEC.md §4.3 "Inputs"): PDF, whose first page the
 * image-processor renders.
 */
export const IMAGE_CHANNEL_DOCUMENT_TYPES: readonly string[] = ['application/pdf'];

/**
 * Whether an asset of `mediaType` may have delivery channel `channel` (SPEC.md §3.4, §4.3): `iiif-img` and `thumbs`
 * need `image/*` or one of {@link IMAGE_CHANNEL_DOCUMENT_TYPES} (`application/pdf`); `iiif-av` needs `audio/*` or
 * `video/*`; `file` and `none` fit anything. Case-insensitive; parameters (`; charset=...`) are ignored. The same rule
 * holds for a default delivery channel rule's media type glob (`image/*` and `application/pdf` fit `iiif-img`,
 * `application/*` does not: it also matches types the image pipeline cannot take).
 */
export function channelFitsMediaType(channel: string, mediaType: string): boolean {
  const mt = mediaType.split(';')[0].trim().toLowerCase();
  switch (channel) {
    case 'iiif-img':
    case 'thumbs':
      return mt.startsWith('image/') || IMAGE_CHANNEL_DOCUMENT_TYPES.includes(mt);
    case 'iiif-av':
      return mt.startsWith('audio/') || mt.startsWith('video/');
    default:
      return true;
  }
}
