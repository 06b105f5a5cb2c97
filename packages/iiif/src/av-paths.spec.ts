import { avFormatOf, avPaths, findTranscode, parseAvPath } from './av-paths';

const T = [
  { preset: 'video-mp4-720p', mediaType: 'video/mp4' },
  { preset: 'video-mp4-480p', mediaType: 'video/mp4' },
  { preset: 'video-webm-720p', mediaType: 'video/webm' },
  { preset: 'audio-mp3-128', mediaType: 'audio/mpeg' },
  { preset: 'audio-aac-128', mediaType: 'audio/mp4' },
  { preset: 'odd', mediaType: 'video/x-matroska' },
];

describe('av paths', () => {
  it('names the first transcode of each extension default, later ones by preset', () => {
    expect(avPaths(T)).toEqual([
      'full/full/max/max/0/default.mp4',
      'full/full/max/max/0/video-mp4-480p.mp4',
      'full/full/max/max/0/default.webm',
      'full/max/default.mp3',
      'full/max/default.m4a',
      undefined,
    ]);
  });

  it('parses the DLCS names and the preset names', () => {
    expect(parseAvPath(['full', 'max', 'default.mp3'])).toEqual({
      name: 'default',
      format: avFormatOf('audio/mpeg'),
    });
    expect(parseAvPath(['full', 'full', 'max', 'max', '0', 'video-mp4-480p.mp4'])?.name).toBe(
      'video-mp4-480p',
    );
  });

  it('rejects a video extension on the audio prefix, unknown extensions and odd names', () => {
    expect(parseAvPath(['full', 'max', 'default.mp4'])).toBeUndefined();
    expect(parseAvPath(['full', 'full', 'max', 'max', '0', 'default.mp3'])).toBeUndefined();
    expect(parseAvPath(['full', 'max', 'default.ogg'])).toBeUndefined();
    expect(parseAvPath(['full', 'max', '.mp3'])).toBeUndefined();
    expect(parseAvPath(['full', 'max', '-x.mp3'])).toBeUndefined();
    expect(parseAvPath([])).toBeUndefined();
  });

  it('finds the transcode a path names', () => {
    const find = (s: string) => findTranscode(T, parseAvPath(s.split('/'))!);
    expect(find('full/full/max/max/0/default.mp4')).toBe(0);
    expect(find('full/full/max/max/0/video-mp4-480p.mp4')).toBe(1);
    expect(find('full/full/max/max/0/video-mp4-480p.webm')).toBe(-1);
    expect(find('full/max/default.m4a')).toBe(4);
    expect(find('full/full/max/max/0/video-mp4-1080p.mp4')).toBe(-1);
    expect(avFormatOf('Audio/MPEG; x=1')?.extension).toBe('mp3');
  });
});
