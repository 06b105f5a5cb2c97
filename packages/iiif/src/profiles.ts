import type { IiifVersion } from './types';

/** What a compliance level already includes, so info.json lists only extras beyond it. */
export interface LevelProfile {
  formats: readonly string[];
  qualities: readonly string[];
  features: readonly string[];
}

/** IIIF Image API 3.0 compliance levels (Image API Compliance 3.0 §3–§4). */
export const V3_LEVELS: Record<0 | 1 | 2, LevelProfile> = {
  0: { formats: ['jpg'], qualities: ['default'], features: [] },
  1: {
    formats: ['jpg'],
    qualities: ['default'],
    features: [
      'regionByPx',
      'regionSquare',
      'sizeByW',
      'sizeByH',
      'sizeByWh',
      'baseUriRedirect',
      'cors',
      'jsonldMediaType',
    ],
  },
  2: {
    formats: ['jpg', 'png'],
    // "color"/"gray" are required "if applicable" but 3.0 §4.4 says qualities beyond `default` MUST be
    // listed in extraQualities, so only `default` counts as built in.
    qualities: ['default'],
    features: [
      'regionByPx',
      'regionByPct',
      'regionSquare',
      'sizeByW',
      'sizeByH',
      'sizeByPct',
      'sizeByConfinedWh',
      'sizeByWh',
      'rotationBy90s',
      'baseUriRedirect',
      'cors',
      'jsonldMediaType',
    ],
  },
};

/** IIIF Image API 2.1 compliance levels (Image API Compliance 2.1 §3–§4). */
export const V2_LEVELS: Record<0 | 1 | 2, LevelProfile> = {
  0: { formats: ['jpg'], qualities: ['default'], features: [] },
  1: {
    formats: ['jpg'],
    qualities: ['default'],
    features: ['regionByPx', 'sizeByW', 'sizeByH', 'sizeByPct', 'baseUriRedirect', 'cors', 'jsonldMediaType'],
  },
  2: {
    formats: ['jpg', 'png'],
    qualities: ['default', 'color', 'gray', 'bitonal'],
    features: [
      'regionByPx',
      'regionByPct',
      'sizeByW',
      'sizeByH',
      'sizeByPct',
      'sizeByConfinedWh',
      'sizeByDistortedWh',
      'sizeByWh',
      'rotationBy90s',
      'baseUriRedirect',
      'cors',
      'jsonldMediaType',
    ],
  },
};

/** The URI of a compliance level's profile document (IIIF Image API 3.0 §6, 2.1 compliance §5). */
export function profileUri(version: IiifVersion, level: 0 | 1 | 2): string {
  return `http://iiif.io/api/image/${version}/level${level}.json`;
}

/**
 * Maps a feature name between versions: 3.0 `sizeUpscaling` is 2.1 `sizeAboveFull`. Returns undefined
 * for a 2.1-only feature asked for in 3.0 (`sizeByDistortedWh`, `sizeByWhListed`, `sizeByForcedWh`).
 */
export function featureFor(version: IiifVersion, feature: string): string | undefined {
  if (version === 2) return feature === 'sizeUpscaling' ? 'sizeAboveFull' : feature;
  if (feature === 'sizeAboveFull') return 'sizeUpscaling';
  if (feature === 'sizeByDistortedWh' || feature === 'sizeByWhListed' || feature === 'sizeByForcedWh') {
    return undefined;
  }
  return feature;
}

/** The values of `extra` not in `builtIn`, without duplicates, in their given order. */
export function extrasBeyond<T extends string>(
  extra: readonly T[] | undefined,
  builtIn: readonly string[],
): T[] {
  const out: T[] = [];
  for (const v of extra ?? []) if (!builtIn.includes(v) && !out.includes(v)) out.push(v);
  return out;
}
