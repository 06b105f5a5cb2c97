import type { IiifVersion } from './types';
import { profileUri } from './profiles';

/** `protocol` of every image information document (IIIF Image API 3.0 §5.2, 2.1 §5.2). */
export const IMAGE_PROTOCOL = 'http://iiif.io/api/image';
/** `@context` of a 3.0 image information document (IIIF Image API 3.0 §5.2). */
export const IMAGE_V3_CONTEXT = 'http://iiif.io/api/image/3/context.json';
/** `@context` of a 2.1 image information document (IIIF Image API 2.1 §5.2). */
export const IMAGE_V2_CONTEXT = 'http://iiif.io/api/image/2/context.json';
/** Content-Type of a 3.0 info.json (IIIF Image API 3.0 §5.1). */
export const IMAGE_V3_CONTENT_TYPE = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"';
/** Default Content-Type of a 2.1 info.json (IIIF Image API 2.1 §5.1: `application/json` unless asked). */
export const IMAGE_V2_CONTENT_TYPE = 'application/json';
/** 2.1 info.json Content-Type when the client's Accept asks for JSON-LD (IIIF Image API 2.1 §5.1). */
export const IMAGE_V2_JSONLD_CONTENT_TYPE = 'application/ld+json';

/**
 * The `Link` header value declaring the compliance level (IIIF Image API 3.0 §6, 2.1 compliance §5),
 * e.g. `<http://iiif.io/api/image/3/level2.json>;rel="profile"`.
 */
export function profileLinkHeader(version: IiifVersion, level: 0 | 1 | 2): string {
  return `<${profileUri(version, level)}>;rel="profile"`;
}

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
  index: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  // Split on commas outside quoted strings.
  const items = accept.match(/(?:[^,"]|"[^"]*")+/g) ?? [];
  items.forEach((item, index) => {
    const [type = '', ...rest] = (item.match(/(?:[^;"]|"[^"]*")+/g) ?? []).map((p) => p.trim());
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      params.set(
        p.slice(0, eq).trim().toLowerCase(),
        p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, ''),
      );
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0, index });
  });
  return ranges;
}

const PROFILE = /^https?:\/\/iiif\.io\/api\/image\/([23])\/context\.json$/;

/**
 * The version 2 or 3 an `Accept` header asks for through a media-type `profile` parameter whose URI matches
 * `pattern` (group 1 = the major version): the highest `q` wins (ties: the first listed), `q=0` ignored.
 * @internal shared by {@link versionFromAccept} and the Presentation API's `presentationVersionFromAccept`.
 */
export function profileVersionFromAccept(accept: string | undefined, pattern: RegExp): 2 | 3 | undefined {
  if (!accept) return undefined;
  let best: { version: 2 | 3; q: number } | undefined;
  for (const range of parseAccept(accept)) {
    const profile = range.params.get('profile');
    if (!profile || range.q <= 0) continue;
    for (const uri of profile.split(/\s+/)) {
      const m = pattern.exec(uri);
      if (!m) continue;
      const version = Number(m[1]) as 2 | 3;
      if (!best || range.q > best.q) best = { version, q: range.q };
      break;
    }
  }
  return best?.version;
}

/**
 * The Image API version an `Accept` header asks for through a media-type `profile` parameter (IIIF Image
 * API 3.0 §5.1 content negotiation), e.g. `application/ld+json;profile="http://iiif.io/api/image/2/context.json"`
 * → 2. Among several, the highest `q` wins (ties: the first listed); `q=0` ranges are ignored. A profile
 * may be a space-separated list of URIs; http and https are both accepted.
 *
 * @returns 2, 3, or undefined when no range names an Image API context
 */
export function versionFromAccept(accept: string | undefined): IiifVersion | undefined {
  return profileVersionFromAccept(accept, PROFILE);
}

/**
 * The Content-Type for an info.json response. 3.0 (IIIF Image API 3.0 §5.1): the JSON-LD type with the
 * 3.0 profile, unless the Accept header asks for `application/json` and names neither
 * `application/ld+json` nor a wildcard. 2.1 (IIIF Image API 2.1 §5.1): `application/json` unless Accept
 * names `application/ld+json`.
 */
export function infoContentType(version: IiifVersion, accept: string | undefined): string {
  const types = accept
    ? parseAccept(accept)
        .filter((r) => r.q > 0)
        .map((r) => r.type)
    : [];
  const wantsJsonLd = types.includes('application/ld+json');
  if (version === 2) return wantsJsonLd ? IMAGE_V2_JSONLD_CONTENT_TYPE : IMAGE_V2_CONTENT_TYPE;
  const plainOnly =
    types.includes('application/json') &&
    !wantsJsonLd &&
    !types.includes('*/*') &&
    !types.includes('application/*');
  return plainOnly ? 'application/json' : IMAGE_V3_CONTENT_TYPE;
}
