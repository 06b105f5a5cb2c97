import { accessServicePath, logoutServicePath, type ProbeOutcome, tokenServicePath } from '@vellum/access';
import {
  assetUrls,
  AUTH_V2_CONTEXT,
  type AuthAccessService,
  encodeSegment,
  type IiifVersion,
  type JsonObject,
  type LanguageMap,
  probeServiceV3,
} from '@vellum/iiif';

/**
 * The IIIF Authorization Flow 2.0 descriptions iiif-delivery writes (SPEC.md §5, §6): the service tree of a
 * restricted asset (`AuthProbeService2` → `AuthAccessService2` → `AuthAccessTokenService2` +
 * `AuthLogoutService2`, Auth 2.0 §2) in info.json and manifests, and the probe result (`AuthProbeResult2`,
 * §2.1.1). Pure: built from a customer's {@link AccessView}.
 */

/** One access service of a customer as delivery describes it (the `access_services` row and its provider type). */
export interface AccessServiceView {
  name: string;
  profile: 'active' | 'kiosk' | 'external';
  label?: LanguageMap;
  heading?: LanguageMap;
  note?: LanguageMap;
  confirmLabel?: LanguageMap;
  /** The type of its role provider (`clickthrough`, `builtin`, `oidc`). */
  providerType: string;
}

/** A customer's access-control configuration as delivery needs it: which access service grants each role. */
export interface AccessView {
  customerId: number;
  /** The customer's display name: the institution logout labels name (Auth 2.0 §6.1 `label`). */
  displayName?: string;
  /** Role name → the name of the access service that grants it. */
  roles: ReadonlyMap<string, string>;
  /** Access service name → its description. */
  services: ReadonlyMap<string, AccessServiceView>;
}

/**
 * The label of a customer's logout services (Auth 2.0 §6.1 `label`: it "MUST clearly indicate the domain or
 * institution from which the user is logging out"): `Log out of {displayName}`, or `Log out` without one.
 */
export function logoutLabel(displayName: string | undefined): LanguageMap {
  return { en: [displayName ? `Log out of ${displayName}` : 'Log out'] };
}

/**
 * The access services that can grant one of `roles` (Auth 2.0 §2.2), one per distinct service, in the order of the
 * asset's roles: id `{auth}/auth/v2/access/{c}/{name}` (none for the `external` profile, which the client never
 * opens), `profile`, `label`, and for `active` also `heading`, `note`, `confirmLabel`; each with the customer's token
 * service `{auth}/auth/v2/token/{c}` and its logout service `.../logout` ({@link logoutLabel}). Roles the view does not know (not
 * configured, or stored before roles were names) offer nothing.
 * @param authBase the public base of auth-service, no trailing slash.
 */
export function accessServicesFor(
  view: AccessView,
  roles: readonly string[],
  authBase: string,
): AuthAccessService[] {
  const out: AuthAccessService[] = [];
  const seen = new Set<string>();
  const logout = logoutLabel(view.displayName);
  for (const role of roles) {
    const name = view.roles.get(role);
    if (name === undefined || seen.has(name)) continue;
    const s = view.services.get(name);
    if (!s) continue;
    seen.add(name);
    const a: AuthAccessService = {
      id: s.profile === 'external' ? undefined : `${authBase}${accessServicePath(view.customerId, s.name)}`,
      profile: s.profile,
      tokenService: `${authBase}${tokenServicePath(view.customerId)}`,
      logoutService: { id: `${authBase}${logoutServicePath(view.customerId, s.name)}`, label: logout },
    };
    if (s.label) a.label = s.label;
    if (s.profile === 'active') {
      if (s.heading) a.heading = s.heading;
      if (s.note) a.note = s.note;
      if (s.confirmLabel) a.confirmLabel = s.confirmLabel;
    }
    out.push(a);
  }
  return out;
}

/**
 * The `service` entries of a restricted image's info.json (IIIF Image API 3.0 §5.7 `service`, Auth 2.0 §2): the
 * probe service with its access services. In 2.1 documents each top-level service carries the Auth 2.0
 * `@context` itself (2.1 §5.3: a service not described by the Image API context names its own).
 */
export function imageAuthServices(
  version: 2 | 3,
  probe: string,
  access: readonly AuthAccessService[],
): JsonObject[] {
  const tree = probeServiceV3(probe, access);
  return version === 3 ? [tree] : [{ '@context': AUTH_V2_CONTEXT, ...tree }];
}

/** A substitute image service of a probe result (Auth 2.0 §2.1.1 `substitute`). */
export interface SubstituteService {
  id: string;
  type: 'ImageService3' | 'ImageService2';
  profile: 'level2';
}

/** Default `heading`/`note` of probe results refusing access (Auth 2.0 §2.1.1). */
const REFUSED_TEXT: Record<401 | 403, { heading: LanguageMap; note: LanguageMap }> = {
  401: {
    heading: { en: ['This resource is restricted'] },
    note: { en: ['Log in, or accept the terms of use, to see it.'] },
  },
  403: {
    heading: { en: ['Access denied'] },
    note: { en: ['You are logged in, but your access does not include this resource.'] },
  },
};

/**
 * The probe service result (IIIF Auth 2.0 §2.1.1 `AuthProbeResult2`): `@context`, `id` (the probe URL), `type`,
 * `status` (200, 401, 403: what the resource would answer this caller), and when refused `heading` and `note`
 * (for 401 the first access service's own, else a default) and, when the asset has one, `substitute` (the open
 * lower-resolution image services).
 * @param access the asset's access services ({@link accessServicesFor}).
 * @param substitute the substitute services, used when `outcome.substitute`.
 */
export function probeResult(
  probe: string,
  outcome: ProbeOutcome,
  access: readonly AuthAccessService[],
  substitute: readonly SubstituteService[],
): JsonObject {
  const out: JsonObject = {
    '@context': AUTH_V2_CONTEXT,
    id: probe,
    type: 'AuthProbeResult2',
    status: outcome.status,
  };
  if (outcome.status === 200) return out;
  if (outcome.substitute && substitute.length > 0) out.substitute = substitute.map((s) => ({ ...s }));
  const text = REFUSED_TEXT[outcome.status];
  const first = access[0];
  out.heading = (outcome.status === 401 && first?.heading) || text.heading;
  out.note = (outcome.status === 401 && first?.note) || text.note;
  return out;
}

/**
 * The public URL of an asset's probe service, `{delivery}/auth/v2/probe/{c}/{s}/{id}` (the id written as every
 * other delivery URL writes it, so info.json and manifests name the same probe).
 */
export function probeUrl(
  base: string,
  asset: { readonly customerId: number; readonly spaceId: number; readonly id: string },
): string {
  return `${base}/auth/v2/probe/${asset.customerId}/${asset.spaceId}/${encodeSegment(asset.id)}`;
}

/**
 * The substitute image services of an asset (`.../iiif-img/[v2/]{c}/{s}/{id}/substitute`), 3.0 then 2.1, as the
 * probe result's `substitute` lists them.
 * @param imageDefault the Image API version of unversioned URLs.
 */
export function substituteServices(
  base: string,
  asset: { readonly customerId: number; readonly spaceId: number; readonly id: string },
  imageDefault: IiifVersion,
): SubstituteService[] {
  const urls = assetUrls(base, asset, imageDefault);
  return [
    { id: `${urls.image(3)}/substitute`, type: 'ImageService3', profile: 'level2' },
    { id: `${urls.image(2)}/substitute`, type: 'ImageService2', profile: 'level2' },
  ];
}
