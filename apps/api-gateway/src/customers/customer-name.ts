/**
 * Customer name rules (SPEC.md §1 "Customer"): `^[a-zA-Z0-9_.-]+$`, at most 60 characters, not `admin`, not `v`
 * followed by digits (reserved for versioned paths). Vellum also refuses all-digit names, because public URLs
 * accept either the integer id or the name and a numeric name would be ambiguous.
 * @returns null when valid, else the reason.
 */
export function customerNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'name is required';
  if (name.length > 60) return 'name must be at most 60 characters';
  if (!/^[a-zA-Z0-9_.-]+$/.test(name)) return 'name may only contain letters, digits, "_", "." and "-"';
  if (name.toLowerCase() === 'admin') return 'name "admin" is reserved';
  if (/^v\d+$/i.test(name)) return 'names of the form "v<digits>" are reserved';
  if (/^\d+$/.test(name)) return 'name must not be all digits (it would be confused with a customer id)';
  return null;
}
