import type { AvPreset } from '@vellum/contracts';

/**
 * ffmpeg output arguments of one preset (SPEC.md §4.4), pure. Video: the first video stream scaled to at most the
 * preset's height, never upscaled (`min(maxHeight, ih)`), both edges even (H.264 4:2:0 needs them), aspect ratio
 * kept; the first audio stream when there is one (`0:a:0?`). MP4/M4A get `+faststart` (`moov` before `mdat`).
 * @param preset from `AV_PRESETS`.
 * @param input local source file; @param output local output file (its extension is the preset's).
 */
export function presetArgs(preset: AvPreset, input: string, output: string): string[] {
  const audio = audioArgs(preset);
  if (preset.kind === 'audio') {
    return ['-i', input, '-map', '0:a:0', '-vn', '-sn', '-dn', ...audio, ...containerArgs(preset), output];
  }
  const h = preset.video?.maxHeight ?? 720;
  const scale = `scale=w=-2:h='trunc(min(${h},ih)/2)*2'`;
  const video =
    preset.video?.codec === 'vp9'
      ? // Constant quality, realtime deadline: VP9's default "good" deadline is ~10× slower than x264 here.
        [
          '-c:v',
          'libvpx-vp9',
          '-b:v',
          '0',
          '-crf',
          '33',
          '-deadline',
          'realtime',
          '-cpu-used',
          '8',
          '-row-mt',
          '1',
        ]
      : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-profile:v', 'high', '-pix_fmt', 'yuv420p'];
  return [
    '-i',
    input,
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
    '-sn',
    '-dn',
    '-vf',
    `${scale},format=yuv420p`,
    ...video,
    ...audio,
    ...containerArgs(preset),
    output,
  ];
}

function audioArgs(preset: AvPreset): string[] {
  const codec = { mp3: 'libmp3lame', aac: 'aac', opus: 'libopus' }[preset.audio.codec];
  return ['-c:a', codec, '-b:a', `${preset.audio.bitrateKbps}k`];
}

function containerArgs(preset: AvPreset): string[] {
  if (preset.extension === 'mp4' || preset.extension === 'm4a')
    return ['-movflags', '+faststart', '-f', 'mp4'];
  if (preset.extension === 'webm') return ['-f', 'webm'];
  return ['-f', 'mp3', '-id3v2_version', '3'];
}

/**
 * ffmpeg arguments of the poster: one frame at `atMs` (10 % of the duration, SPEC.md §4.4) as a JPEG, full size.
 * `-ss` before `-i` seeks by keyframe then decodes to the exact time.
 */
export function posterArgs(input: string, atMs: number, output: string): string[] {
  return [
    '-ss',
    (atMs / 1000).toFixed(3),
    '-i',
    input,
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    '-q:v',
    '3',
    '-f',
    'image2',
    output,
  ];
}
