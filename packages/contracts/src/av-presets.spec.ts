import { AV_PRESET_NAMES, AV_PRESETS, avPreset } from './index';

describe('AV_PRESETS (SPEC.md §4.4)', () => {
  it('offers at least the presets the spec names, each once, with a well-formed name', () => {
    expect(AV_PRESET_NAMES).toEqual(
      expect.arrayContaining([
        'audio-mp3-128',
        'audio-mp3-192',
        'audio-aac-128',
        'video-mp4-480p',
        'video-mp4-720p',
        'video-mp4-1080p',
        'video-webm-720p',
      ]),
    );
    expect(new Set(AV_PRESET_NAMES).size).toBe(AV_PRESET_NAMES.length);
    for (const n of AV_PRESET_NAMES) expect(n).toMatch(/^[a-z0-9-]+$/);
  });

  it.each(AV_PRESETS.map((p) => [p.name, p]))('%s is consistent with its kind', (_name, p) => {
    expect(p.description).not.toBe('');
    expect(p.audio.bitrateKbps).toBeGreaterThan(0);
    if (p.kind === 'video') {
      expect(p.mediaType).toMatch(/^video\//);
      expect(p.video?.maxHeight).toBeGreaterThan(0);
    } else {
      expect(p.mediaType).toMatch(/^audio\//);
      expect(p.video).toBeUndefined();
    }
  });

  it('looks a preset up by name', () => {
    expect(avPreset('video-mp4-720p')?.video?.maxHeight).toBe(720);
    expect(avPreset('audio-mp3-192')?.audio.bitrateKbps).toBe(192);
    expect(avPreset('nope')).toBeUndefined();
  });

  it('the seeded default policies name presets of the list', () => {
    // packages/db migration 20251121000100_system_policies: iiif-av/default-video, iiif-av/default-audio.
    expect(avPreset('video-mp4-720p')?.kind).toBe('video');
    expect(avPreset('audio-mp3-128')?.kind).toBe('audio');
  });
});
