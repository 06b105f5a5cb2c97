import { channelFitsMediaType } from './delivery-channels';

describe('channelFitsMediaType (SPEC.md §3.4, §4.3)', () => {
  it.each([
    ['iiif-img', 'image/jpeg', true],
    ['iiif-img', 'IMAGE/TIFF', true],
    ['iiif-img', 'image/*', true],
    ['iiif-img', 'application/pdf', true],
    ['iiif-img', 'Application/PDF; charset=binary', true],
    ['thumbs', 'application/pdf', true],
    ['thumbs', 'image/avif', true],
    ['iiif-img', 'application/*', false],
    ['iiif-img', 'application/zip', false],
    ['iiif-img', 'application/pdfx', false],
    ['thumbs', 'text/plain', false],
    ['iiif-img', 'video/mp4', false],
    ['iiif-av', 'video/mp4', true],
    ['iiif-av', 'audio/*', true],
    ['iiif-av', 'application/pdf', false],
    ['iiif-av', 'image/jpeg', false],
    ['file', 'application/zip', true],
    ['file', 'image/jpeg', true],
    ['none', 'anything/at-all', true],
  ])('%s with %s → %s', (channel, mediaType, fits) => {
    expect(channelFitsMediaType(channel, mediaType)).toBe(fits);
  });
});
