import {
  familyFor,
  mediaTypeGlobMatches,
  normaliseDeliveryChannels,
  resolveDefaultChannels,
  SEED_DEFAULT_RULES,
  type DefaultChannelRule,
} from './delivery-channels';

describe('mediaTypeGlobMatches', () => {
  it.each([
    ['image/*', 'image/jpeg', true],
    ['image/*', 'IMAGE/PNG', true],
    ['image/*', 'video/mp4', false],
    ['*/*', 'application/pdf', true],
    ['image/jp*', 'image/jp2', true],
    ['image/jpeg', 'image/jpeg', true],
    ['image/jpeg', 'image/jpeg2', false],
    ['application/*', 'application/vnd.ms-excel', true],
    ['image/svg+xml', 'image/svg+xml', true],
  ])('%s vs %s → %s', (glob, mt, expected) => {
    expect(mediaTypeGlobMatches(glob, mt)).toBe(expected);
  });
});

describe('resolveDefaultChannels (SPEC.md §1 "Default delivery channels")', () => {
  const platform = SEED_DEFAULT_RULES;
  it('uses the platform seed rules', () => {
    expect(resolveDefaultChannels(platform, 5, 1, 'image/jpeg')).toEqual([
      { channel: 'iiif-img', policy: 'default' },
      { channel: 'thumbs', policy: 'default' },
    ]);
    expect(resolveDefaultChannels(platform, 5, 1, 'video/mp4')).toEqual([
      { channel: 'iiif-av', policy: 'default-video' },
    ]);
    expect(resolveDefaultChannels(platform, 5, 1, 'audio/mpeg')).toEqual([
      { channel: 'iiif-av', policy: 'default-audio' },
    ]);
    expect(resolveDefaultChannels(platform, 5, 1, 'application/pdf')).toEqual([
      { channel: 'file', policy: 'none' },
    ]);
    expect(resolveDefaultChannels(platform, 5, 1, 'text/plain')).toEqual([]);
  });

  it('space beats customer beats platform; longer glob beats shorter; first match per channel', () => {
    const rules: DefaultChannelRule[] = [
      ...platform,
      { customerId: 5, spaceId: 0, mediaType: 'image/*', channel: 'iiif-img', policy: 'cust' },
      { customerId: 5, spaceId: 0, mediaType: 'image/jpeg', channel: 'iiif-img', policy: 'cust-jpeg' },
      { customerId: 5, spaceId: 2, mediaType: 'image/*', channel: 'thumbs', policy: 'space-thumbs' },
      { customerId: 5, spaceId: 3, mediaType: 'image/*', channel: 'iiif-img', policy: 'other-space' },
      { customerId: 6, spaceId: 0, mediaType: 'image/*', channel: 'file', policy: 'other-customer' },
    ];
    expect(resolveDefaultChannels(rules, 5, 2, 'image/jpeg')).toEqual([
      { channel: 'iiif-img', policy: 'cust-jpeg' },
      { channel: 'thumbs', policy: 'space-thumbs' },
    ]);
    expect(resolveDefaultChannels(rules, 5, 1, 'image/png')).toEqual([
      { channel: 'iiif-img', policy: 'cust' },
      { channel: 'thumbs', policy: 'default' },
    ]);
    expect(resolveDefaultChannels(rules, 5, 3, 'image/png')).toEqual([
      { channel: 'iiif-img', policy: 'other-space' },
      { channel: 'thumbs', policy: 'default' },
    ]);
  });

  it('drops "none" when another channel matched', () => {
    const rules: DefaultChannelRule[] = [
      { customerId: 0, spaceId: 0, mediaType: '*/*', channel: 'none', policy: 'none' },
      { customerId: 0, spaceId: 0, mediaType: 'image/*', channel: 'iiif-img', policy: 'default' },
    ];
    expect(resolveDefaultChannels(rules, 1, 1, 'image/png')).toEqual([
      { channel: 'iiif-img', policy: 'default' },
    ]);
    expect(resolveDefaultChannels(rules, 1, 1, 'text/plain')).toEqual([{ channel: 'none', policy: 'none' }]);
  });
});

