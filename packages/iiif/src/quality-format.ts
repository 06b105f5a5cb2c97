import { badRequest } from './errors';
import type { ImageFormat, Quality } from './types';

/** Every quality both versions define (IIIF Image API 3.0 §4.4, 2.1 §4.4). */
export const QUALITIES: readonly Quality[] = ['default', 'color', 'gray', 'bitonal'];

/** The formats this platform produces (a subset of IIIF Image API 3.0 §4.5; no `jp2`, no `pdf`). */
export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpg', 'png', 'webp', 'tif', 'gif'];

/**
 * Parses `{quality}.{format}` (IIIF Image API 3.0 §4.4–§4.5, 2.1 §4.4–§4.5), same in both versions.
 * Case-sensitive. 2.1 has no `native` quality (that was Image API 1.x), so it is rejected.
 *
 * @throws IiifError 400 for a missing `.`, an unknown or unsupported quality, and an unknown or
 *   unsupported format (`jp2`, `pdf`, `bmp`, `jpeg`, ...). Both 2.1 and 3.0 say "A format value that is
 *   unsupported SHOULD result in a 400"; 415 is not used.
 */
export function parseQualityFormat(s: string): { quality: Quality; format: ImageFormat } {
  const dot = s.lastIndexOf('.');
  if (dot < 0) badRequest(`Invalid quality and format "${s}": expected {quality}.{format}`);
  const quality = s.slice(0, dot);
  const format = s.slice(dot + 1);
  if (!(QUALITIES as readonly string[]).includes(quality)) badRequest(`Unsupported quality "${quality}"`);
  if (!(IMAGE_FORMATS as readonly string[]).includes(format)) badRequest(`Unsupported format "${format}"`);
  return { quality: quality as Quality, format: format as ImageFormat };
}

/** The media type of a format (IIIF Image API 3.0 §4.5 table). */
export function mediaTypeFor(format: ImageFormat): string {
  switch (format) {
    case 'jpg':
      return 'image/jpeg';
    case 'png':
      return 'image/png';
    case 'webp':
      return 'image/webp';
    case 'tif':
      return 'image/tiff';
    case 'gif':
      return 'image/gif';
  }
}
