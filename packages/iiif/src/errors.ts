/**
 * An error in a IIIF Image API request, carrying the HTTP status the server should answer with.
 *
 * - 400 Bad Request: bad syntax, a region entirely outside the image or of zero width/height, a size
 *   that would upscale without `^` (3.0), a size over `maxWidth`/`maxHeight`/`maxArea`, an out-of-range
 *   rotation, an unsupported quality or format (IIIF Image API 3.0 §4.1–§4.5, 2.1 §4.1–§4.5).
 * - 501 Not Implemented: a valid request this server does not implement (IIIF Image API 3.0 §7.3).
 *
 * `message` is a human-readable sentence suitable for the body of the error response.
 */
export class IiifError extends Error {
  override readonly name = 'IiifError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Throws `IiifError(400, message)`. */
export function badRequest(message: string): never {
  throw new IiifError(400, message);
}

/** Throws `IiifError(501)` for an upscaling request where no size limit bounds it. */
export function notImplementedUpscaling(): never {
  throw new IiifError(
    501,
    'Upscaling above the region size is not available for this image (it has no maxWidth or maxArea)',
  );
}
