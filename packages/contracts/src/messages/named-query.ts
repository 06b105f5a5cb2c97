import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUUID,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { registerMessage } from '../registry';
import { ObjectLocation } from './common';

/** The stored projections of a named query (SPEC.md §7): a PDF (one page per asset) or a ZIP of thumbnails. */
export const PROJECTION_KINDS = ['pdf', 'zip'] as const;
export type ProjectionKind = (typeof PROJECTION_KINDS)[number];

/** Most URL arguments a named query takes (`p1`..`p99`, as `MAX_ARGUMENTS` of @vellum/iiif). */
const MAX_PROJECTION_ARGUMENTS = 99;

/**
 * Command: build (or rebuild) one stored projection of a named query (SPEC.md §7 `pdf`, `zip`): resolve the query's
 * members now, write the PDF or ZIP to `output` (streamed), and mark the projection's control record done (or
 * failed). iiif-delivery → image-processor, published when a `/pdf/...` or `/zip/...` request finds the projection
 * missing or stale (a member changed since it was built).
 *
 * Idempotency: `build` is the control record's build number at request time; a command whose `build` is not the
 * record's current one (a newer request superseded it) is dropped, and a build already done is not redone.
 */
export class NamedQueryProjectionBuildV1 {
  static readonly routingKey = 'named-query.projection.build.v1';
  static readonly description =
    'Build the stored PDF or ZIP of a named query (its members resolved now), then mark its control record done or failed.';
  static readonly producers = ['iiif-delivery'];
  static readonly consumers = ['image-processor'];
  /** The control record (`named_query_projections.id`). */
  @IsUUID() projectionId!: string;
  /** The customer whose assets the query selects (the `{c}` of the URL, as its integer id). */
  @IsInt() @Min(1) customerId!: number;
  /** The named query's name (the `{query}` of the URL); its own or a global one. */
  @IsString() @IsNotEmpty() @MaxLength(100) queryName!: string;
  @IsIn(PROJECTION_KINDS) kind!: ProjectionKind;
  /** The URL arguments, percent-decoded, those beyond the template's arguments dropped. */
  @IsArray()
  @ArrayMaxSize(MAX_PROJECTION_ARGUMENTS)
  @IsString({ each: true })
  args!: string[];
  /** The control record's build number this command is for (1-based, incremented by every rebuild request). */
  @IsInt() @Min(1) build!: number;
  /** Where to write the PDF or ZIP: the outputs bucket (SPEC.md §8), a key derived from the control record. */
  @ValidateNested() @Type(() => ObjectLocation) output!: ObjectLocation;
}
registerMessage(NamedQueryProjectionBuildV1);
