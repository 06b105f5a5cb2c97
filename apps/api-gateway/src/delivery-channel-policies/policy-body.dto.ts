import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsText } from '@vellum/common';
import { IsOptional, Matches } from 'class-validator';
import { LIMITS } from '../http/limits';
import { POLICY_NAME } from './policy-data';

/**
 * A delivery channel policy as written (SPEC.md §3.3): `POST C/deliveryChannelPolicies/{channel}` needs `name`
 * and `policyData`; `PUT .../{channel}/{name}` needs `policyData` (a `name` must match the URL); `PATCH` takes
 * `displayName` and/or `policyData`. The keys are {@link POLICY_FIELDS}' `writable` (a unit test checks); the
 * per-channel check of `policyData` entries is `parsePolicyData`.
 */
export class DeliveryChannelPolicyBodyDto {
  @ApiPropertyOptional({
    description: `Name: ^[a-z0-9-]+$, ≤ ${LIMITS.policyName} characters, unique per channel; required on POST`,
    example: 'small-thumbs',
    maxLength: LIMITS.policyName,
    pattern: POLICY_NAME.source,
  })
  @IsOptional()
  @IsText({ min: 1, max: LIMITS.policyName })
  @Matches(POLICY_NAME, { message: 'name must be lower-case letters, digits and "-" (^[a-z0-9-]+$)' })
  name?: string;

  @ApiPropertyOptional({
    description: `Human-readable name (≤ ${LIMITS.displayName} characters; defaults to name)`,
    example: 'Small thumbnails',
    maxLength: LIMITS.displayName,
  })
  @IsOptional()
  @IsText({ max: LIMITS.displayName })
  displayName?: string;

  @ApiPropertyOptional({
    description:
      'JSON-encoded array of strings, non-empty, no duplicates: thumbs = IIIF sizes w, ,h or !w,h (optionally ^, ' +
      `edges ≤ 65535), iiif-av = preset names from GET /avPresets; ≤ ${LIMITS.policyDataEntries} entries; ` +
      'required on POST and PUT',
    example: '["!400,400","!200,200"]',
    maxLength: LIMITS.policyData,
  })
  @IsOptional()
  @IsText({ min: 1, max: LIMITS.policyData })
  policyData?: string;
}
