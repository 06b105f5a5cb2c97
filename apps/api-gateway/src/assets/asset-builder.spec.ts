import { buildAssetFields, type BuildContext, type ExistingAsset } from './asset-builder';
import { parseAssetBody } from './asset-input';
import { SEED_DEFAULT_RULES } from './delivery-channels';

const space = {
  defaultTags: ['st'],
  defaultRoles: ['sr'],
  defaultMaxWidth: 1000,
  defaultOpenFullMax: 200,
  defaultOpenMaxWidth: 0,
};
const ctx = (over: Partial<BuildContext> = {}): BuildContext => ({
  customerId: 1,
  spaceId: 1,
  mode: 'create',
  space,
  rules: SEED_DEFAULT_RULES,
  policies: [{ channel: 'thumbs', name: 'small' }],
  ...over,
});
const input = (body: object) => {
  const r = parseAssetBody(body);
  if (!r.input) throw new Error(JSON.stringify(r.errors));
  return r.input;
};
const existing: ExistingAsset = {
  origin: 'https://example.org/old.jpg',
  mediaType: 'image/jpeg',
  family: 'I',
  deliveryChannels: [{ channel: 'iiif-img', policy: 'default' }],
  roles: ['r'],
  maxWidth: 0,
  openFullMax: 0,
  openMaxWidth: 0,
  tags: ['t'],
  string1: 's1',
  string2: null,
  string3: null,
  number1: 1,
  number2: null,
  number3: null,
  manifests: ['m'],
};

describe('buildAssetFields (SPEC.md §3.3, §3.4, §4.1)', () => {
  it('creates with default channels, family and space defaults', () => {
    const r = buildAssetFields(input({ origin: 'https://e.org/a.jpg', mediaType: 'image/jpeg' }), ctx());
    expect(r.errors).toEqual([]);
    expect(r.reingest).toBe(true);
    expect(r.fields).toMatchObject({
      family: 'I',
      deliveryChannels: [
        { channel: 'iiif-img', policy: 'default' },
        { channel: 'thumbs', policy: 'default' },
      ],
      tags: ['st'],
      roles: ['sr'],
      maxWidth: 1000,
      openFullMax: 200,
      string1: null,
      manifests: [],
    });
  });

  it('sent empty arrays win over space defaults', () => {
    const r = buildAssetFields(
      input({ origin: 'https://e.org/a.jpg', mediaType: 'image/jpeg', tags: [], roles: [], maxWidth: -1 }),
      ctx(),
    );
    expect(r.fields).toMatchObject({ tags: [], roles: [], maxWidth: 0 });
  });

  it('requires mediaType and origin on create', () => {
    const r = buildAssetFields(input({}), ctx());
    expect(r.errors.map((e) => e.field)).toEqual(['mediaType', 'origin']);
  });

  it('knows system and customer policies only', () => {
    expect(
      buildAssetFields(
        input({
          origin: 'https://e.org/a',
          mediaType: 'image/png',
          deliveryChannels: [{ channel: 'thumbs', policy: 'small' }],
        }),
        ctx(),
      ).errors,
    ).toEqual([]);
    const r = buildAssetFields(
      input({
        origin: 'https://e.org/a',
        mediaType: 'image/png',
        deliveryChannels: [{ channel: 'thumbs', policy: 'huge' }],
      }),
      ctx(),
    );
    expect(r.errors).toEqual([
      { field: 'deliveryChannels[0].policy', message: 'unknown thumbs policy "huge"' },
    ]);
  });

  it('PATCH keeps omitted fields (never wipes roles/tags) and reingests only for origin/channels/mediaType/access sizes', () => {
    const meta = buildAssetFields(input({ string2: 'x' }), ctx({ mode: 'patch', existing }));
    expect(meta.reingest).toBe(false);
    expect(meta.fields).toMatchObject({ ...existing, string2: 'x' });
    expect(
      buildAssetFields(input({ origin: 'https://example.org/new.jpg' }), ctx({ mode: 'patch', existing }))
        .reingest,
    ).toBe(true);
    expect(buildAssetFields(input({ maxWidth: 500 }), ctx({ mode: 'patch', existing })).reingest).toBe(true);
    expect(
      buildAssetFields(input({ deliveryChannels: ['iiif-img'] }), ctx({ mode: 'patch', existing })).reingest,
    ).toBe(false);
    expect(
      buildAssetFields(input({ deliveryChannels: ['iiif-img', 'thumbs'] }), ctx({ mode: 'patch', existing }))
        .reingest,
    ).toBe(true);
    expect(
      buildAssetFields(input({ tags: ['n'], roles: [] }), ctx({ mode: 'patch', existing })).reingest,
    ).toBe(false);
  });

  it('PATCH of mediaType to an unfit type needs new channels', () => {
    const r = buildAssetFields(input({ mediaType: 'video/mp4' }), ctx({ mode: 'patch', existing }));
    expect(r.errors[0]).toMatchObject({ field: 'mediaType' });
  });

  it('replace: origin/mediaType fall back to the stored ones, the rest is a fresh registration', () => {
    const r = buildAssetFields(input({ string3: 'z' }), ctx({ mode: 'replace', existing }));
    expect(r.reingest).toBe(true);
    expect(r.fields).toMatchObject({
      origin: existing.origin,
      mediaType: 'image/jpeg',
      string1: null,
      string3: 'z',
      tags: ['st'],
      manifests: [],
    });
  });
});
