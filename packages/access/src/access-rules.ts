/**
 * The access rules of Vellum (SPEC.md §6, seed 004 "maxWidth", "openFullMax", "openMaxWidth"): one pure module used
 * by the ingest planner (which thumbnails to make, and which of them are open) and by delivery (what to serve to
 * whom, what info.json and the probe service say), so the rule lives once.
 *
 * Sizes are pixels on the longest edge of a response (a square bounding box, seed 004: "maxWidth therefore defines
 * a square bounding box"); a value ≤ 0 is unset. Space defaults are applied to an asset when it is created (the
 * gateway), so an asset's own values are the ones that count here.
 */

/** The access settings of an asset (the asset resource's `roles`, `maxWidth`, `openFullMax`, `openMaxWidth`). */
export interface AccessSettings {
  /** Role names; a caller needs any one of them. Empty: the asset is open. */
  readonly roles: readonly string[];
  /** Longest edge (px) no response may exceed, for every caller; ≤ 0 unset. */
  readonly maxWidth: number;
  /** With roles: `/full/` requests whose output fits this square (px) are open to anyone; ≤ 0 unset. */
  readonly openFullMax: number;
  /** With roles: requests of any region whose output fits this square (px) are open to anyone; ≤ 0 unset. */
  readonly openMaxWidth: number;
}

/** Who is asking: the role names their session grants, or `undefined` when they presented no valid credential. */
export type Caller = { readonly roles: readonly string[] } | undefined;

/** `n` when positive, else `undefined` (SPEC.md §6: "≤ 0 means unset"). */
export function positive(n: number | null | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
}

/** True when the asset has roles: its image service, AV and file need a role beyond its open sizes. */
export function isRestricted(a: AccessSettings): boolean {
  return a.roles.length > 0;
}

/** True when `caller` holds one of the asset's roles (always true for an open asset). */
export function holdsRole(a: AccessSettings, caller: Caller): boolean {
  if (!isRestricted(a)) return true;
  return caller !== undefined && caller.roles.some((r) => a.roles.includes(r));
}

/**
 * The longest edge (px) any response of the asset may have, for every caller (`maxWidth`, written into info.json as
 * `maxWidth`, and also the cap of generated thumbnails); `undefined` when unbounded.
 */
export function maxEdge(a: AccessSettings): number | undefined {
  return positive(a.maxWidth);
}

/**
 * The longest edge (px) of an image response that anyone may have, whatever their roles, for a request whose region
 * is (`fullRegion`) or is not the whole image: unbounded (`Infinity`) for an open asset; with roles, the larger of
 * `openMaxWidth` (any region) and, for `/full/` requests, `openFullMax`; 0 when nothing is open. `maxWidth` caps it.
 */
export function openEdge(a: AccessSettings, fullRegion: boolean): number {
  const cap = maxEdge(a) ?? Infinity;
  if (!isRestricted(a)) return cap;
  const open = Math.max(positive(a.openMaxWidth) ?? 0, fullRegion ? (positive(a.openFullMax) ?? 0) : 0);
  return Math.min(open, cap);
}

/** What an image request may get (SPEC.md §5 "maxWidth enforced", §6). */
export type ImageRequestAccess =
  /** Served to this caller. */
  | { readonly outcome: 'allowed' }
  /** Larger than `maxWidth`: refused to everyone (a 400, like any size the image service does not offer). */
  | { readonly outcome: 'over-max-width'; readonly maxWidth: number }
  /** Needs one of the roles: 401 without a credential, 403 with one that lacks the roles. */
  | { readonly outcome: 'needs-role'; readonly authenticated: boolean };

/**
 * Decides an Image API request (IIIF Image API 3.0 §4 output `width`×`height` px, whole-image region or not) of
 * the asset for `caller` (SPEC.md §6): over `maxWidth` is refused to everyone; within the open edge
 * ({@link openEdge}) it is served to anyone; beyond it only to a caller holding one of the roles.
 */
export function imageRequestAccess(
  a: AccessSettings,
  request: { readonly fullRegion: boolean; readonly width: number; readonly height: number },
  caller: Caller,
): ImageRequestAccess {
  const edge = Math.max(request.width, request.height);
  const cap = maxEdge(a);
  if (cap !== undefined && edge > cap) return { outcome: 'over-max-width', maxWidth: cap };
  if (edge <= openEdge(a, request.fullRegion) || holdsRole(a, caller)) return { outcome: 'allowed' };
  return { outcome: 'needs-role', authenticated: caller !== undefined };
}

/**
 * Whether the asset's bytes beyond the Image API (AV derivatives, the original on the `file` channel) may go to
 * `caller`: open assets to anyone, restricted ones only with a role (the open sizes are an image notion).
 */
export function bytesAccess(a: AccessSettings, caller: Caller): ImageRequestAccess {
  if (holdsRole(a, caller)) return { outcome: 'allowed' };
  return { outcome: 'needs-role', authenticated: caller !== undefined };
}

/**
 * The longest edge (px) up to which thumbnails are made open, on the thumbs channel and for anyone (SPEC.md §6
 * "Thumbnails are open up to openMaxWidth/openFullMax (whichever is larger) when the asset has roles, else up to
 * maxWidth"; seed 004: "if the image has roles, and openFullMax and openMaxWidth are both 0, no thumbnails will be
 * produced" on the thumbs channel): `undefined` when unbounded; 0 when none is open. `maxWidth` caps it.
 */
export function openThumbnailEdge(a: AccessSettings): number | undefined {
  const cap = maxEdge(a);
  if (!isRestricted(a)) return cap;
  const open = Math.max(positive(a.openFullMax) ?? 0, positive(a.openMaxWidth) ?? 0);
  return cap === undefined ? open : Math.min(open, cap);
}

/** Whether a thumbnail of `width`×`height` px is open (made for the thumbs channel, listed in its info.json). */
export function isOpenThumbnail(a: AccessSettings, width: number, height: number): boolean {
  const edge = openThumbnailEdge(a);
  return edge === undefined || Math.max(width, height) <= edge;
}

/**
 * The `maxWidth` (px) of the open substitute image service (IIIF Auth 2.0 §2.1.1 `substitute`, seed 004
 * "openMaxWidth": "`.../{id}/substitute` ... has no access control ... it does have a maxWidth of openMaxWidth"),
 * capped by `maxWidth`; `undefined` when the asset offers no substitute (open, or `openMaxWidth` unset).
 */
export function substituteMaxWidth(a: AccessSettings): number | undefined {
  if (!isRestricted(a)) return undefined;
  const open = positive(a.openMaxWidth);
  if (open === undefined) return undefined;
  const cap = maxEdge(a);
  return cap === undefined ? open : Math.min(open, cap);
}

/** The outcome a probe service reports (IIIF Auth 2.0 §2.1.1 `AuthProbeResult2`). */
export interface ProbeOutcome {
  /** 200: the caller may see the resource; 401: no (valid) credential; 403: a credential without the roles. */
  readonly status: 200 | 401 | 403;
  /** True when the result offers the open substitute ({@link substituteMaxWidth}). */
  readonly substitute: boolean;
}

/**
 * The probe result for `caller` (IIIF Auth 2.0 §2.1.1; SPEC.md §6): 200 for an open asset or a caller holding a
 * role; otherwise 401 without a credential or 403 with one, offering the substitute when `openMaxWidth` is set.
 */
export function probeOutcome(a: AccessSettings, caller: Caller): ProbeOutcome {
  if (holdsRole(a, caller)) return { status: 200, substitute: false };
  return { status: caller === undefined ? 401 : 403, substitute: substituteMaxWidth(a) !== undefined };
}
