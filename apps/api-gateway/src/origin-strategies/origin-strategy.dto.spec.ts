import { fieldsOf } from '../http/body-contract';
import { OriginStrategyBodyDto, strategyNameOf } from './origin-strategy.dto';
import { ORIGIN_STRATEGY_FIELDS } from './origin-strategy.fields';

describe('origin strategy body', () => {
  it("has exactly the field table's writable keys", () => {
    expect([...fieldsOf(OriginStrategyBodyDto)].sort()).toEqual([...ORIGIN_STRATEGY_FIELDS.writable].sort());
  });

  it.each<[unknown, string | undefined]>([
    ['default', 'default'],
    ['basic-http-authentication', 'basic-http-authentication'],
    ['s3-ambient', 's3-ambient'],
    ['sftp', 'sftp'],
    ['ftp', 'ftp'],
    ['https://api.example.org/originStrategies/sftp', 'sftp'],
    ['http://127.0.0.1:3000/prefix/originStrategies/s3-ambient', 's3-ambient'],
    ['FTP', undefined],
    ['http', undefined],
    ['https://api.example.org/originStrategies/nope', undefined],
    ['https://api.example.org/other/ftp', undefined],
    ['/originStrategies/ftp', undefined],
    [3, undefined],
  ])('strategy %j → %s', (value, name) => {
    expect(strategyNameOf(value)).toBe(name);
  });
});
