import {
  buildAssetFields,
  needsReingest,
  type AssetFields,
  type BuildContext,
  type ExistingAsset,
} from './asset-builder';
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

  it('a PDF registered with iiif-img and thumbs is an image asset (its first page, SPEC.md §4.3)', () => {
    const r = buildAssetFields(
      input({
        origin: 'https://e.org/a.pdf',
        mediaType: 'application/pdf',
        deliveryChannels: ['iiif-img', 'thumbs'],
      }),
      ctx(),
    );
    expect(r.errors).toEqual([]);
    expect(r.fields).toMatchObject({
      family: 'I',
      deliveryChannels: [
        { channel: 'iiif-img', policy: 'default' },
        { channel: 'thumbs', policy: 'default' },
      ],
    });
  });

  it('a zip cannot take iiif-img; a PDF cannot take iiif-av', () => {
    const zip = parseAssetBody({
      origin: 'https://e.org/a.zip',
      mediaType: 'application/zip',
      deliveryChannels: ['iiif-img'],
    });
    expect(zip.errors.map((e) => e.message)).toEqual([
      'delivery channel "iiif-img" needs an image/* or application/pdf mediaType, not "application/zip"',
    ]);
    const pdf = parseAssetBody({
      origin: 'https://e.org/a.pdf',
      mediaType: 'application/pdf',
      deliveryChannels: ['iiif-av'],
    });
    expect(pdf.errors.map((e) => e.message).join(' ')).toMatch(/"iiif-av" needs an audio/);
    // A default rule cannot give a PDF iiif-av either (the rule-resolved path of buildAssetFields).
    const viaRule = buildAssetFields(
      input({ origin: 'https://e.org/a.pdf', mediaType: 'application/pdf' }),
      ctx({
        rules: [{ customerId: 0, spaceId: 0, mediaType: '*/*', channel: 'iiif-av', policy: 'default-video' }],
      }),
    );
    expect(viaRule.errors.map((e) => e.message).join(' ')).toMatch(/"iiif-av" does not fit mediaType/);
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

  it('PATCH keeps omitted fields (never wipes roles/tags) and reingests only for origin/channels/mediaType/access sizes/role restriction', () => {
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
      buildAssetFields(input({ tags: ['n'], roles: ['other'] }), ctx({ mode: 'patch', existing })).reingest,
    ).toBe(false);
    // Taking the last role away changes which thumbnails are open (SPEC.md §6): a reingest.
    expect(buildAssetFields(input({ roles: [] }), ctx({ mode: 'patch', existing })).reingest).toBe(true);
  });

  it('PATCH of mediaType to an unfit type needs new channels', () => {
    const r = buildAssetFields(input({ mediaType: 'video/mp4' }), ctx({ mode: 'patch', existing }));
    expect(r.errors[0]).toMatchObject({ field: 'mediaType' });
  });

  it('PATCH of a media type no default rule covers falls back to the none channel on create', () => {
    const r = buildAssetFields(input({ origin: 'https://e.org/a.txt', mediaType: 'text/plain' }), ctx());
    expect(r.fields?.deliveryChannels).toEqual([{ channel: 'none', policy: 'none' }]);
    expect(r.fields?.family).toBe('F');
  });
});

