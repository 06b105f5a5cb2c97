/**
 * The audio/video transcode presets of the platform (SPEC.md §4.4): the one list the av-transcoder turns into
 * ffmpeg arguments and the management API publishes (`GET /avPresets`) and validates `iiif-av` delivery channel
 * policies against. Pure data: no ffmpeg, no framework.
 */

/** What a preset makes: an audio-only or a video output. */
export type AvPresetKind = 'audio' | 'video';

/** One transcode preset: its output container, codecs and bounds. */
export interface AvPreset {
  /** The name `iiif-av` policies list, e.g. `video-mp4-720p` (`^[a-z0-9-]+$`). */
  readonly name: string;
  readonly kind: AvPresetKind;
  /** One line for people choosing a preset. */
  readonly description: string;
  /** Media type of the output (`audio/mpeg`, `video/mp4`). */
  readonly mediaType: string;
  /** File extension of the output, the one in its delivery URL (`full/max/default.mp3`). */
  readonly extension: string;
  /** The audio stream: codec and bitrate, kbit/s. */
  readonly audio: { readonly codec: 'mp3' | 'aac' | 'opus'; readonly bitrateKbps: number };
  /** The video stream (video presets only): codec and the largest height, pixels (aspect ratio kept, never upscaled). */
  readonly video?: { readonly codec: 'h264' | 'vp9'; readonly maxHeight: number };
}

/** Every preset the transcoder offers (SPEC.md §4.4), in the order `GET /avPresets` lists them. */
export const AV_PRESETS: readonly AvPreset[] = Object.freeze([
  {
    name: 'audio-mp3-128',
    kind: 'audio',
    description: 'MP3 audio at 128 kbit/s',
    mediaType: 'audio/mpeg',
    extension: 'mp3',
    audio: { codec: 'mp3', bitrateKbps: 128 },
  },
  {
    name: 'audio-mp3-192',
    kind: 'audio',
    description: 'MP3 audio at 192 kbit/s',
    mediaType: 'audio/mpeg',
    extension: 'mp3',
    audio: { codec: 'mp3', bitrateKbps: 192 },
  },
  {
    name: 'audio-aac-128',
    kind: 'audio',
    description: 'AAC audio at 128 kbit/s in an MPEG-4 (m4a) container',
    mediaType: 'audio/mp4',
    extension: 'm4a',
    audio: { codec: 'aac', bitrateKbps: 128 },
  },
  {
    name: 'video-mp4-480p',
    kind: 'video',
    description: 'MP4 video (H.264, at most 480 pixels high) with AAC audio at 96 kbit/s',
    mediaType: 'video/mp4',
    extension: 'mp4',
    audio: { codec: 'aac', bitrateKbps: 96 },
    video: { codec: 'h264', maxHeight: 480 },
  },
  {
    name: 'video-mp4-720p',
    kind: 'video',
    description: 'MP4 video (H.264, at most 720 pixels high) with AAC audio at 128 kbit/s',
    mediaType: 'video/mp4',
    extension: 'mp4',
    audio: { codec: 'aac', bitrateKbps: 128 },
    video: { codec: 'h264', maxHeight: 720 },
  },
  {
    name: 'video-mp4-1080p',
    kind: 'video',
    description: 'MP4 video (H.264, at most 1080 pixels high) with AAC audio at 192 kbit/s',
    mediaType: 'video/mp4',
    extension: 'mp4',
    audio: { codec: 'aac', bitrateKbps: 192 },
    video: { codec: 'h264', maxHeight: 1080 },
  },
  {
    name: 'video-webm-720p',
    kind: 'video',
    description: 'WebM video (VP9, at most 720 pixels high) with Opus audio at 128 kbit/s',
    mediaType: 'video/webm',
    extension: 'webm',
    audio: { codec: 'opus', bitrateKbps: 128 },
    video: { codec: 'vp9', maxHeight: 720 },
  },
] satisfies AvPreset[]);

/** The preset names, in list order. */
export const AV_PRESET_NAMES: readonly string[] = Object.freeze(AV_PRESETS.map((p) => p.name));

/** The preset called `name`, or undefined when the transcoder has none of that name. */
export function avPreset(name: string): AvPreset | undefined {
  return AV_PRESETS.find((p) => p.name === name);
}
