/**
 * Number grammars of the IIIF Image API URL parameters (IIIF Image API 3.0 §4 and §4.7
 * "Floating Point Values"): pixel values are non-negative integers made only of decimal digits;
 * percentages and rotation are non-negative decimals made only of digits and one `.` (no sign, no
 * exponent, no `+`). A leading `0` and no trailing zeros are only SHOULDs, so `.5` and `1.50` are accepted.
 */
const INTEGER = /^[0-9]+$/;
const DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

/** Parses a non-negative integer, or returns undefined when `s` is not one (or is not a safe integer). */
export function parseNonNegativeInteger(s: string): number | undefined {
  if (!INTEGER.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses a non-negative decimal, or returns undefined when `s` is not one. */
export function parseNonNegativeDecimal(s: string): number | undefined {
  if (!DECIMAL.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Formats a number the canonical way for a IIIF URL (IIIF Image API 3.0 §4.7, 2.1 §4.7 rotation):
 * an integer if possible, otherwise a decimal with a leading 0 and no trailing zeros, never an exponent.
 */
export function formatDecimal(n: number): string {
  if (Number.isInteger(n)) return String(n);
  // toFixed avoids exponent notation for tiny values; 10 places is far below a pixel or a degree.
  return n.toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
}
