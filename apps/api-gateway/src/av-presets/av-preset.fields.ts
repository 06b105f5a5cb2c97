import type { AvPreset } from '@vellum/contracts';
import type { Links } from '../http/links.service';
import { defineFields } from '../resource/field-table';

/**
 * An AV transcode preset (`vocab:AvPreset`, SPEC.md §4.4) as `GET /avPresets` renders it, from the transcoder's
 * own list (`AV_PRESETS` in @vellum/contracts). Read-only: presets come with the platform.
 */
export const AV_PRESET_FIELDS = defineFields<AvPreset, Links>()(
  'vocab:AvPreset',
  {
    name: {
      type: 'string',
      description: 'The name iiif-av delivery channel policies list in their policyData',
      order: true,
    },
    kind: {
      type: 'string',
      description: 'audio or video',
      filter: 'equals',
      max: 10,
      order: true,
    },
    description: { type: 'string', description: 'What the preset makes' },
    mediaType: { type: 'string', description: 'Media type of the output', filter: 'equals', max: 100 },
    extension: {
      type: 'string',
      description: 'File extension of the output (its delivery URL ends with it)',
    },
    audio: { type: 'object', description: 'The audio stream: {codec, bitrateKbps}' },
    video: {
      type: 'object',
      description: 'The video stream of video presets: {codec, maxHeight} (pixels, never upscaled)',
    },
  },
  ['name'],
);
