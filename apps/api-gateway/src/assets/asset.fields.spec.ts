import { getMetadataStorage } from 'class-validator';
import { buildAssetFields } from './asset-builder';
import { ASSET_DECIDED_COLUMNS, ASSET_FIELDS } from './asset.fields';
import { AssetBodyDto, parseAssetBody } from './asset-input';
import { ASSET_ORDER } from './asset-query';
import type { QueryValidationError } from '../http/hydra';

describe('asset field table', () => {
  it('lists exactly the body fields the DTO validates', () => {
    const dtoKeys = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(AssetBodyDto, '', false, false)
        .map((m) => m.propertyName),
    );
    expect([...ASSET_FIELDS.writable].sort()).toEqual([...dtoKeys].sort());
  });

  it('decides the same columns the builder produces', () => {
    const parsed = parseAssetBody({ origin: 'https://example.org/a.jpg', mediaType: 'image/jpeg' });
    const built = buildAssetFields(parsed.input!, {
      customerId: 1,
      spaceId: 1,
      mode: 'create',
      space: {
        defaultTags: [],
        defaultRoles: [],
        defaultMaxWidth: 0,
        defaultOpenFullMax: 0,
        defaultOpenMaxWidth: 0,
      },
      rules: [{ customerId: 0, spaceId: 0, mediaType: 'image/*', channel: 'iiif-img', policy: 'default' }],
      policies: [],
    });
    expect(Object.keys(built.fields!).sort()).toEqual([...ASSET_DECIDED_COLUMNS].sort());
  });

  it('orders by the SPEC.md §3.1 whitelist (id, created, string1..3, number1..3, and more)', () => {
    expect(ASSET_ORDER).toEqual(
      expect.arrayContaining([
        'id',
        'created',
        'string1',
        'string2',
        'string3',
        'number1',
        'number2',
        'number3',
      ]),
    );
    expect(ASSET_ORDER).not.toContain('origin');
  });

  it('filters and rejects unknown q members, naming them', () => {
    expect(ASSET_FIELDS.filter({ q: '{"string1":"a","tags":["x"]}', number2: '5' })).toEqual({
      string1: 'a',
      tags: { hasSome: ['x'] },
      number2: 5,
    });
    const fieldsOf = (query: Record<string, unknown>) => {
      try {
        ASSET_FIELDS.filter(query);
      } catch (err) {
        return (err as QueryValidationError).errors.map((e) => e.field);
      }
      return [];
    };
    expect(fieldsOf({ q: '{"origin":"x"}' })).toEqual(['q.origin']);
    expect(fieldsOf({ number1: '1.5', string2: 7 })).toEqual(['string2', 'number1']);
  });
});