describe('PUT and PATCH on an existing asset: omitted keeps, explicit empty clears (SPEC.md §3.3)', () => {
  const modes = ['replace', 'patch'] as const;

  it.each(modes)(
    '%s: a body without manifests, tags, strings or channels keeps them (no space defaults)',
    (mode) => {
      const r = buildAssetFields(input({ string3: 'z' }), ctx({ mode, existing }));
      expect(r.errors).toEqual([]);
      expect(r.fields).toEqual({ ...existing, string3: 'z' });
      expect(r.reingest).toBe(false);
    },
  );

  // [field, value sent, stored value after]
  const clears: Array<[string, unknown, unknown]> = [
    ['manifests', [], []],
    ['manifests', null, []],
    ['tags', [], []],
    ['tags', null, []],
    ['roles', [], []],
    ['roles', null, []],
    ['string1', '', null],
    ['string1', null, null],
    ['number1', null, null],
    ['maxWidth', null, 0],
    ['maxWidth', -5, 0],
    ['openFullMax', null, 0],
  ];
  for (const mode of modes) {
    it.each(clears)(`${mode}: %s = %j clears it to %j`, (field, value, stored) => {
      const withSizes: ExistingAsset = { ...existing, maxWidth: 800, openFullMax: 200 };
      const r = buildAssetFields(input({ [field]: value }), ctx({ mode, existing: withSizes }));
      expect(r.errors).toEqual([]);
      expect((r.fields as unknown as Record<string, unknown>)[field]).toEqual(stored);
    });
  }

  it.each(modes)('%s: deliveryChannels null or ["default"] goes back to the default rules', (mode) => {
    for (const deliveryChannels of [null, ['default']]) {
      const r = buildAssetFields(input({ deliveryChannels }), ctx({ mode, existing }));
      expect(r.fields?.deliveryChannels).toEqual([
        { channel: 'iiif-img', policy: 'default' },
        { channel: 'thumbs', policy: 'default' },
      ]);
      expect(r.reingest).toBe(true);
    }
  });

  it('refuses deliveryChannels: [] and the legacy policy fields, naming them', () => {
    expect(parseAssetBody({ deliveryChannels: [] }).errors.map((e) => e.field)).toEqual(['deliveryChannels']);
    const legacy = parseAssetBody({ thumbnailPolicy: 'x', imageOptimisationPolicy: 'y', string1: 'ok' });
    expect(legacy.errors.map((e) => e.field).sort()).toEqual(['imageOptimisationPolicy', 'thumbnailPolicy']);
    expect(legacy.errors[0].message).toMatch(/legacy/);
  });

  it('defers family on create (compared with the derived value by the caller), compares it on update', () => {
    const deferred = parseAssetBody(
      { family: 'I', origin: 'https://e.org/a', mediaType: 'image/png' },
      {
        deferDerived: true,
      },
    );
    expect(deferred.errors).toEqual([]);
    expect(deferred.input?.derived).toEqual({ family: 'I' });
    expect(
      parseAssetBody({ family: 'T' }, { deferDerived: true, current: { family: 'I' } }).errors[0].field,
    ).toBe('family');
    expect(parseAssetBody({ family: 'I' }, { deferDerived: true, current: { family: 'I' } }).errors).toEqual(
      [],
    );
  });
});

describe('needsReingest (SPEC.md §3.3: only origin, deliveryChannels, mediaType, access sizes)', () => {
  const base: AssetFields = { ...existing, roles: [] };
  const cases: Array<[string, Partial<AssetFields>, boolean]> = [
    ['nothing', {}, false],
    ['origin', { origin: 'https://example.org/new.jpg' }, true],
    ['mediaType', { mediaType: 'image/png' }, true],
    [
      'a channel added',
      { deliveryChannels: [...base.deliveryChannels, { channel: 'thumbs', policy: 'default' }] },
      true,
    ],
    ['a policy', { deliveryChannels: [{ channel: 'iiif-img', policy: 'use-original' }] }, true],
    ['maxWidth', { maxWidth: 100 }, true],
    ['openFullMax', { openFullMax: 100 }, true],
    ['openMaxWidth', { openMaxWidth: 100 }, true],
    ['first role (thumbnails change openness)', { roles: ['r'] }, true],
    ['tags', { tags: ['x'] }, false],
    ['manifests', { manifests: ['x'] }, false],
    ['string1..3', { string1: 'a', string2: 'b', string3: 'c' }, false],
    ['number1..3', { number1: 1, number2: 2, number3: 3 }, false],
  ];
  it.each(cases)('%s → %s', (_, change, expected) => {
    expect(needsReingest(base, { ...base, ...change })).toBe(expected);
  });

  it('channel order does not matter; one role for another does not reingest; the last role going does', () => {
    const two: AssetFields = {
      ...base,
      deliveryChannels: [
        { channel: 'iiif-img', policy: 'default' },
        { channel: 'thumbs', policy: 'default' },
      ],
    };
    expect(needsReingest(two, { ...two, deliveryChannels: [...two.deliveryChannels].reverse() })).toBe(false);
    expect(needsReingest({ ...base, roles: ['a'] }, { ...base, roles: ['b', 'c'] })).toBe(false);
    expect(needsReingest({ ...base, roles: ['a'] }, { ...base, roles: [] })).toBe(true);
  });
});
