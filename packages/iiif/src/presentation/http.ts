import { profileVersionFromAccept } from '../http';
import type { PresentationVersion } from './types';

/** `@context` of a Presentation 3.0 resource (Presentation 3.0 §4.6). */
export const PRESENTATION_V3_CONTEXT = 'http://iiif.io/api/presentation/3/context.json';
/** `@context` of a Presentation 2.1 resource (Presentation 2.1 §5.x). */
export const PRESENTATION_V2_CONTEXT = 'http://iiif.io/api/presentation/2/context.json';
/** `@context` of IIIF Authorization Flow 2.0 services, listed before the Presentation context (Auth 2.0 §4). */
export const AUTH_V2_CONTEXT = 'http://iiif.io/api/auth/2/context.json';

/** Content-Type of a Presentation 3.0 manifest (Presentation 3.0 §6.1). */
export const PRESENTATION_V3_CONTENT_TYPE =
  'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"';
/** Content-Type of a Presentation 2.1 manifest (the JSON-LD type with the 2.1 context as its profile). */
export const PRESENTATION_V2_CONTENT_TYPE =
  'application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"';

/** The Content-Type of a manifest of `version`. */
export function presentationContentType(version: PresentationVersion): string {
  return version === 3 ? PRESENTATION_V3_CONTENT_TYPE : PRESENTATION_V2_CONTENT_TYPE;
}

const PROFILE = /^https?:\/\/iiif\.io\/api\/presentation\/([23])\/context\.json$/;

/**
 * The Presentation API version an `Accept` header asks for through a `profile` parameter naming a Presentation
 * context (Presentation 3.0 §6.1), e.g. `application/ld+json;profile="http://iiif.io/api/presentation/2/context.json"`
 * → 2; the highest `q` wins, `q=0` ranges are ignored; http and https both accepted.
 * @returns 2, 3, or undefined when no range names a Presentation context.
 */
export function presentationVersionFromAccept(accept: string | undefined): PresentationVersion | undefined {
  return profileVersionFromAccept(accept, PROFILE);
}
