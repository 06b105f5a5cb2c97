import { fieldsOf } from '../http/body-contract';
import { STORAGE_POLICY_FIELDS } from './storage.fields';
import { StoragePolicyBodyDto, storagePolicyIdOf } from './storage-policy.dto';

describe('StoragePolicyBodyDto', () => {
  it('has exactly the writable fields of the storage policy table', () => {
    expect([...fieldsOf(StoragePolicyBodyDto)].sort()).toEqual([...STORAGE_POLICY_FIELDS.writable].sort());
  });
});

describe('storagePolicyIdOf', () => {
  it.each([
    ['default', 'default'],
    ['small-1.x_y', 'small-1.x_y'],
    ['https://api.example.org/storagePolicies/default', 'default'],
    ['https://api.example.org/prefix/storagePolicies/small/', 'small'],
    ['http://127.0.0.1:3000/storagePolicies/a%2Db', 'a-b'],
    ['https://api.example.org/storagePolicies/', null],
    ['https://api.example.org/storagePolicies/a%2Fb', null],
    ['https://api.example.org/storagePolicies/%E0%A4%A', null],
    ['has space', null],
    ['', null],
    ['x'.repeat(61), null],
  ])('%j → %j', (value, id) => {
    expect(storagePolicyIdOf(value)).toBe(id);
  });
});
