/** Why an input image cannot be processed at all (retrying would not help). */
export type UnprocessableReason = 'empty' | 'corrupt' | 'unsupported' | 'too-large' | 'missing-source';

/**
 * The input itself is bad: empty (0 bytes), corrupt or truncated, an unsupported format, more pixels than allowed,
 * or the staged source is gone (SPEC.md §4.1 step 5 "permanent"). The handler answers `ImageDerivativesFailedV1` with
 * `retryable: false` and this message, which reaches the asset's `error` field, so it is written for people.
 */
export class UnprocessableImageError extends Error {
  constructor(
    readonly reason: UnprocessableReason,
    message: string,
  ) {
    super(message);
    this.name = 'UnprocessableImageError';
  }
}
