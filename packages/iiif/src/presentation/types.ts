import type { IiifVersion } from '../types';

/** IIIF Presentation API major version: 2 (= 2.1.1) or 3 (= 3.0). */
export type PresentationVersion = 2 | 3;

/** A language map (Presentation 3.0 §4.1 "label"): language tag (or `none`) → values. */
export type LanguageMap = Record<string, string[]>;

/** A `metadata` / `requiredStatement` pair (Presentation 3.0 §3.3). */
export interface LabelValue {
  label: LanguageMap;
  value: LanguageMap;
}

/** A pixel size. */
export interface PixelSize {
  width: number;
  height: number;
}

/** One audio/video derivative of an asset (SPEC.md §4.4), painted on its canvas. */
export interface AvTranscode {
  /** Path under the asset's `iiif-av` service, e.g. `full/max/default.mp3`, `full/full/max/max/0/default.mp4`. */
  path: string;
  /** e.g. `audio/mpeg`, `video/mp4`. */
  mediaType: string;
  /** Pixels (video). */
  width?: number;
  height?: number;
  /** Milliseconds; defaults to the asset's. */
  duration?: number;
  /** A label for viewers choosing among several (the preset name, e.g. `video-mp4-720p`). */
  label?: string;
}

/**
 * An IIIF Authorization Flow 2.0 access service offered by a probe service (Auth 2.0 §2.2, §2.3), with its token
 * and logout services (iiif-delivery fills them from the customer's access services).
 */
export interface AuthAccessService {
  /** The URL the client opens; none for the `external` profile (Auth 2.0 §2.2: the client opens nothing). */
  id?: string;
  /** `active`, `kiosk` or `external`. */
  profile: 'active' | 'kiosk' | 'external';
  label?: LanguageMap;
  heading?: LanguageMap;
  note?: LanguageMap;
  confirmLabel?: LanguageMap;
  /** The access token service's URL. */
  tokenService: string;
  /** The logout service, when there is one. */
  logoutService?: { id: string; label?: LanguageMap };
}

/**
 * One asset as the manifest builder sees it: a plain description, independent of where it was read from.
 * Sizes in pixels, durations in milliseconds (SPEC.md §3.4).
 */
export interface PresentationAsset {
  /** The customer's integer id (SPEC.md §3.4: delivery URLs name customers by id). */
  customerId: number;
  spaceId: number;
  id: string;
  /** The asset's declared media type, e.g. `image/jpeg`, `video/mp4`, `application/pdf`. */
  mediaType: string;
  /** Its delivery channel names (`iiif-img`, `thumbs`, `iiif-av`, `file`, `none`). */
  channels: readonly string[];
  width?: number;
  height?: number;
  duration?: number;
  /** The open thumbnail sizes (SPEC.md §6), in any order. */
  thumbnails?: readonly PixelSize[];
  /** True when the asset has roles (SPEC.md §6): its image and AV services carry the Auth 2.0 probe service. */
  restricted?: boolean;
  /** The access services the probe service offers (Auth 2.0; none until the access-control issue). */
  accessServices?: readonly AuthAccessService[];
  /**
   * The poster frame of a video (a JPEG at `{iiif-av}/poster.jpg`, pixels): the canvas `thumbnail` and
   * `placeholderCanvas` when the asset has no open thumbnails.
   */
  poster?: PixelSize;
  /** AV derivatives (SPEC.md §4.4): one → the painted body, several → a `Choice`. */
  transcodes?: readonly AvTranscode[];
  /** The canvas label; default `{ none: [id] }`. */
  label?: LanguageMap;
}

/** What a manifest is built from. */
export interface ManifestInput {
  /** The manifest's `id`: the URL it is served at. */
  id: string;
  label: LanguageMap;
  /** The assets, one canvas each (file-only assets as `rendering`), in this order. */
  assets: readonly PresentationAsset[];
  /** The public base URL of delivery (no trailing slash): every service and canvas id starts with it. */
  base: string;
  /** The Image API version served at unversioned image URLs (`VELLUM_IIIF_DEFAULT_VERSION`); default 3. */
  imageDefaultVersion?: IiifVersion;
  /** Left to the caller (issue 8): copied as given. */
  summary?: LanguageMap;
  metadata?: readonly LabelValue[];
  requiredStatement?: LabelValue;
  /** A rights URI (Presentation 3.0 §3.3 `rights`: Creative Commons or RightsStatements.org). */
  rights?: string;
}

/** A JSON object as the builders emit it. */
export type JsonObject = { [key: string]: unknown };
