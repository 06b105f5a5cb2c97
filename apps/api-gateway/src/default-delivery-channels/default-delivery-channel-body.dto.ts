import { ApiProperty } from '@nestjs/swagger';
import { DELIVERY_CHANNELS } from '@vellum/contracts';
import { IsText } from '@vellum/common';
import { IsIn, Matches } from 'class-validator';
import { LIMITS } from '../http/limits';

/** A media type glob: `type/subtype`, each part RFC 6838 characters or `*` (`image/*`, `*∕*`, `image/jp*`). */
export const MEDIA_TYPE_GLOB =
  /^[A-Za-z0-9*][A-Za-z0-9!#$&^_.+*-]{0,126}\/[A-Za-z0-9*][A-Za-z0-9!#$&^_.+*-]{0,126}$/;

/**
 * A default delivery channel rule as written (`POST`, `PUT`; SPEC.md §3.3): all three fields required. The keys
 * are {@link DEFAULT_CHANNEL_FIELDS}' `writable` (a unit test checks).
 */
export class DefaultDeliveryChannelBodyDto {
  @ApiProperty({ description: 'Delivery channel', enum: DELIVERY_CHANNELS, example: 'iiif-img' })
  @IsIn(DELIVERY_CHANNELS, { message: `channel must be one of ${DELIVERY_CHANNELS.join(', ')}` })
  channel!: string;

  @ApiProperty({
    description:
      'Policy of the channel that the customer sees (its own or a system one): a name, or a policy URL ending /{channel}/{name}',
    example: 'default',
    maxLength: LIMITS.policy,
  })
  @IsText({ min: 1, max: LIMITS.policy })
  policy!: string;

  @ApiProperty({
    description: `Media type glob: type/subtype with * wildcards, ≤ ${LIMITS.mediaType} characters (stored lower-case)`,
    example: 'image/*',
    maxLength: LIMITS.mediaType,
  })
  @IsText({ min: 1, max: LIMITS.mediaType })
  @Matches(MEDIA_TYPE_GLOB, { message: 'mediaType must be a media type glob such as image/* or video/mp4' })
  mediaType!: string;
}
