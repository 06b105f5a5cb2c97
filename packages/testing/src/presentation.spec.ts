import { presentation3SchemaErrors, upgradePresentation2 } from './presentation';

const MANIFEST_V3 = {
  '@context': 'http://iiif.io/api/presentation/3/context.json',
  id: 'https://example.org/m',
  type: 'Manifest',
  label: { none: ['m'] },
  items: [
    {
      id: 'https://example.org/m/c1',
      type: 'Canvas',
      width: 10,
      height: 10,
      items: [{ id: 'https://example.org/m/c1/p', type: 'AnnotationPage', items: [] }],
    },
  ],
};

describe('Presentation test helpers', () => {
  it('validates a 3.0 manifest against the IIIF schema, and lists what is wrong with a bad one', () => {
    expect(presentation3SchemaErrors(MANIFEST_V3)).toEqual([]);
    expect(presentation3SchemaErrors({ ...MANIFEST_V3, label: 'not a language map' })).not.toEqual([]);
    expect(presentation3SchemaErrors({ ...MANIFEST_V3, id: undefined })).not.toEqual([]);
  });

  it('upgrades a 2.1 manifest with @iiif/parser', () => {
    const upgraded = upgradePresentation2({
      '@context': 'http://iiif.io/api/presentation/2/context.json',
      '@id': 'https://example.org/m2',
      '@type': 'sc:Manifest',
      label: 'm2',
      sequences: [
        {
          '@type': 'sc:Sequence',
          canvases: [
            {
              '@id': 'https://example.org/m2/c1',
              '@type': 'sc:Canvas',
              label: 'c1',
              width: 1,
              height: 1,
              images: [
                {
                  '@type': 'oa:Annotation',
                  motivation: 'sc:painting',
                  on: 'https://example.org/m2/c1',
                  resource: {
                    '@id': 'https://example.org/i.jpg',
                    '@type': 'dctypes:Image',
                    format: 'image/jpeg',
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(upgraded).toMatchObject({
      id: 'https://example.org/m2',
      type: 'Manifest',
      label: { none: ['m2'] },
    });
    expect(presentation3SchemaErrors(upgraded)).toEqual([]);
  });
});
