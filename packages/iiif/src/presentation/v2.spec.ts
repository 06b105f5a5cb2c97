import { presentation3SchemaErrors, upgradePresentation2 } from '../../test/presentation-validate';
import { labelV2 } from './asset-resources';
import { PRESENTATION_V2_CONTEXT } from './http';
import { buildManifestV2, presentableInV2 } from './v2';
import type { JsonObject, ManifestInput, PresentationAsset } from './types';

const BASE = 'https://iiif.example.org';
const MANIFEST = `${BASE}/iiif-manifest/v2/7/2/page-1`;
const THUMBS = [
  { width: 1024, height: 576 },
  { width: 200, height: 113 },
  { width: 400, height: 225 },
];

function image(extra: Partial<PresentationAsset> = {}): PresentationAsset {
  return {
    customerId: 7,
    spaceId: 2,
    id: 'page-1',
    mediaType: 'image/jpeg',
    channels: ['iiif-img', 'thumbs'],
    width: 5312,
    height: 2988,
    thumbnails: THUMBS,
    ...extra,
  };
}

function manifest(assets: PresentationAsset[], extra: Partial<ManifestInput> = {}): ManifestInput {
  return { id: MANIFEST, label: { none: ['page-1'] }, assets, base: BASE, ...extra };
}

/** Builds the 2.1 manifest; @iiif/parser must upgrade it to a schema-valid 3.0 manifest with every canvas. */
function v2(input: ManifestInput): JsonObject {
  const out = buildManifestV2(input);
  const upgraded = upgradePresentation2(JSON.parse(JSON.stringify(out)));
  expect(presentation3SchemaErrors(upgraded)).toEqual([]);
  expect(upgraded).toMatchObject({ id: input.id, type: 'Manifest' });
  const canvases = (out.sequences as Array<{ canvases: JsonObject[] }>)[0].canvases;
  expect((upgraded.items as JsonObject[]).map((c) => c.id)).toEqual(canvases.map((c) => c['@id']));
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const canvasesOf = (m: JsonObject): any[] => (m.sequences as any[])[0].canvases;

describe('buildManifestV2 (Presentation 2.1)', () => {
  it('an image asset: sequence, canvas, painting annotation with the Image 2 service, thumbnail', () => {
    const canvas = `${BASE}/iiif-manifest/7/2/page-1/canvas/c/1`;
    const thumbService = {
      '@context': 'http://iiif.io/api/image/2/context.json',
      '@id': `${BASE}/thumbs/v2/7/2/page-1`,
      profile: 'http://iiif.io/api/image/2/level0.json',
      sizes: [
        { width: 200, height: 113 },
        { width: 400, height: 225 },
        { width: 1024, height: 576 },
      ],
    };
    const thumbnail = {
      '@id': `${BASE}/thumbs/v2/7/2/page-1/full/200,113/0/default.jpg`,
      '@type': 'dctypes:Image',
      format: 'image/jpeg',
      width: 200,
      height: 113,
      service: thumbService,
    };
    expect(v2(manifest([image()]))).toEqual({
      '@context': PRESENTATION_V2_CONTEXT,
      '@id': MANIFEST,
      '@type': 'sc:Manifest',
      label: 'page-1',
      thumbnail,
      sequences: [
        {
          '@id': `${MANIFEST}/sequence/s0`,
          '@type': 'sc:Sequence',
          label: 'Current order',
          canvases: [
            {
              '@id': canvas,
              '@type': 'sc:Canvas',
              label: 'page-1',
              width: 5312,
              height: 2988,
              thumbnail,
              images: [
                {
                  '@id': `${canvas}/page/painting`,
                  '@type': 'oa:Annotation',
                  motivation: 'sc:painting',
                  resource: {
                    '@id': `${BASE}/thumbs/v2/7/2/page-1/full/1024,576/0/default.jpg`,
                    '@type': 'dctypes:Image',
                    format: 'image/jpeg',
                    width: 1024,
                    height: 576,
                    service: {
                      '@context': 'http://iiif.io/api/image/2/context.json',
                      '@id': `${BASE}/iiif-img/v2/7/2/page-1`,
                      profile: 'http://iiif.io/api/image/2/level2.json',
                    },
                  },
                  on: canvas,
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('the same canvas ids as the 3.0 manifest', () => {
    expect(canvasesOf(v2(manifest([image()])))[0]['@id']).toBe(`${BASE}/iiif-manifest/7/2/page-1/canvas/c/1`);
  });

  it('iiif-img without thumbs: the image service full/full, no thumbnail', () => {
    const [canvas] = canvasesOf(v2(manifest([image({ channels: ['iiif-img'] })])));
    expect(canvas.images[0].resource).toEqual({
      '@id': `${BASE}/iiif-img/v2/7/2/page-1/full/full/0/default.jpg`,
      '@type': 'dctypes:Image',
      format: 'image/jpeg',
      service: expect.objectContaining({ '@id': `${BASE}/iiif-img/v2/7/2/page-1` }),
    });
    expect(canvas.thumbnail).toBeUndefined();
  });

  it('thumbs only: the largest thumbnail with the level-0 service', () => {
    const [canvas] = canvasesOf(v2(manifest([image({ channels: ['thumbs'] })])));
    expect(canvas.images[0].resource.service).toMatchObject({
      '@id': `${BASE}/thumbs/v2/7/2/page-1`,
      profile: 'http://iiif.io/api/image/2/level0.json',
    });
  });

  it('with the file channel: the original as the canvas rendering; file-only assets on the manifest', () => {
    const m = v2(
      manifest([
        image({ channels: ['iiif-img', 'thumbs', 'file'] }),
        image({ id: 'notes', mediaType: 'application/pdf', channels: ['file'], width: undefined }),
        image({ id: 'data', mediaType: 'application/zip', channels: ['file'], width: undefined }),
      ]),
    );
    expect(canvasesOf(m)[0].rendering).toEqual([
      { '@id': `${BASE}/file/7/2/page-1`, '@type': 'dctypes:Image', label: 'page-1', format: 'image/jpeg' },
    ]);
    expect(m.rendering).toEqual([
      { '@id': `${BASE}/file/7/2/notes`, '@type': 'dctypes:Text', label: 'notes', format: 'application/pdf' },
      {
        '@id': `${BASE}/file/7/2/data`,
        '@type': 'dctypes:Dataset',
        label: 'data',
        format: 'application/zip',
      },
    ]);
  });

  it('leaves out AV and none assets, which 2.1 cannot show; restricted images get no auth services', () => {
    const av: PresentationAsset = {
      customerId: 7,
      spaceId: 2,
      id: 'track',
      mediaType: 'audio/mpeg',
      channels: ['iiif-av'],
      duration: 1000,
    };
    expect(presentableInV2(av)).toBe(false);
    const m = v2(manifest([av, image({ id: 'x', channels: ['none'] }), image({ restricted: true })]));
    expect(canvasesOf(m)).toHaveLength(1);
    expect(JSON.stringify(m)).not.toContain('auth');
    expect(m.rendering).toBeUndefined();
  });

  it('several assets in order, labels as strings or @value/@language lists, caller fields mapped', () => {
    const m = v2(
      manifest(
        [
          image({ id: 'b', label: { en: ['Page two'], fr: ['Page deux'] } }),
          image({ id: 'a', spaceId: 9, label: { none: ['Page one'] } }),
        ],
        {
          label: { en: ['Book'] },
          summary: { en: ['A book'] },
          metadata: [{ label: { en: ['Shelfmark'] }, value: { none: ['MS 1'] } }],
          requiredStatement: { label: { en: ['Attribution'] }, value: { en: ['The Library'] } },
          rights: 'http://creativecommons.org/licenses/by/4.0/',
        },
      ),
    );
    expect(canvasesOf(m).map((c) => c.label)).toEqual([
      [
        { '@value': 'Page two', '@language': 'en' },
        { '@value': 'Page deux', '@language': 'fr' },
      ],
      'Page one',
    ]);
    expect(m).toMatchObject({
      label: 'Book',
      description: 'A book',
      metadata: [{ label: 'Shelfmark', value: 'MS 1' }],
      attribution: 'The Library',
      license: 'http://creativecommons.org/licenses/by/4.0/',
    });
  });

  it('with Image API 2.1 as the default version, the 2.1 services are the unversioned URLs', () => {
    const [canvas] = canvasesOf(v2(manifest([image()], { imageDefaultVersion: 2 })));
    expect(canvas.images[0].resource.service['@id']).toBe(`${BASE}/iiif-img/7/2/page-1`);
    expect(canvas.thumbnail.service['@id']).toBe(`${BASE}/thumbs/7/2/page-1`);
  });
});

describe('labelV2', () => {
  it.each<[Record<string, string[]>, unknown]>([
    [{ none: ['a'] }, 'a'],
    [{ en: ['a'] }, 'a'],
    [{}, ''],
    [{ en: [] }, ''],
    [{ none: ['a', 'b'] }, [{ '@value': 'a' }, { '@value': 'b' }]],
    [{ en: ['a'], none: ['b'] }, [{ '@value': 'a', '@language': 'en' }, { '@value': 'b' }]],
  ])('%j → %j', (map, expected) => {
    expect(labelV2(map)).toEqual(expected);
  });
});
