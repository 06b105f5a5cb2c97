import { badRequest } from './errors';
import { formatDecimal, parseNonNegativeDecimal } from './numbers';
import type { RotationRequest } from './types';

/**
 * Parses the rotation parameter; identical in IIIF Image API 2.1 and 3.0 (§4.3 in both): `n` or `!n`,
 * n a decimal number of clockwise degrees from 0 to 360 inclusive; `!` mirrors (on the vertical axis,
 * before rotating).
 *
 * @throws IiifError 400 for bad syntax (signs, exponents, empty) or a value above 360.
 */
export function parseRotation(s: string): RotationRequest {
  const mirror = s.startsWith('!');
  const degrees = parseNonNegativeDecimal(mirror ? s.slice(1) : s);
  if (degrees === undefined) badRequest(`Invalid rotation "${s}"`);
  if (degrees > 360) badRequest(`Rotation "${s}" is out of range (0 to 360)`);
  return { degrees, mirror };
}

/**
 * The canonical rotation parameter (IIIF Image API 3.0 §4.8, 2.1 §4.7): `!` when mirrored, then an
 * integer if possible, else a decimal with a leading 0 and no trailing zeros. `360` is kept as `360`.
 */
export function canonicalRotation(r: RotationRequest): string {
  return `${r.mirror ? '!' : ''}${formatDecimal(r.degrees)}`;
}
