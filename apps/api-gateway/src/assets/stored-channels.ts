import type { AssetDeliveryChannel } from '@vellum/contracts';

/** `deliveryChannels` JSON column → typed array (tolerates junk: anything malformed is dropped). */
export function storedChannels(value: unknown): AssetDeliveryChannel[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter(
      (c): c is AssetDeliveryChannel =>
        !!c && typeof c === 'object' && typeof (c as AssetDeliveryChannel).channel === 'string',
    )
    .map((c) => ({ channel: c.channel, policy: typeof c.policy === 'string' ? c.policy : 'default' }));
}
