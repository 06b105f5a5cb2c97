import { isDeliveryError } from '../delivery-errors';
import { parseAvRequestPath } from './av-path';

function problem(fn: () => unknown): { status: number; detail: string } {
  try {
    fn();
  } catch (err) {
    if (isDeliveryError(err)) return { status: err.getStatus(), detail: String(err.problem.detail) };
    throw err;
  }
  throw new Error('no problem thrown');
}

describe('parseAvRequestPath', () => {
  it('parses audio and video paths, decoding the id', () => {
    expect(parseAvRequestPath('/iiif-av/7/2/my%20clip/full/max/default.mp3')).toMatchObject({
      customer: '7',
      space: '2',
      id: 'my clip',
      derivative: { name: 'default', format: { extension: 'mp3' } },
    });
    expect(
      (
        parseAvRequestPath('/iiif-av/acme/2/v/full/full/max/max/0/video-mp4-480p.mp4').derivative as {
          name: string;
        }
      ).name,
    ).toBe('video-mp4-480p');
  });

  it('parses the poster', () => {
    expect(parseAvRequestPath('/iiif-av/7/2/v/poster.jpg').derivative).toBe('poster.jpg');
    expect(problem(() => parseAvRequestPath('/iiif-av/7/2/v/full/poster.jpg')).status).toBe(404);
  });

  it('answers 404 for other shapes and 400 for a bad escape', () => {
    expect(problem(() => parseAvRequestPath('/iiif-av/7/2/v/full/max/default.mp4')).status).toBe(404);
    expect(problem(() => parseAvRequestPath('/iiif-av/7/2/v')).status).toBe(404);
    expect(problem(() => parseAvRequestPath('/iiif-av/7/2/v/full/max/default.mp3/x')).status).toBe(404);
    expect(problem(() => parseAvRequestPath('/iiif-av/7/2/%E0%A4/full/max/default.mp3'))).toEqual({
      status: 400,
      detail: 'Malformed percent-escape in path /iiif-av/7/2/%E0%A4/full/max/default.mp3',
    });
  });
});
