import { presentation3SchemaErrors, upgradePresentation2 } from '../../test/presentation-validate';
import { assetPresentation, type AssetPresentation } from './asset-resources';
import { AUTH_V2_CONTEXT, PRESENTATION_V3_CONTEXT } from './http';
import { buildManifestV2, presentableInV2 } from './v2';
import { buildManifestV3, probeServiceV3 } from './v3';
import type { JsonObject, ManifestInput, PresentationAsset } from './types';

const BASE = 'https://iiif.example.org';
const MANIFEST = `${BASE}/iiif-manifest/7/2/page-1`;
const THUMBS = [
  { width: 100, height: 56 },
  { width: 1024, height: 576 },
  { width: 400, height: 225 },
  { width: 200, height: 113 },
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

/** Builds the 3.0 manifest and checks it against the IIIF schema (every 3.0 output of these tests is). */
function v3(input: ManifestInput): JsonObject {
  const out = buildManifestV3(input);
  expect(presentation3SchemaErrors(out)).toEqual([]);
  // It survives JSON (what delivery sends) unchanged: no undefined members, no cycles.
  expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  return out;
}

/** Builds the 2.1 manifest and checks that @iiif/parser upgrades it to a schema-valid 3.0 one. */
function v2(input: ManifestInput): JsonObject {
  const out = buildManifestV2(input);
  const upgraded = upgradePresentation2(JSON.parse(JSON.stringify(out)));
  expect(presentation3SchemaErrors(upgraded)).toEqual([]);
  const canvases = (out.sequences as Array<{ canvases: unknown[] }>)[0].canvases;
  expect((upgraded.items as unknown[]).length).toBe(canvases.length);
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const canvases = (m: JsonObject): any[] => m.items as any[];

describe('buildManifestV3 (Presentation 3.0; SPEC.md §5, §7)', () => {
  it('an image asset with iiif-img and thumbs: canvas, painting annotation, both image services, thumbnail', () => {
    const m = v3(manifest([image()]));
    const canvas = `${MANIFEST}/canvas/c/1`;
    expect(m).toEqual({
      '@context': PRESENTATION_V3_CONTEXT,
      id: MANIFEST,
      type: 'Manifest',
      label: { none: ['page-1'] },
      thumbnail: canvases(m)[0].thumbnail,
      items: [
        {
          id: canvas,
          type: 'Canvas',
          label: { none: ['page-1'] },
          width: 5312,
          height: 2988,
          thumbnail: [
            {
              id: `${BASE}/thumbs/7/2/page-1/full/200,113/0/default.jpg`,
              type: 'Image',
              format: 'image/jpeg',
              width: 200,
              height: 113,
              service: [
                {
                  id: `${BASE}/thumbs/7/2/page-1`,
                  type: 'ImageService3',
                  profile: 'level0',
                  sizes: [
                    { width: 100, height: 56 },
                    { width: 200, height: 113 },
                    { width: 400, height: 225 },
                    { width: 1024, height: 576 },
                  ],
                },
              ],
            },
          ],
          items: [
            {
              id: `${canvas}/page`,
              type: 'AnnotationPage',
              items: [
                {
                  id: `${canvas}/page/painting`,
                  type: 'Annotation',
                  motivation: 'painting',
                  body: {
                    id: `${BASE}/thumbs/7/2/page-1/full/1024,576/0/default.jpg`,
                    type: 'Image',
                    format: 'image/jpeg',
                    width: 1024,
                    height: 576,
                    service: [
                      { id: `${BASE}/iiif-img/7/2/page-1`, type: 'ImageService3', profile: 'level2' },
                      {
                        '@id': `${BASE}/iiif-img/v2/7/2/page-1`,
                        '@type': 'ImageService2',
                        profile: 'http://iiif.io/api/image/2/level2.json',
                      },
                    ],
                  },
                  target: canvas,
                },
              ],
            },
          ],
        },
      ],
    });
  });

  describe('every delivery-channel combination of an image asset', () => {
    const combos: Array<[string[], boolean]> = [];
    for (const img of [false, true])
      for (const thumbs of [false, true])
        for (const file of [false, true])
          for (const restricted of [false, true]) {
            const channels = [img && 'iiif-img', thumbs && 'thumbs', file && 'file'].filter(
              (c): c is string => !!c,
            );
            combos.push([channels.length ? channels : ['none'], restricted]);
          }

    it.each(combos)('%j, restricted %s', (channels, restricted) => {
      const asset = image({ channels, restricted });
      const expected: AssetPresentation =
        channels.includes('iiif-img') || channels.includes('thumbs')
          ? 'image'
          : channels.includes('file')
            ? 'file'
            : 'none';
      expect(assetPresentation(asset)).toBe(expected);
      const m = v3(manifest([asset]));
      const [canvas] = canvases(m);
      if (expected !== 'image') {
        expect(m.items).toEqual([]);
        if (expected === 'file') {
          expect(m.rendering).toEqual([
            {
              id: `${BASE}/file/7/2/page-1`,
              type: 'Image',
              label: { none: ['page-1'] },
              format: 'image/jpeg',
            },
          ]);
        } else {
          expect(m.rendering).toBeUndefined();
        }
        expect(presentableInV2(asset)).toBe(false);
        return;
      }
      expect(canvas).toMatchObject({ type: 'Canvas', width: 5312, height: 2988 });
      const body = canvas.items[0].items[0].body;
      const types = body.service.map((s: JsonObject) => s.type ?? s['@type']);
      if (channels.includes('iiif-img')) {
        expect(types.slice(0, 2)).toEqual(['ImageService3', 'ImageService2']);
        const probe = body.service[0].service;
        if (restricted) {
          expect(probe).toEqual([{ id: `${BASE}/auth/v2/probe/7/2/page-1`, type: 'AuthProbeService2' }]);
          expect(m['@context']).toEqual([AUTH_V2_CONTEXT, PRESENTATION_V3_CONTEXT]);
        } else {
          expect(probe).toBeUndefined();
          expect(m['@context']).toBe(PRESENTATION_V3_CONTEXT);
        }
      } else {
        // Thumbs only: the thumbnail painted, with its level-0 services; the thumbs channel is always open.
        expect(body.service).toEqual([
          expect.objectContaining({
            id: `${BASE}/thumbs/7/2/page-1`,
            type: 'ImageService3',
            profile: 'level0',
          }),
          {
            '@id': `${BASE}/thumbs/v2/7/2/page-1`,
            '@type': 'ImageService2',
            profile: 'http://iiif.io/api/image/2/level0.json',
          },
        ]);
      }
      if (channels.includes('thumbs')) {
        expect(body.id).toBe(`${BASE}/thumbs/7/2/page-1/full/1024,576/0/default.jpg`);
        expect(canvas.thumbnail[0].id).toBe(`${BASE}/thumbs/7/2/page-1/full/200,113/0/default.jpg`);
      } else {
        expect(body.id).toBe(`${BASE}/iiif-img/7/2/page-1/full/max/0/default.jpg`);
        expect(body.width).toBeUndefined();
        expect(canvas.thumbnail).toBeUndefined();
        expect(m.thumbnail).toBeUndefined();
      }
      if (channels.includes('file')) {
        expect(canvas.rendering).toEqual([
          { id: `${BASE}/file/7/2/page-1`, type: 'Image', label: { none: ['page-1'] }, format: 'image/jpeg' },
        ]);
      } else {
        expect(canvas.rendering).toBeUndefined();
      }
      expect(m.rendering).toBeUndefined();
      // ...and the same asset in 2.1.
      expect(presentableInV2(asset)).toBe(true);
      v2(manifest([asset]));
    });
  });

  it('a restricted image without thumbnails: the probe on the image service and on the painted image', () => {
    const m = v3(manifest([image({ channels: ['iiif-img'], restricted: true })]));
    const body = canvases(m)[0].items[0].items[0].body;
    const probe = { id: `${BASE}/auth/v2/probe/7/2/page-1`, type: 'AuthProbeService2' };
    expect(body.service).toEqual([
      { id: `${BASE}/iiif-img/7/2/page-1`, type: 'ImageService3', profile: 'level2', service: [probe] },
      expect.objectContaining({ '@type': 'ImageService2' }),
      probe,
    ]);
  });

  it('the probe offers the access services given, with their token and logout services (Auth 2.0 shape)', () => {
    const m = v3(
      manifest([
        image({
          restricted: true,
          accessServices: [
            {
              id: `${BASE}/auth/v2/access/7/clickthrough`,
              profile: 'active',
              label: { en: ['Terms of use'] },
              heading: { en: ['Please read'] },
              note: { en: ['Accept to see the images'] },
              confirmLabel: { en: ['I agree'] },
              tokenService: `${BASE}/auth/v2/token/7`,
              logoutService: { id: `${BASE}/auth/v2/logout/7`, label: { en: ['Log out'] } },
            },
            {
              id: `${BASE}/auth/v2/access/7/kiosk`,
              profile: 'kiosk',
              tokenService: `${BASE}/auth/v2/token/7`,
            },
          ],
        }),
      ]),
    );
    expect(canvases(m)[0].items[0].items[0].body.service[0].service).toEqual([
      {
        id: `${BASE}/auth/v2/probe/7/2/page-1`,
        type: 'AuthProbeService2',
        service: [
          {
            id: `${BASE}/auth/v2/access/7/clickthrough`,
            type: 'AuthAccessService2',
            profile: 'active',
            label: { en: ['Terms of use'] },
            heading: { en: ['Please read'] },
            note: { en: ['Accept to see the images'] },
            confirmLabel: { en: ['I agree'] },
            service: [
              { id: `${BASE}/auth/v2/token/7`, type: 'AuthAccessTokenService2' },
              { id: `${BASE}/auth/v2/logout/7`, type: 'AuthLogoutService2', label: { en: ['Log out'] } },
            ],
          },
          {
            id: `${BASE}/auth/v2/access/7/kiosk`,
            type: 'AuthAccessService2',
            profile: 'kiosk',
            service: [{ id: `${BASE}/auth/v2/token/7`, type: 'AuthAccessTokenService2' }],
          },
        ],
      },
    ]);
  });

  it('an external access service has no id (Auth 2.0 §2.2: the client opens nothing)', () => {
    const tree = probeServiceV3(`${BASE}/auth/v2/probe/7/2/page-1`, [
      { profile: 'external', label: { en: ['On site'] }, tokenService: `${BASE}/auth/v2/token/7` },
    ]);
    expect(tree.service).toEqual([
      {
        type: 'AuthAccessService2',
        profile: 'external',
        label: { en: ['On site'] },
        service: [{ id: `${BASE}/auth/v2/token/7`, type: 'AuthAccessTokenService2' }],
      },
    ]);
  });

  it('an image asset without a pixel size is no canvas (a rendering with the file channel, else nothing)', () => {
    expect(assetPresentation(image({ width: 0 }))).toBe('none');
    expect(assetPresentation(image({ height: undefined, channels: ['iiif-img', 'file'] }))).toBe('file');
    expect(assetPresentation(image({ channels: ['thumbs'], thumbnails: [] }))).toBe('none');
    expect(v3(manifest([image({ width: 0 })])).items).toEqual([]);
  });

  describe('audio and video', () => {
    const audio = (extra: Partial<PresentationAsset> = {}): PresentationAsset => ({
      customerId: 7,
      spaceId: 2,
      id: 'track-1',
      mediaType: 'audio/mpeg',
      channels: ['iiif-av'],
      duration: 138_930,
      ...extra,
    });

    it('a canvas with duration in seconds, painted with the one transcode', () => {
      const m = v3(
        manifest([audio({ transcodes: [{ path: 'full/max/default.mp3', mediaType: 'audio/mpeg' }] })]),
      );
      const [canvas] = canvases(m);
      expect(canvas).toMatchObject({ type: 'Canvas', duration: 138.93 });
      expect(canvas.width).toBeUndefined();
      expect(canvas.items[0].items[0].body).toEqual({
        id: `${BASE}/iiif-av/7/2/track-1/full/max/default.mp3`,
        type: 'Sound',
        format: 'audio/mpeg',
        duration: 138.93,
      });
      expect(presentableInV2(audio())).toBe(false);
    });

    it('a video with several transcodes: width/height and a Choice; thumbs and file too', () => {
      const m = v3(
        manifest([
          audio({
            id: 'clip',
            mediaType: 'video/mp4',
            channels: ['iiif-av', 'thumbs', 'file'],
            width: 960,
            height: 540,
            duration: 5_060,
            thumbnails: [{ width: 400, height: 225 }],
            transcodes: [
              {
                path: 'full/full/max/max/0/default.mp4',
                mediaType: 'video/mp4',
                width: 1280,
                height: 720,
              },
              { path: 'full/full/max/max/0/default.webm', mediaType: 'video/webm', duration: 5_000 },
            ],
          }),
        ]),
      );
      const [canvas] = canvases(m);
      expect(canvas).toMatchObject({ width: 960, height: 540, duration: 5.06 });
      expect(canvas.items[0].items[0].body).toEqual({
        type: 'Choice',
        items: [
          {
            id: `${BASE}/iiif-av/7/2/clip/full/full/max/max/0/default.mp4`,
            type: 'Video',
            format: 'video/mp4',
            width: 1280,
            height: 720,
            duration: 5.06,
          },
          {
            id: `${BASE}/iiif-av/7/2/clip/full/full/max/max/0/default.webm`,
            type: 'Video',
            format: 'video/webm',
            duration: 5,
          },
        ],
      });
      expect(canvas.thumbnail[0].id).toBe(`${BASE}/thumbs/7/2/clip/full/400,225/0/default.jpg`);
      // The poster's largest thumbnail as the placeholder canvas, painted with its JPEG.
      expect(canvas.placeholderCanvas).toMatchObject({
        id: `${canvas.id}/placeholder`,
        type: 'Canvas',
        width: 400,
        height: 225,
      });
      expect(canvas.placeholderCanvas.items[0].items[0]).toMatchObject({
        motivation: 'painting',
        target: `${canvas.id}/placeholder`,
        body: {
          id: `${BASE}/thumbs/7/2/clip/full/400,225/0/default.jpg`,
          type: 'Image',
          format: 'image/jpeg',
          width: 400,
          height: 225,
        },
      });
      expect(canvas.rendering[0]).toMatchObject({
        id: `${BASE}/file/7/2/clip`,
        type: 'Video',
        format: 'video/mp4',
      });
    });

    it('labels each choice with its preset; audio gets no placeholder canvas', () => {
      const m = v3(
        manifest([
          audio({
            channels: ['iiif-av', 'thumbs'],
            thumbnails: [{ width: 100, height: 100 }],
            transcodes: [
              { path: 'full/max/default.mp3', mediaType: 'audio/mpeg', label: 'audio-mp3-128' },
              { path: 'full/max/default.m4a', mediaType: 'audio/mp4', label: 'audio-aac-128' },
            ],
          }),
        ]),
      );
      const [canvas] = canvases(m);
      expect(canvas.placeholderCanvas).toBeUndefined();
      expect(canvas.items[0].items[0].body.items.map((b: { label: unknown }) => b.label)).toEqual([
        { none: ['audio-mp3-128'] },
        { none: ['audio-aac-128'] },
      ]);
    });

    it('a video without thumbnails: its poster is the thumbnail and the placeholder canvas', () => {
      const m = v3(
        manifest([
          audio({
            id: 'clip',
            mediaType: 'video/mp4',
            width: 960,
            height: 540,
            poster: { width: 960, height: 540 },
            transcodes: [{ path: 'full/full/max/max/0/default.mp4', mediaType: 'video/mp4' }],
          }),
        ]),
      );
      const [canvas] = canvases(m);
      const poster = {
        id: `${BASE}/iiif-av/7/2/clip/poster.jpg`,
        type: 'Image',
        format: 'image/jpeg',
        width: 960,
        height: 540,
      };
      expect(canvas.thumbnail).toEqual([poster]);
      expect(canvas.placeholderCanvas).toMatchObject({ type: 'Canvas', width: 960, height: 540 });
      expect(canvas.placeholderCanvas.items[0].items[0].body).toEqual(poster);
    });

    it('no transcodes yet: the canvas with its duration and an empty annotation page', () => {
      const [canvas] = canvases(v3(manifest([audio()])));
      expect(canvas.items).toEqual([{ id: `${canvas.id}/page`, type: 'AnnotationPage', items: [] }]);
    });

    it('restricted: the probe service on each painted resource', () => {
      const m = v3(
        manifest([
          audio({
            restricted: true,
            transcodes: [{ path: 'full/max/default.mp3', mediaType: 'audio/mpeg' }],
          }),
        ]),
      );
      expect(canvases(m)[0].items[0].items[0].body.service).toEqual([
        { id: `${BASE}/auth/v2/probe/7/2/track-1`, type: 'AuthProbeService2' },
      ]);
      expect(m['@context']).toEqual([AUTH_V2_CONTEXT, PRESENTATION_V3_CONTEXT]);
    });

    it('without a duration: a rendering with the file channel, else nothing', () => {
      expect(assetPresentation(audio({ duration: undefined }))).toBe('none');
      // A video not transcoded yet is not shown as an image, even with a size and thumbnails.
      const poster = {
        mediaType: 'video/mp4',
        width: 960,
        height: 540,
        thumbnails: THUMBS,
        duration: undefined,
      };
      expect(assetPresentation(audio({ ...poster, channels: ['iiif-av', 'thumbs'] }))).toBe('none');
      expect(assetPresentation(audio({ ...poster, channels: ['thumbs'] }))).toBe('none');
      const m = v3(manifest([audio({ duration: 0, channels: ['iiif-av', 'file'] })]));
      expect(m.items).toEqual([]);
      expect(m.rendering).toEqual([
        { id: `${BASE}/file/7/2/track-1`, type: 'Sound', label: { none: ['track-1'] }, format: 'audio/mpeg' },
      ]);
    });
  });

  it.each<[string, string]>([
    ['application/pdf', 'Text'],
    ['text/plain', 'Text'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'Text'],
    ['application/zip', 'Dataset'],
    ['application/json', 'Dataset'],
    ['model/gltf+json', 'Model'],
    ['image/tiff', 'Image'],
    ['audio/wav', 'Sound'],
    ['video/quicktime', 'Video'],
  ])('a file-only %s asset is a manifest-level rendering of type %s', (mediaType, type) => {
    const m = v3(manifest([image({ id: 'doc', mediaType, channels: ['file'], width: undefined })]));
    expect(m.items).toEqual([]);
    expect(m.rendering).toEqual([
      { id: `${BASE}/file/7/2/doc`, type, label: { none: ['doc'] }, format: mediaType },
    ]);
  });

  it('several assets: one canvas each in the order given, files as renderings, none left out', () => {
    const m = v3(
      manifest([
        image({ id: 'p2' }),
        image({ id: 'notes', mediaType: 'application/pdf', channels: ['file'] }),
        image({ id: 'p1', spaceId: 3 }),
        image({ id: 'hidden', channels: ['none'] }),
        image({ id: 'p3', channels: ['iiif-img'] }),
      ]),
    );
    expect(canvases(m).map((c) => c.id)).toEqual([
      `${BASE}/iiif-manifest/7/2/p2/canvas/c/1`,
      `${BASE}/iiif-manifest/7/3/p1/canvas/c/1`,
      `${BASE}/iiif-manifest/7/2/p3/canvas/c/1`,
    ]);
    expect((m.rendering as JsonObject[]).map((r) => r.id)).toEqual([`${BASE}/file/7/2/notes`]);
    // The manifest's thumbnail is the first canvas's.
    expect(m.thumbnail).toEqual(canvases(m)[0].thumbnail);
    // Canvas, page and annotation ids are unique within the manifest.
    const ids = canvases(m).flatMap((c) => [c.id, c.items[0].id, c.items[0].items[0].id]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("keeps the caller's label, summary, metadata, requiredStatement and rights, and the canvases' labels", () => {
    const m = v3(
      manifest([image({ label: { en: ['Page one'], fr: ['Page un'] } })], {
        label: { en: ['Book b12345'] },
        summary: { en: ['A book'] },
        metadata: [{ label: { en: ['Shelfmark'] }, value: { none: ['MS 1'] } }],
        requiredStatement: { label: { en: ['Attribution'] }, value: { en: ['The Library'] } },
        rights: 'http://creativecommons.org/licenses/by/4.0/',
      }),
    );
    expect(m).toMatchObject({
      label: { en: ['Book b12345'] },
      summary: { en: ['A book'] },
      metadata: [{ label: { en: ['Shelfmark'] }, value: { none: ['MS 1'] } }],
      requiredStatement: { label: { en: ['Attribution'] }, value: { en: ['The Library'] } },
      rights: 'http://creativecommons.org/licenses/by/4.0/',
    });
    expect(canvases(m)[0].label).toEqual({ en: ['Page one'], fr: ['Page un'] });
  });

  it('with Image API 2.1 as the default version, the unversioned image URLs are the 2.1 service', () => {
    const m = v3(manifest([image()], { imageDefaultVersion: 2 }));
    const [canvas] = canvases(m);
    expect(canvas.items[0].items[0].body.service.map((s: JsonObject) => s.id ?? s['@id'])).toEqual([
      `${BASE}/iiif-img/v3/7/2/page-1`,
      `${BASE}/iiif-img/7/2/page-1`,
    ]);
    expect(canvas.thumbnail[0].service[0].id).toBe(`${BASE}/thumbs/v3/7/2/page-1`);
  });

  it('percent-encodes asset ids in every URL, keeping sub-delimiters readable', () => {
    const m = v3(manifest([image({ id: "odd id's (1)+x?#é" })]));
    const [canvas] = canvases(m);
    expect(canvas.id).toBe(`${BASE}/iiif-manifest/7/2/odd%20id's%20(1)+x%3F%23%C3%A9/canvas/c/1`);
    expect(canvas.label).toEqual({ none: ["odd id's (1)+x?#é"] });
    expect(canvas.items[0].items[0].body.service[0].id).toBe(
      `${BASE}/iiif-img/7/2/odd%20id's%20(1)+x%3F%23%C3%A9`,
    );
  });

  it('the schema check can fail: it refuses a manifest without a label, or a canvas without a size', () => {
    const m = buildManifestV3(manifest([image()]));
    expect(presentation3SchemaErrors({ ...m, label: undefined })).not.toEqual([]);
    const canvas = { ...canvases(m)[0], width: undefined, height: undefined };
    expect(presentation3SchemaErrors({ ...m, items: [canvas] })).not.toEqual([]);
  });

  it('an empty manifest (no assets) is still schema-valid', () => {
    expect(v3(manifest([])).items).toEqual([]);
  });
});
