/**
 * Why a transcode failed, and whether a retry could help (SPEC.md §4.4). `retryable: false` = the input or the
 * request is wrong (unreadable input, a video preset on audio, an unknown preset): the asset gets the error and no
 * retry. `retryable: true` = the run itself failed (stalled and killed, store unreachable, ffmpeg crashed).
 */
export class MediaError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}
