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
