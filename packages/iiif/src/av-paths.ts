/**
 * URL paths of audio/video derivatives on the `iiif-av` channel (SPEC.md §4.4, §5), shared by delivery (which
 * transcode a path names) and the manifest builder (the path it paints). Pure: no I/O.
 *
 * The DLCS names, one per file extension:
 * - audio: `full/max/default.{mp3|m4a}`;
 * - video: `full/full/max/max/0/default.{mp4|webm}`.
 * `default` names the FIRST transcode with that extension (the policy's order, as written by the transcoder).
 * Every transcode is also named by its preset in place of `default`, e.g. `full/full/max/max/0/video-mp4-480p.mp4`,
 * so that a policy with several presets of one container (480p, 720p, 1080p MP4) has a URL for each.
 */

/** Whether a media type is painted as sound or video, and its file extension. */
export interface AvFormat {
  kind: 'audio' | 'video';
  extension: 'mp3' | 'm4a' | 'mp4' | 'webm';
  mediaType: string;
}

/** The derivative formats of the presets (SPEC.md §4.4), by media type. */
export const AV_FORMATS: readonly AvFormat[] = [
  { kind: 'audio', extension: 'mp3', mediaType: 'audio/mpeg' },
  { kind: 'audio', extension: 'm4a', mediaType: 'audio/mp4' },
  { kind: 'video', extension: 'mp4', mediaType: 'video/mp4' },
  { kind: 'video', extension: 'webm', mediaType: 'video/webm' },
];

/** The prefix of audio paths (after `/iiif-av/{c}/{s}/{id}/`). */
export const AV_AUDIO_PREFIX = 'full/max';
/** The prefix of video paths. */
export const AV_VIDEO_PREFIX = 'full/full/max/max/0';

/** The format of a derivative's media type (parameters ignored), or undefined for one no preset writes. */
export function avFormatOf(mediaType: string): AvFormat | undefined {
  const essence = mediaType.split(';')[0].trim().toLowerCase();
  return AV_FORMATS.find((f) => f.mediaType === essence);
}

/** One transcode as far as naming goes. */
export interface NamedTranscode {
  preset: string;
  mediaType: string;
}

/** The path of a derivative named `name` (`default` or a preset) in `format`. */
export function avPath(format: AvFormat, name: string): string {
  return `${format.kind === 'audio' ? AV_AUDIO_PREFIX : AV_VIDEO_PREFIX}/${name}.${format.extension}`;
}

/**
 * The canonical path of each transcode, in order: the `default` name for the first of each extension, the preset
 * name for later ones; undefined for a media type no preset writes (not served).
 */
export function avPaths(transcodes: readonly NamedTranscode[]): Array<string | undefined> {
  const seen = new Set<string>();
  return transcodes.map((t) => {
    const format = avFormatOf(t.mediaType);
    if (!format) return undefined;
    const first = !seen.has(format.extension);
    seen.add(format.extension);
    return avPath(format, first ? 'default' : t.preset);
  });
}

/** A parsed derivative path: the name (`default` or a preset) and the format from the extension. */
export interface AvPathRequest {
  name: string;
  format: AvFormat;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Parses the derivative part of an `iiif-av` path (the segments after the asset id), e.g.
 * `['full','max','default.mp3']` or `['full','full','max','max','0','video-mp4-720p.mp4']`. An audio extension
 * needs the audio prefix and a video one the video prefix.
 * @returns undefined when the segments are no derivative path.
 */
export function parseAvPath(segments: readonly string[]): AvPathRequest | undefined {
  const last = segments[segments.length - 1] ?? '';
  const dot = last.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const name = last.slice(0, dot);
  const format = AV_FORMATS.find((f) => f.extension === last.slice(dot + 1));
  if (!format || !NAME.test(name)) return undefined;
  const prefix = segments.slice(0, -1).join('/');
  if (prefix !== (format.kind === 'audio' ? AV_AUDIO_PREFIX : AV_VIDEO_PREFIX)) return undefined;
  return { name, format };
}

/**
 * The index of the transcode a parsed path names among `transcodes`: `default` → the first of the extension;
 * a preset name → that preset, when its media type has the extension. -1 when none.
 */
export function findTranscode(transcodes: readonly NamedTranscode[], req: AvPathRequest): number {
  return transcodes.findIndex((t) => {
    if (avFormatOf(t.mediaType)?.extension !== req.format.extension) return false;
    return req.name === 'default' || t.preset === req.name;
  });
}
