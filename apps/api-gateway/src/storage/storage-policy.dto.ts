import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** Storage policy ids: one URL path segment of letters, digits, `.`, `_`, `-`, at most 60 characters. */
export const STORAGE_POLICY_ID = /^[A-Za-z0-9_.-]{1,60}$/;

/** Largest limit accepted: JSON numbers are exact up to 2^53 - 1. */
export const MAX_LIMIT = Number.MAX_SAFE_INTEGER;

const limit = (what: string) => ({
  description: `${what}; a non-negative integer ≤ 2^53 - 1 (required on create)`,
  minimum: 0,
  maximum: MAX_LIMIT,
  type: 'integer' as const,
});

/**
 * A storage policy as written (SPEC.md §8; keys = `STORAGE_POLICY_FIELDS.writable`, checked by a unit test).
 * `POST /storagePolicies` needs all three; `PUT /storagePolicies/{id}` takes the id from the URL and, on an
 * existing policy, changes only the limits supplied.
 */
export class StoragePolicyBodyDto {
  @ApiPropertyOptional({
    description: 'Policy id (must match the URL on PUT)',
    example: 'small',
    maxLength: 60,
  })
  @IsOptional()
  @IsString()
  @MaxLength(60)
  @Matches(STORAGE_POLICY_ID, { message: 'id must be 1-60 characters of letters, digits, ".", "_" and "-"' })
  id?: string;

  @ApiPropertyOptional({ ...limit('Most assets a customer may hold'), example: 10000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LIMIT)
  maximumNumberOfStoredImages?: number;

  @ApiPropertyOptional({ ...limit('Most bytes of stored images'), example: 1099511627776 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LIMIT)
  maximumTotalSizeOfStoredImages?: number;
}

/** Members of `vocab:StoragePolicy` clients may echo back (ignored on write). */
export const STORAGE_POLICY_READ_ONLY = ['created', 'modified'];

/** `PUT C/storagePolicy`: assigns a storage policy to a customer (admin only). */
export class AssignStoragePolicyDto {
  @ApiProperty({
    description: 'The policy: its @id URL (…/storagePolicies/{id}) or its id',
    example: 'https://api.example.org/storagePolicies/default',
    maxLength: 2000,
  })
  @IsString()
  @MaxLength(2000)
  storagePolicy!: string;
}

/**
 * The policy id named by a `storagePolicy` value: the last segment of a `…/storagePolicies/{id}` URL
 * (%-decoded), or the value itself when it is a bare id. Returns null when it names no valid id.
 */
export function storagePolicyIdOf(value: string): string | null {
  const m = /\/storagePolicies\/([^/?#]+)\/?$/.exec(value);
  let id = value;
  if (m) {
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      return null;
    }
  }
  return STORAGE_POLICY_ID.test(id) ? id : null;
}