describe('normaliseDeliveryChannels (SPEC.md §3.4)', () => {
  it('accepts names and objects, filling default policies', () => {
    expect(
      normaliseDeliveryChannels(
        ['iiif-img', { channel: 'thumbs' }, { channel: 'file', policy: 'none' }],
        'image/tiff',
      ),
    ).toEqual({
      input: {
        kind: 'explicit',
        channels: [
          { channel: 'iiif-img', policy: 'default' },
          { channel: 'thumbs', policy: 'default' },
          { channel: 'file', policy: 'none' },
        ],
      },
      errors: [],
    });
    expect(normaliseDeliveryChannels(['iiif-av'], 'audio/mpeg').input).toEqual({
      kind: 'explicit',
      channels: [{ channel: 'iiif-av', policy: 'default-audio' }],
    });
  });

  it('reads DLCS policy URLs', () => {
    const r = normaliseDeliveryChannels(
      [
        {
          channel: 'thumbs',
          policy: 'https://api.example/customers/2/deliveryChannelPolicies/thumbs/standard',
        },
      ],
      'image/jpeg',
    );
    expect(r.input).toEqual({ kind: 'explicit', channels: [{ channel: 'thumbs', policy: 'standard' }] });
  });

  it('a PDF may take iiif-img and thumbs (its first page is the image, SPEC.md §4.3)', () => {
    const r = normaliseDeliveryChannels(['iiif-img', 'thumbs', 'file'], 'application/pdf');
    expect(r.errors).toEqual([]);
    expect(r.input).toEqual({
      kind: 'explicit',
      channels: [
        { channel: 'iiif-img', policy: 'default' },
        { channel: 'thumbs', policy: 'default' },
        { channel: 'file', policy: 'none' },
      ],
    });
  });

  it('"default" alone means: resolve from the rules', () => {
    expect(normaliseDeliveryChannels(['default'], 'image/jpeg').input).toEqual({ kind: 'default' });
  });

  it.each([
    [['iiif-img'], 'application/zip', /image\/\* or application\/pdf/],
    [['thumbs'], 'video/mp4', /image\/\*/],
    [['iiif-av'], 'image/jpeg', /audio/],
    [['none', 'file'], 'image/jpeg', /only/],
    [['default', 'file'], 'image/jpeg', /only/],
    [['iiif-img', 'iiif-img'], 'image/jpeg', /more than once/],
    [['thumbnail'], 'image/jpeg', /unknown delivery channel/],
    [[{ policy: 'x' }], 'image/jpeg', /channel/],
    ['iiif-img', 'image/jpeg', /array/],
  ])('rejects %j for %s', (value, mt, message) => {
    const r = normaliseDeliveryChannels(value, mt);
    expect(r.input).toBeUndefined();
    expect(r.errors.map((e) => e.message).join(' ')).toMatch(message);
  });
});

describe('familyFor', () => {
  it.each([
    [[{ channel: 'iiif-img', policy: 'default' }], 'image/jpeg', 'I'],
    [[{ channel: 'thumbs', policy: 'default' }], 'image/jpeg', 'I'],
    [
      [
        { channel: 'iiif-av', policy: 'default-video' },
        { channel: 'file', policy: 'none' },
      ],
      'video/mp4',
      'T',
    ],
    [[{ channel: 'file', policy: 'none' }], 'image/jpeg', 'F'],
    [[{ channel: 'none', policy: 'none' }], 'image/jpeg', 'I'],
    [[], 'audio/wav', 'T'],
    [[], 'application/pdf', 'F'],
  ] as const)('%j %s → %s', (channels, mt, family) => {
    expect(familyFor([...channels], mt)).toBe(family);
  });
});
