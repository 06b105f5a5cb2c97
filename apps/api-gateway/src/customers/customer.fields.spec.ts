import { fieldsOf } from '../http/body-contract';
import { API_KEY_FIELDS } from '../auth/api-key.fields';
import { SPACE_FIELDS } from '../spaces/space.fields';
import { SpaceBodyDto } from '../spaces/space.dto';
import { CUSTOMER_FIELDS, CUSTOMER_PATCHABLE } from './customer.fields';
import { CreateCustomerDto, PatchCustomerDto } from './customer.dto';

const sorted = (xs: Iterable<string>) => [...xs].sort();

/** The class-validator DTOs are the one other place a resource's fields are listed: they must agree. */
describe("body DTOs list exactly their field table's writable fields", () => {
  it.each([
    ['POST /customers', CreateCustomerDto, CUSTOMER_FIELDS.writable],
    ['PATCH C', PatchCustomerDto, CUSTOMER_PATCHABLE],
    ['POST/PUT/PATCH C/spaces[/{s}]', SpaceBodyDto, SPACE_FIELDS.writable],
  ] as const)('%s', (_, dto, writable) => {
    expect(sorted(fieldsOf(dto))).toEqual(sorted(writable));
  });

  it('customers: name and displayName writable, name on create only; keys: nothing writable', () => {
    expect(sorted(CUSTOMER_FIELDS.writable)).toEqual(['displayName', 'name']);
    expect(CUSTOMER_PATCHABLE).toEqual(['displayName']);
    expect(API_KEY_FIELDS.writable).toEqual([]);
  });

  it('renders only links to routes that exist (customer: keys, spaces, queue, policies, rules, headers; space: images)', () => {
    const links = (t: { fields: Record<string, { type: string }> }) =>
      Object.entries(t.fields)
        .filter(([, f]) => f.type === 'link')
        .map(([k]) => k)
        .sort();
    expect(links(CUSTOMER_FIELDS)).toEqual([
      'accessServices',
      'customHeaders',
      'defaultDeliveryChannels',
      'deliveryChannelPolicies',
      'keys',
      'namedQueries',
      'originStrategies',
      'queue',
      'roleProviders',
      'roles',
      'spaces',
      'storage',
      'users',
    ]);
    expect(links(SPACE_FIELDS)).toEqual(['images', 'storage']);
    expect(links(API_KEY_FIELDS)).toEqual(['customer']);
  });
});
