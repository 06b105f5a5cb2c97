import { fieldsOf } from '../http/body-contract';
import { AssetBodyDto, originProblem, parseAssetBody } from './asset-input';
import { ASSET_FIELDS } from './asset.fields';

describe('parseAssetBody (SPEC.md §3.4)', () => {
  it('accepts a DLCS asset and remembers which fields were sent', () => {
    const r = parseAssetBody({
      '@context': 'https://dlcs.github.io/vocab/context/future.json',
      '@type': 'vocab:Image',
      id: 'b1.jp2',
      space: 5,
      origin: 'https://example.org/b1.jp2',
      mediaType: 'image/jp2',
      deliveryChannels: [{ '@type': 'vocab:DeliveryChannel', channel: 'iiif-img', policy: 'use-original' }],
      tags: [],
      string1: 'x',
      number1: 0,
    });
    expect(r.errors).toEqual([]);
    expect([...r.input!.sent].sort()).toEqual([
      'deliveryChannels',
      'id',
      'mediaType',
      'number1',
      'origin',
      'space',
      'string1',
      'tags',
    ]);
    expect(r.input!.channels).toEqual({
      kind: 'explicit',
      channels: [{ channel: 'iiif-img', policy: 'use-original' }],
    });
  });

  it('tolerates read-only fields that match (or are empty on create), rejects changed ones by name', () => {
    const current = {
      '@id': 'http://api/x',
      width: 100,
      created: '2024-01-01T00:00:00.000Z',
      ingesting: false,
    };
    expect(
      parseAssetBody(
        { width: 100, created: '2024-01-01T00:00:00Z', error: '', duration: 0, ingesting: false },
        { current },
      ).errors,
    ).toEqual([]);
    const r = parseAssetBody(
      { width: 101, family: 'T', '@id': 'http://api/y', batch: 'http://api/b/1' },
      { current },
    );
    expect(r.errors.map((e) => e.field).sort()).toEqual(['@id', 'batch', 'family', 'width']);
    expect(r.errors[0].message).toMatch(/read-only/);
  });

  it('lists every bad field at once, with a prefix for batch members', () => {
    const r = parseAssetBody(
      { id: 'a/b', origin: 'nope', mediaType: 'jpeg', maxWidth: 'big', tags: [1], extra: true },
      { prefix: 'member[3].' },
    );
    expect(r.errors.map((e) => e.field).sort()).toEqual(
      [
        'member[3].extra',
        'member[3].id',
        'member[3].maxWidth',
        'member[3].mediaType',
        'member[3].origin',
        'member[3].tags',
      ].sort(),
    );
    expect(r.errors.find((e) => e.field === 'member[3].extra')?.message).toBe('unknown field "extra"');
  });

  it('checks channels against the fallback media type on PATCH', () => {
    expect(
      parseAssetBody({ deliveryChannels: ['iiif-av'] }, { fallbackMediaType: 'image/png' }).errors[0].field,
    ).toBe('deliveryChannels[0]');
  });

  it('rejects non-objects', () => {
    expect(parseAssetBody([1]).errors[0].field).toBe('body');
    expect(parseAssetBody(null, { prefix: 'member[0].' }).errors[0].field).toBe('member[0]');
  });
});

describe('originProblem (SPEC.md §4.2)', () => {
  it.each([
    'http://example.org/a.jpg',
    'https://example.org:8443/a?b=c',
    's3://bucket/key',
    's3://b-1/a/b c.tif',
    'sftp://files.example.org/masters/p1.tif',
    'ftp://ftp.example.org/p1.jpg',
    'ftps://ftp.example.org/p1.jpg',
  ])('accepts %s', (o) => expect(originProblem(o)).toBeNull());
  it.each([
    ['s3://bucket', /s3:\/\/\{bucket\}\/\{key\}/],
    ['s3://bucket/', /s3:\/\/\{bucket\}\/\{key\}/],
    ['gopher://host/path', /"gopher" is not supported/],
    ['file:///etc/passwd', /"file" is not supported/],
    ['example.org/a.jpg', /absolute URI/],
  ])('rejects %s', (o, m) => expect(originProblem(o)).toMatch(m));
});

describe('the asset field table and the body DTO (one list of fields)', () => {
  it('the DTO accepts exactly the writable fields of ASSET_FIELDS', () => {
    expect([...fieldsOf(AssetBodyDto)].sort()).toEqual([...ASSET_FIELDS.writable].sort());
  });
  it('renders the storage, metadata, adjuncts and reingest links as read-only fields', () => {
    expect(ASSET_FIELDS.readOnly).toEqual(
      expect.arrayContaining(['storage', 'metadata', 'adjuncts', 'reingest']),
    );
  });
});
